"""The chat service: entry, sessions, rooms, private messages, blocks, and the message path.

It knows nothing of HTTP or WebSocket: the web layer hands it decoded requests and a `Sink`
per socket. Frames of one socket are handled in order; a `say` waits for no commit before the
next frame is read, but is acknowledged only once its transaction has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from causette.bus.base import PRESENCE, Bus, Envelope, user_channel
from causette.bus.cluster import Cluster, ClusterUnavailable, LocalCluster
from causette.chat.catalogue import load_catalogue
from causette.chat.hub import Connection, ConnState, Hub, SessionState, Sink
from causette.chat.presence import Presence
from causette.chat.ratelimit import KeyedLimiter, TokenBucket
from causette.chat.screening import Screening, notice_text
from causette.chat.sequencer import Sequencer
from causette.chat.tokens import TokenSigner
from causette.domain.departements import departement_for_postal_code, region_for_departement
from causette.domain.entry import validate_age, validate_gender
from causette.domain.errors import DomainError
from causette.domain.ids import new_id
from causette.domain.models import (
    Message,
    PmRequestRecord,
    RequestStatus,
    Room,
    RoomKind,
    User,
    is_private_conv,
)
from causette.domain.network import address_prefix
from causette.domain.pseudonyms import validate_pseudonym
from causette.protocol import frames as f
from causette.protocol.errors import CloseCode, ErrorCode, ProtocolError
from causette.safety.classifier import Classifier
from causette.safety.engine import Decision, SafetyEngine
from causette.safety.policy import Action
from causette.settings import Settings
from causette.store import Store, StoreError
from causette.store.database import now_ms
from causette.store.safety_events import SafetyEvent
from causette.store.sessions import Entry

log = logging.getLogger(__name__)
T = TypeVar("T")

# Leases of connected sessions are refreshed this often; a crashed node's names free up
# within pseudonym_grace_seconds + 2 * this.
LEASE_REFRESH_SECONDS = 60
RESTRICTED_PM = "private_messages"
# A client that never says hello still gets live traffic after this delay.
HELLO_TIMEOUT_SECONDS = 5.0
# A name claimed on entry is this node's for this long (ms): enough to check and store the session.
NAME_CLAIM_MS = 10_000
# Leases of sessions that connect within this many seconds are extended in one write.
LEASE_BATCH_SECONDS = 0.05
# How long a join or hello waits for the cluster bus to confirm its subscriptions.
BUS_READY_SECONDS = 2.0


class ChatError(Exception):
    """A refusal of the chat layer, with a stable code (docs/protocol.md)."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


MESSAGES_FR = {
    ErrorCode.TOO_LONG: "Message trop long.",
    ErrorCode.EMPTY: "Message vide.",
    ErrorCode.NOT_MEMBER: "Vous n'êtes pas dans cette conversation.",
    ErrorCode.NOT_FOUND: "Introuvable.",
    ErrorCode.NOT_ALLOWED: "Ce salon est réservé à une autre tranche d'âge.",
    ErrorCode.NOT_INVITED: "Ce salon privé est sur invitation.",
    ErrorCode.ROOM_FULL: "Ce salon privé est complet.",
    ErrorCode.BLOCKED: "Impossible : l'un de vous a bloqué l'autre.",
    ErrorCode.DECLINED: "Cette personne n'a pas souhaité discuter.",
    ErrorCode.REQUEST_PENDING: "Votre demande attend déjà une réponse.",
    ErrorCode.TOO_MANY_REQUESTS: "Trop de demandes en attente : attendez des réponses.",
    ErrorCode.ALREADY_OPEN: "Une conversation privée existe déjà avec cette personne.",
    ErrorCode.SELF: "Impossible avec vous-même.",
    ErrorCode.RATE_LIMITED: "Doucement : trop de messages d'un coup.",
    ErrorCode.UNAVAILABLE: "Service momentanément indisponible, réessayez.",
    ErrorCode.RESTRICTED: "Vos messages privés sont suspendus le temps qu'un modérateur examine.",
    ErrorCode.CATEGORY_INVALID: "Catégorie de signalement inconnue.",
}


def refuse(code: ErrorCode, **extra: Any) -> ChatError:
    return ChatError(code.value, MESSAGES_FR.get(code, code.value), **extra)


class _Batch:
    """User ids gathered for LEASE_BATCH_SECONDS, then written together by `write`: a reconnect
    storm or a network cut of 5,000 sockets costs one transaction (and one fsync), not 5,000 that
    hold SQLite's write lock and starve the message writer. One write at a time: ids arriving
    while it runs go in the next one (under a storm a write outlasted the interval, and writes
    piled up on the write lock ahead of the messages)."""

    def __init__(
        self, spawn: Callable[[Awaitable[None]], None], write: Callable[[set[str]], Awaitable[None]]
    ) -> None:
        self._spawn = spawn
        self._write = write
        self._due: set[str] = set()
        self._busy = False  # a flush is scheduled or a write runs

    def add(self, user_id: str) -> None:
        self._due.add(user_id)
        if not self._busy:
            self._busy = True
            asyncio.get_running_loop().call_later(LEASE_BATCH_SECONDS, self._flush)

    def _flush(self) -> None:
        due, self._due = self._due, set()
        self._spawn(self._write_then_next(due))

    async def _write_then_next(self, due: set[str]) -> None:
        try:
            await self._write(due)
        finally:
            if self._due:
                asyncio.get_running_loop().call_later(LEASE_BATCH_SECONDS, self._flush)
            else:
                self._busy = False


class ChatService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        bus: Bus,
        signer: TokenSigner,
        engine: SafetyEngine,
        model: Classifier | None = None,
        on_report: Callable[..., Awaitable[Any]] | None = None,
        on_flag: Callable[[SafetyEvent], Awaitable[Any]] | None = None,
        report_categories: frozenset[str] = frozenset(),
        cluster: Cluster | None = None,
    ) -> None:
        self.settings = settings
        # Notice categories a `report` frame may name (moderation/categories.toml); empty: any.
        self.report_categories = report_categories
        # Moderation is above chat in the layers: it hands in what to do with a new report or flag.
        self.on_report = on_report
        self.screening = Screening(engine, store, settings, model)
        self.screening.on_flag = on_flag
        self.store = store
        self.bus = bus
        self.signer = signer
        self.hub = Hub(bus.interest, self._disinterest)
        # Conversation frames reach the hub in seq order even when several nodes publish them.
        self.sequencer = Sequencer(self.hub.deliver, self._stored_after, settings.gap_wait_ms)
        self.presence = Presence(bus, settings.presence_interval_ms)
        self.catalogue: dict[str, Room] = {}
        self._entry_limiter = KeyedLimiter(settings.entry_rate_per_minute)
        # Name claims and entry buckets shared with the other nodes (bus/cluster.py).
        self.cluster: Cluster = cluster or LocalCluster()
        # Lease writes of sessions connecting or leaving in the same instant are one write each.
        self._leases_to_extend = _Batch(self._spawn, self._extend_leases)
        self._leases_to_release = _Batch(self._spawn, self._release_leases)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lease_task: asyncio.Task[None] | None = None
        # Ended sessions whose tokens have not expired yet: checked at every upgrade.
        self.revoked: set[str] = set()
        bus.set_handler(self._on_envelope)
        set_resync = getattr(bus, "set_resync_handler", None)
        if set_resync is not None:
            set_resync(self._bus_resynced)

    # --- life --------------------------------------------------------------------------------
    async def start(self) -> None:
        rooms = load_catalogue(self.settings.rooms_file)
        closed = await self.store.rooms.sync_catalogue(rooms, now_ms())
        self.catalogue = {r.id: r for r in rooms if r.id not in closed}
        self.revoked = await self.store.sessions.revoked_unexpired(now_ms())
        self.store.start()
        await self.bus.start()
        self.presence.start()
        await self.cluster.start(
            self.settings.node_ttl_ms, self._local_users, self._local_rooms, self._users_gone
        )
        self._lease_task = asyncio.get_running_loop().create_task(self._refresh_leases(), name="leases")
        if not self.settings.rate_limits_on:
            log.warning(
                "RATE LIMITS ARE OFF (CAUSETTE_RATE_LIMITS=off): entry per address and frames per "
                "connection are not limited. Use this for load tests only."
            )
        if not self.settings.safety_on:
            log.warning(
                "THE SAFETY ENGINE IS OFF (CAUSETTE_SAFETY=off): messages are not screened. "
                "Use this to measure its cost in load tests only."
            )

    async def stop(self) -> None:
        if self._lease_task is not None:
            self._lease_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lease_task
        for conn in list(self.hub.connections()):
            conn.close(CloseCode.GOING_AWAY, "server shutting down")
        # Connected sessions keep their names for the grace period, as after any disconnect.
        ids = list(self.hub.sessions)
        with contextlib.suppress(StoreError, Exception):
            await self.store.sessions.extend_leases(
                ids, now_ms() + self.settings.pseudonym_grace_seconds * 1000
            )
        await self.presence.stop()
        await self.sequencer.stop()
        await self.cluster.close()
        await self.bus.stop()
        await self.store.close()

    def _on_envelope(self, env: Envelope) -> None:
        """Every envelope from the bus: cluster-wide session revocations are this service's; the
        rest is the hub's to deliver."""
        if env.control and env.channel == PRESENCE:
            if env.control == "revoke":
                self.revoked.add(env.arg)
            elif env.control == "unrevoke":
                self.revoked.discard(env.arg)
            return
        self.sequencer.push(env)

    # --- the cluster's view of who is online (bus/cluster.py) ----------------------------------
    def online_members(self, room_id: str) -> int:
        """Connected members of a room, on this node and (as of the last beat) the others."""
        return self.hub.online_members(room_id) + self.cluster.remote_members(room_id)

    def _local_users(self) -> dict[str, dict[str, Any]]:
        return {uid: s.user.public() for uid, s in self.hub.sessions.items()}

    def _local_rooms(self) -> dict[str, int]:
        return {conv: n for conv, n in self.hub.present().items() if not is_private_conv(conv)}

    def _users_gone(self, user_ids: list[str]) -> None:
        """Users of a node that died: this node's sockets hear they went offline."""
        frame = {"t": "presence", "online": [], "offline": user_ids}
        self.hub.broadcast(f.encode_dict(frame))

    def _disinterest(self, channel: str) -> None:
        self.bus.disinterest(channel)
        self.sequencer.forget(channel)

    async def _stored_after(self, conv: str, seq: int, limit: int) -> list[Envelope]:
        """Stored messages of `conv` after `seq`, as the envelopes their node published."""
        return [_envelope(m) for m in await self.store.messages.after(conv, seq, limit)]

    async def _bus_ready(self, *channels: str) -> None:
        """Wait until the bus delivers these channels to this node (at once in one process), so
        that nothing falls between a read of the store and live delivery."""
        try:
            await asyncio.wait_for(asyncio.gather(*(self.bus.ready(c) for c in channels)), BUS_READY_SECONDS)
        except TimeoutError:
            log.warning("the bus did not confirm %d channel(s) in time", len(channels))

    def _bus_resynced(self, _channels: frozenset[str]) -> None:
        """The bus lost its subscriptions for a while: what it carried meanwhile is lost to this
        node, so its sockets reconnect and resume by seq from the store."""
        for conn in list(self.hub.connections()):
            conn.close(CloseCode.TRY_AGAIN_LATER, "bus reconnected: resume")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refresh_leases(self) -> None:
        while True:
            await asyncio.sleep(LEASE_REFRESH_SECONDS)
            try:
                await self.store.sessions.extend_leases(list(self.hub.sessions), self._connected_lease())
            except (StoreError, Exception):
                log.warning("could not refresh pseudonym leases", exc_info=True)

    async def _extend_leases(self, due: set[str]) -> None:
        """Sessions that just connected keep their names while connected."""
        try:
            await self.store.sessions.extend_leases(list(due), self._connected_lease())
        except (StoreError, Exception):
            log.warning("could not extend %d pseudonym leases", len(due), exc_info=True)

    def _connected_lease(self) -> int:
        return now_ms() + (self.settings.pseudonym_grace_seconds + 2 * LEASE_REFRESH_SECONDS) * 1000

    # --- entry ----------------------------------------------------------------------------------
    async def enter(
        self, body: dict[str, Any], address: str, device: str | None = None
    ) -> tuple[str, User, int]:
        """Create a session (POST /api/v1/sessions). Raises DomainError or ChatError."""
        if self.settings.rate_limits_on and not await self._take_entry(address):
            raise ChatError(
                "rate_limited", "Trop de connexions depuis votre adresse : réessayez dans une minute."
            )
        ban = await self.store.decisions.ban_for(device, address_prefix(address), now_ms())
        if ban is not None:
            raise ChatError(
                "banned",
                "L'accès à Causette vous est fermé depuis cet appareil ou ce réseau. "
                "La décision et la façon de la contester sont affichées ci-dessous.",
                statement=ban.id,
            )
        pseudonym, skeleton = validate_pseudonym(_str(body.get("pseudonym"), "pseudonym_invalid"))
        screened = self.screening.check_name(pseudonym)
        if not screened.allowed:
            raise ChatError(
                "pseudonym_refused", "Ce pseudo n'est pas accepté : " + " ".join(screened.reasons)
            )
        age = validate_age(body.get("age"), self.settings.min_age)
        gender = validate_gender(body.get("gender"))
        departement = departement_for_postal_code(_str(body.get("postal_code"), "postal_code_invalid"))
        user = User(
            id=new_id("u"),
            pseudonym=pseudonym,
            skeleton=skeleton,
            age=age,
            gender=gender,
            departement=departement,
            region=region_for_departement(departement),
        )
        now = now_ms()
        expires = now + self.settings.session_ttl_seconds * 1000
        # A name is claimed (in this process, or in Redis for the whole cluster) around the
        # check-then-insert, so that two entries cannot take one name together; entries of
        # different names run side by side.
        taken = ChatError(
            "pseudonym_taken", "Ce pseudo est déjà pris (ou trop ressemblant à un pseudo pris)."
        )
        if not await self._cluster_call(self.cluster.claim_name(skeleton, user.id, NAME_CLAIM_MS)):
            raise taken
        try:
            # Entries arriving together are checked and inserted in one transaction (one fsync):
            # SQLite takes one writer at a time, and one transaction each capped entry at the
            # disk's fsync rate.
            entry = Entry(
                user,
                now,
                expires,
                now + self.settings.pseudonym_grace_seconds * 1000,
                device_id=device,
                address=address,
            )
            if not await self.store.sessions.enter(entry):
                raise taken
        finally:
            await self.cluster.release_name(skeleton, user.id)
        return self.signer.issue(user.id, expires), user, expires

    async def _take_entry(self, address: str) -> bool:
        return await self.take_shared(
            "entry", address, self.settings.entry_rate_per_minute, 60.0, self._entry_limiter
        )

    async def take_shared(
        self, bucket: str, key: str, per_window: int, window_s: float, local: KeyedLimiter
    ) -> bool:
        """A token from the cluster-wide bucket `bucket:key` (Redis), or from the node's own
        `local` limiter when there is no cluster."""
        shared = await self._cluster_call(self.cluster.take(bucket, key, per_window, window_s))
        return local.take(key) if shared is None else shared

    @staticmethod
    async def _cluster_call(call: Awaitable[T]) -> T:
        try:
            return await call
        except ClusterUnavailable:
            log.warning("Redis unavailable during an entry", exc_info=True)
            raise refuse(ErrorCode.UNAVAILABLE) from None

    def check_token(self, token: str) -> str | None:
        """The user id of a well-signed, unexpired and unrevoked token (no I/O: the
        WebSocket upgrade is decided synchronously)."""
        user_id = self.signer.verify(token, now_ms())
        if user_id is None or user_id in self.revoked:
            return None
        return user_id

    async def load_user(self, user_id: str) -> User | None:
        session = self.hub.sessions.get(user_id)
        if session is not None:
            return session.user
        found = await self.store.sessions.get(user_id)
        if found is None:
            return None
        user, expires_at, revoked_at = found
        if revoked_at is not None or expires_at <= now_ms():
            return None
        return user

    async def authenticate(self, token: str) -> User | None:
        """The user of a valid token (REST calls)."""
        user_id = self.check_token(token)
        return None if user_id is None else await self.load_user(user_id)

    async def end_session(self, user: User) -> None:
        await self.end_session_id(user.id)

    async def end_session_id(self, user_id: str) -> None:
        await self.store.sessions.revoke(user_id, now_ms())
        self.revoked.add(user_id)
        # Every node refuses the token from now on, at the upgrade, without asking the database.
        self.bus.publish(Envelope(PRESENCE, control="revoke", arg=user_id))
        self.bus.publish(Envelope(user_channel(user_id), control="close", arg=str(CloseCode.SESSION_ENDED)))

    # --- sockets ---------------------------------------------------------------------------------
    async def connect(self, sink: Sink, user: User) -> Connection:
        session = self.hub.sessions.get(user.id)
        if session is None:
            convs = await self.store.rooms.conversations_of(user.id)
            blocked = await self.store.private.blocked_by(user.id)
            blocked_by = await self.store.private.blockers_of(user.id)
            apparent_minor, restrictions = await self.store.safety.user_flags(user.id)
            timed_out_until = await self.store.decisions.timed_out_until(user.id, now_ms())
            # Another socket of the same session may have attached meanwhile.
            session = self.hub.sessions.get(user.id) or SessionState(
                user,
                set(convs),
                blocked,
                blocked_by,
                apparent_minor=apparent_minor,
                restrictions=set(restrictions),
                timed_out_until=timed_out_until,
            )
        s = self.settings
        conn = Connection(
            sink=sink,
            session=session,
            bucket=TokenBucket(s.frame_rate, s.frame_burst) if s.rate_limits_on else None,
            send_limit=s.send_queue_bytes,
            hold_limit=s.hello_buffer_frames,
        )
        first = not session.connections
        self.hub.attach(conn)
        if first:
            self.presence.came(user)
            self._leases_to_extend.add(user.id)
        conn.send(f.encode_dict(await self._welcome(session)))
        asyncio.get_running_loop().call_later(HELLO_TIMEOUT_SECONDS, self._hello_timeout, conn)
        return conn

    def disconnect(self, conn: Connection) -> None:
        conn.state = ConnState.CLOSED
        if self.hub.detach(conn):
            user_id = conn.user.id
            if not self.cluster.online_elsewhere(user_id):
                self.presence.left(user_id)
            self._leases_to_release.add(user_id)

    async def _release_leases(self, due: set[str]) -> None:
        """Sessions whose last socket closed keep their names for the grace period."""
        gone = [uid for uid in due if uid not in self.hub.sessions]  # not reconnected meanwhile
        if not gone:
            return
        try:
            await self.store.sessions.extend_leases(
                gone, now_ms() + self.settings.pseudonym_grace_seconds * 1000
            )
        except (StoreError, Exception):
            log.warning("could not set the grace lease of %d sessions", len(gone), exc_info=True)

    async def _welcome(self, session: SessionState) -> dict[str, Any]:
        uid = session.user.id
        pms = await self.store.private.conversations_of(uid)
        others = await self.store.sessions.get_many([o for _, o in pms])
        requests = await self.store.private.incoming_open(uid)
        senders = await self.store.sessions.get_many([r.from_id for r in requests])
        s = self.settings
        return {
            "t": "welcome",
            "user": session.user.public(),
            "rooms": sorted(c for c in session.convs if not is_private_conv(c)),
            "pms": [{"conv": c, "with": others[o].public()} for c, o in pms if o in others],
            "requests": [_request_frame(r, senders[r.from_id]) for r in requests if r.from_id in senders],
            "blocked": sorted(session.blocked),
            "limits": {
                "max_message_chars": s.max_message_chars,
                "max_frame_bytes": s.max_frame_bytes,
                "max_open_requests": s.max_open_requests,
                "history_size": s.history_size,
            },
        }

    def _hello_timeout(self, conn: Connection) -> None:
        if conn.state is ConnState.OPEN:
            self._enqueue(conn, b'{"t":"hello","resume":{}}')

    # --- frames ---------------------------------------------------------------------------------------
    def on_frame(self, conn: Connection, raw: bytes) -> None:
        """Called by the transport for each complete text message, in order."""
        if conn.state is ConnState.CLOSED:
            return
        if conn.bucket is not None and not conn.bucket.take():
            conn.send(f.error_frame(ErrorCode.RATE_LIMITED, MESSAGES_FR[ErrorCode.RATE_LIMITED]))
            return
        self._enqueue(conn, raw)

    def _enqueue(self, conn: Connection, raw: bytes) -> None:
        if conn.inbox is None:
            conn.inbox = deque()
        conn.inbox.append(raw)
        if not conn.busy:
            conn.busy = True
            self._spawn(self._drain(conn))

    async def _drain(self, conn: Connection) -> None:
        try:
            inbox = conn.inbox
            while inbox and conn.state is not ConnState.CLOSED:
                raw = inbox.popleft()
                await self._handle(conn, raw)
        finally:
            conn.busy = False

    def bad_frame(self, conn: Connection, code: ErrorCode, message: str, cid: str | None = None) -> None:
        conn.send(f.error_frame(code, message, cid))
        if conn.note_bad_frame(self.settings.max_bad_frames_per_minute):
            conn.close(CloseCode.POLICY_VIOLATION, "too many bad frames")

    async def _handle(self, conn: Connection, raw: bytes) -> None:
        try:
            frame = f.decode(raw)
        except ProtocolError as exc:
            self.bad_frame(conn, exc.code, exc.message, exc.cid)
            return
        cid = getattr(frame, "cid", None)
        try:
            if conn.state is ConnState.OPEN and not isinstance(frame, f.Hello | f.Ping):
                # Frames before hello are served after it, in order.
                await self._hello(conn, f.Hello(t="hello"))
            handler: Callable[..., Any] = self._handlers[type(frame)]
            await handler(self, conn, frame)
        except ChatError as exc:
            conn.send(
                f.error_frame(exc.code, exc.message, cid, exc.extra.get("conv"), exc.extra.get("until"))
            )
        except DomainError as exc:
            conn.send(f.error_frame(exc.code, exc.message, cid))
        except StoreError:
            log.warning("store unavailable while handling %s", type(frame).__name__, exc_info=True)
            conn.send(f.error_frame(ErrorCode.UNAVAILABLE, MESSAGES_FR[ErrorCode.UNAVAILABLE], cid))
        except Exception:
            log.exception("error while handling %s", type(frame).__name__)
            conn.send(f.error_frame("internal", "Erreur interne.", cid))

    async def _ping(self, conn: Connection, _frame: f.Ping) -> None:
        conn.send(b'{"t":"pong"}')

    async def _hello(self, conn: Connection, frame: f.Hello) -> None:
        if conn.state is not ConnState.OPEN:
            return  # a second hello changes nothing
        session = conn.session
        await self._bus_ready(user_channel(session.user.id), *session.convs)
        sent: dict[str, int] = {}
        resumed = [c for c in frame.resume if c in session.convs]
        if resumed:
            # Messages a moderator deleted while the client was away: it may still show them.
            window = 4 * self.settings.history_size
            for conv, seq in await self.store.messages.retracted_in(resumed):
                if frame.resume[conv] - window < seq <= frame.resume[conv]:
                    conn.send(f.encode_dict({"t": "retract", "conv": conv, "seq": seq}))
        for conv, last in frame.resume.items():
            if conv not in session.convs:
                continue
            top = last
            remaining = self.settings.resume_max_messages
            while remaining > 0:
                batch = await self.store.messages.after(conv, top, min(500, remaining))
                for m in batch:
                    if m.sender_id not in session.blocked:
                        conn.send(f.encode_dict(m.wire()))
                    top = m.seq
                remaining -= len(batch)
                if len(batch) < 500:
                    break
            sent[conv] = top
        held, conn.held = conn.held, []
        for conv, seq, payload in held:
            if seq and seq <= sent.get(conv, 0):
                continue
            conn.send(payload)
        if conn.closed:
            return
        conn.floor.update(sent)
        conn.state = ConnState.READY
        heads = await self.store.messages.heads(sorted(session.convs))
        conn.send(f.encode_dict({"t": "resumed", "heads": heads}))

    # --- rooms --------------------------------------------------------------------------------------------
    async def _room_for(self, user: User, room_id: str) -> Room:
        room = self.catalogue.get(room_id) or await self.store.rooms.get(room_id)
        if room is None:
            raise refuse(ErrorCode.NOT_FOUND)
        return room

    async def _join(self, conn: Connection, frame: f.Join) -> None:
        session, user = conn.session, conn.user
        room = await self._room_for(user, frame.room)
        if room.id not in session.convs:
            if not room.admits_age(user.age):
                raise refuse(ErrorCode.NOT_ALLOWED)
            if room.kind is RoomKind.PRIVATE:
                if not await self.store.rooms.is_invited(room.id, user.id):
                    raise refuse(ErrorCode.NOT_INVITED)
                if room.cap is not None and await self.store.rooms.member_count(room.id) >= room.cap:
                    raise refuse(ErrorCode.ROOM_FULL)
            await self.store.rooms.add_member(room.id, user.id, now_ms())
        # Live messages of this room wait until its history is sent, then follow it in order.
        conn.joining[room.id] = []
        try:
            self.hub.subscribe(session, room.id)
            await self._bus_ready(room.id)
            history = await self.store.messages.latest(room.id, self.settings.history_size)
            visible = [m.wire() for m in history if m.sender_id not in session.blocked]
            members = self.online_members(room.id)
            conn.send(
                f.encode_dict(
                    {"t": "joined", "conv": room.id, "room": room.public(members, True), "history": visible}
                )
            )
        finally:
            pending = conn.joining.pop(room.id, [])
        last = history[-1].seq if history else 0
        for seq, payload in pending:
            if seq > last:
                conn.send(payload)
        conn.floor[room.id] = max(conn.floor.get(room.id, 0), last)
        # The session's other sockets follow the room too.
        self.bus.publish(Envelope(user_channel(user.id), control="join", arg=room.id))

    async def _leave(self, conn: Connection, frame: f.Leave) -> None:
        if frame.room not in conn.session.convs or is_private_conv(frame.room):
            raise refuse(ErrorCode.NOT_MEMBER)
        await self.store.rooms.remove_member(frame.room, conn.user.id)
        self.bus.publish(
            Envelope(
                user_channel(conn.user.id),
                f.encode_dict({"t": "left", "conv": frame.room}),
                control="leave",
                arg=frame.room,
            )
        )

    # --- messages -----------------------------------------------------------------------------------------
    def _check_text(self, text: str) -> str:
        if len(text) > self.settings.max_message_chars:
            raise refuse(ErrorCode.TOO_LONG)
        if not text.strip():
            raise refuse(ErrorCode.EMPTY)
        return text

    async def _say(self, conn: Connection, frame: f.Say) -> None:
        session, user = conn.session, conn.user
        text = self._check_text(frame.text)
        conv, cid = frame.conv, frame.cid
        if conv not in session.convs:
            raise refuse(ErrorCode.NOT_MEMBER)
        if session.timed_out_until:
            self._check_timeout(session.timed_out_until)
        peer: User | None = None
        peer_minor = False
        channel = "room"
        if is_private_conv(conv):
            channel = "pm"
            peer = await self._peer(session, conv)
            if peer.id in session.blocked or peer.id in session.blocked_by:
                raise refuse(ErrorCode.BLOCKED)
            if RESTRICTED_PM in session.restrictions:
                raise refuse(ErrorCode.RESTRICTED)
            peer_minor = await self._apparent_minor(peer.id)
        decision = self.screening.check(session, text, cid, channel, conv, peer, peer_minor)
        if not decision.allowed:
            await self._refuse_by_policy(conn, decision, text, channel, conv, cid, peer)
            return
        fut = self.store.messages.submit(conv, user.id, user.pseudonym, user.gender, cid, text)

        def done(fut: asyncio.Future[tuple[Message, bool]]) -> None:
            exc = fut.exception()
            if exc is not None:
                conn.send(f.error_frame(ErrorCode.UNAVAILABLE, MESSAGES_FR[ErrorCode.UNAVAILABLE], cid))
                return
            message, created = fut.result()
            conn.send(f.encode(f.Ack(cid=cid, conv=message.conv, seq=message.seq)))
            if created:
                self.publish_message(message)
                if self.screening.model is not None:
                    self._spawn(
                        self.screening.second_look(
                            session,
                            text,
                            channel,
                            conv,
                            cid,
                            message.seq,
                            peer.id if peer else None,
                            decision.labels,
                        )
                    )
                if decision.labels:
                    self._spawn(
                        self._after_delivery(session, decision, text, channel, conv, cid, message.seq, peer)
                    )

        fut.add_done_callback(done)

    @staticmethod
    def _check_timeout(until: int) -> None:
        if until and until > now_ms():
            ends = datetime.fromtimestamp(until / 1000, UTC).strftime("%d/%m/%Y à %H:%M UTC")
            raise ChatError(
                ErrorCode.TIMED_OUT.value,
                f"Un modérateur a suspendu vos envois jusqu'au {ends}.",
                until=until,
            )

    async def _peer(self, session: SessionState, conv: str) -> User:
        """The other side of a private conversation (cached: a user's declared profile is fixed)."""
        peer = session.peers.get(conv)
        if peer is None:
            pair = await self.store.private.peers(conv)
            other = next((p for p in pair or () if p != session.user.id), None)
            found = await self.store.sessions.get(other) if other else None
            if found is None:
                raise refuse(ErrorCode.NOT_FOUND)
            peer = session.peers[conv] = found[0]
        return peer

    async def _apparent_minor(self, user_id: str) -> bool:
        live = self.hub.sessions.get(user_id)
        if live is not None:
            return live.apparent_minor
        minor, _restrictions = await self.store.safety.user_flags(user_id)
        return minor

    async def _refuse_by_policy(
        self,
        conn: Connection,
        decision: Decision,
        text: str,
        channel: str,
        conv: str | None,
        cid: str,
        peer: User | None,
    ) -> None:
        """A held or blocked message: kept for the moderators (durably, before the answer), then
        the sender is told why. Nothing reaches anyone else."""
        session = conn.session
        await self.screening.record(
            session, decision, text, channel, conv, cid, recipient_id=peer.id if peer else None
        )
        newly_restricted = await self.screening.apply(session, decision)
        reasons = " ".join(decision.reasons) or "Contenu contraire aux règles de Causette."
        if decision.action is Action.BLOCK:
            code, message = ErrorCode.REFUSED_BY_POLICY, f"Message refusé : {reasons}"
        else:
            code, message = (
                ErrorCode.HELD_FOR_REVIEW,
                f"Message retenu pour vérification par un modérateur : {reasons}",
            )
        conn.send(f.error_frame(code, message, cid, conv))
        if newly_restricted:
            self._notice_user(session.user.id, "safety_restricted")

    async def _after_delivery(
        self,
        session: SessionState,
        decision: Decision,
        text: str,
        channel: str,
        conv: str | None,
        cid: str,
        seq: int | None,
        peer: User | None,
        request: str | None = None,
    ) -> None:
        """A delivered message that carried labels: warn the sender, notify the recipient, keep the
        event for the moderators. Notices name what they are about (conv+seq, or the request)."""
        about: dict[str, Any] = {"request": request} if request else {"conv": conv, "seq": seq}
        for _code in decision.effects.warn_codes[:1]:
            self._notice_user(session.user.id, "safety_warning", decision.reasons, **about)
        if peer is not None:
            for code in decision.effects.notify_recipient:
                self._notice_user(peer.id, code, **about)
        try:
            await self.screening.record(
                session, decision, text, channel, conv, cid, seq, peer.id if peer else None
            )
            if await self.screening.apply(session, decision):
                self._notice_user(session.user.id, "safety_restricted")
        except StoreError:
            log.warning("could not record a safety event", exc_info=True)

    def _notice_user(self, user_id: str, code: str, reasons: tuple[str, ...] = (), **about: Any) -> None:
        frame = {"t": "notice", "code": code, "text": notice_text(code, reasons)}
        frame.update((k, v) for k, v in about.items() if v is not None)
        payload = f.encode_dict(frame)
        self.bus.publish(Envelope(user_channel(user_id), payload))

    def publish_message(self, m: Message) -> None:
        self.bus.publish(_envelope(m))

    async def _typing(self, conn: Connection, frame: f.Typing) -> None:
        if frame.conv not in conn.session.convs:
            raise refuse(ErrorCode.NOT_MEMBER)
        payload = f.encode_dict(
            {
                "t": "typing",
                "conv": frame.conv,
                "user": {"id": conn.user.id, "pseudonym": conn.user.pseudonym},
            }
        )
        self.bus.publish(Envelope(frame.conv, payload, sender=conn.user.id, echo=False))

    # --- private messages -----------------------------------------------------------------------------------
    async def _pm_request(self, conn: Connection, frame: f.PmRequest) -> None:
        session, me = conn.session, conn.user
        text = self._check_text(frame.text)
        if frame.to == me.id:
            raise refuse(ErrorCode.SELF)
        self._check_timeout(session.timed_out_until)
        if RESTRICTED_PM in session.restrictions:
            raise refuse(ErrorCode.RESTRICTED)
        private = self.store.private
        again = await private.request_by_cid(me.id, frame.cid)
        if again is not None:
            conn.send(f.encode(f.Ack(cid=frame.cid, request=again.id)))
            return
        target = await self._living_user(frame.to)
        if target.id in session.blocked or target.id in session.blocked_by:
            raise refuse(ErrorCode.BLOCKED)
        existing = await private.conversation_between(me.id, target.id)
        if existing is not None:
            raise refuse(ErrorCode.ALREADY_OPEN, conv=existing)
        mine = await private.latest_between(me.id, target.id)
        if mine is not None and mine.status is RequestStatus.OPEN:
            raise refuse(ErrorCode.REQUEST_PENDING)
        if mine is not None and mine.status is RequestStatus.DECLINED:
            raise refuse(ErrorCode.DECLINED)
        theirs = await private.latest_between(target.id, me.id)
        if theirs is not None and theirs.status is RequestStatus.OPEN:
            # They asked first: asking back is accepting.
            await self._accept(theirs, target, me)
            conn.send(f.encode(f.Ack(cid=frame.cid, request=theirs.id)))
            return
        if await private.open_count(me.id) >= self.settings.max_open_requests:
            raise refuse(ErrorCode.TOO_MANY_REQUESTS)
        target_minor = await self._apparent_minor(target.id)
        decision = self.screening.check(session, text, frame.cid, "request", None, target, target_minor)
        if not decision.allowed:
            await self._refuse_by_policy(conn, decision, text, "request", None, frame.cid, target)
            return
        req = PmRequestRecord(
            id=new_id("q"),
            from_id=me.id,
            to_id=target.id,
            text=text,
            cid=frame.cid,
            status=RequestStatus.OPEN,
            at=now_ms(),
        )
        await private.create_request(req)
        conn.send(f.encode(f.Ack(cid=frame.cid, request=req.id)))
        self.bus.publish(Envelope(user_channel(target.id), f.encode_dict(_request_frame(req, me))))
        if decision.labels:
            self._spawn(
                self._after_delivery(
                    session, decision, text, "request", None, frame.cid, None, target, request=req.id
                )
            )

    async def _pm_answer(self, conn: Connection, frame: f.PmAnswer) -> None:
        me = conn.user
        req = await self.store.private.get_request(frame.request)
        if req is None or req.to_id != me.id or req.status is not RequestStatus.OPEN:
            raise refuse(ErrorCode.NOT_FOUND)
        if not frame.accept:
            # Silent to the sender: they learn it only from `declined` on their next attempt.
            await self.store.private.decline(req.id, now_ms())
            return
        sender = await self.store.sessions.get(req.from_id)
        if sender is None:
            raise refuse(ErrorCode.NOT_FOUND)
        await self._accept(req, sender[0], me)

    async def _accept(self, req: PmRequestRecord, sender: User, recipient: User) -> None:
        conv = new_id("pm-")
        if not await self.store.private.accept(req.id, conv, sender.id, recipient.id, now_ms()):
            raise refuse(ErrorCode.NOT_FOUND)
        for me, other in ((sender, recipient), (recipient, sender)):
            payload = f.encode_dict({"t": "pm_open", "conv": conv, "with": other.public()})
            self.bus.publish(Envelope(user_channel(me.id), payload, control="join", arg=conv))
        # The request's text is the conversation's first message.
        message, created = await self.store.messages.append(
            conv, sender.id, sender.pseudonym, sender.gender, req.cid, req.text
        )
        if created:
            self.publish_message(message)

    async def _living_user(self, user_id: str) -> User:
        user = await self.load_user(user_id)
        if user is None:
            raise refuse(ErrorCode.NOT_FOUND)
        return user

    # --- blocks and reports --------------------------------------------------------------------------------
    async def _block(self, conn: Connection, frame: f.Block) -> None:
        me = conn.user
        if frame.user == me.id:
            raise refuse(ErrorCode.SELF)
        if await self.store.sessions.get(frame.user) is None:
            raise refuse(ErrorCode.NOT_FOUND)
        await self.store.private.block(me.id, frame.user, now_ms())
        self.bus.publish(
            Envelope(
                user_channel(me.id),
                f.encode_dict({"t": "blocked", "user": frame.user}),
                control="block",
                arg=frame.user,
            )
        )
        self.bus.publish(Envelope(user_channel(frame.user), control="blocked_by", arg=me.id))

    async def _unblock(self, conn: Connection, frame: f.Unblock) -> None:
        me = conn.user
        await self.store.private.unblock(me.id, frame.user)
        self.bus.publish(
            Envelope(
                user_channel(me.id),
                f.encode_dict({"t": "unblocked", "user": frame.user}),
                control="unblock",
                arg=frame.user,
            )
        )
        self.bus.publish(Envelope(user_channel(frame.user), control="unblocked_by", arg=me.id))

    async def _report(self, conn: Connection, frame: f.Report) -> None:
        target = frame.target
        if self.report_categories and frame.category not in self.report_categories:
            raise refuse(ErrorCode.CATEGORY_INVALID)
        if target.conv is not None and target.conv not in conn.session.convs:
            raise refuse(ErrorCode.NOT_MEMBER)
        if target.conv is not None:
            if target.seq is None or await self.store.messages.get(target.conv, target.seq) is None:
                raise refuse(ErrorCode.NOT_FOUND)
        elif target.user is not None:
            if await self.store.sessions.get(target.user) is None:
                raise refuse(ErrorCode.NOT_FOUND)
        elif target.room is not None:
            if target.room not in self.catalogue and await self.store.rooms.get(target.room) is None:
                raise refuse(ErrorCode.NOT_FOUND)
        else:
            raise ChatError(ErrorCode.BAD_FRAME.value, "report: target needs conv+seq, user or room")
        report_id = new_id("r")
        device, _address = await self.store.sessions.network_of(conn.user.id)
        reporter_key = f"d:{device}" if device else f"u:{conn.user.id}"
        await self.store.reports.create(
            report_id,
            conn.user.id,
            conv=target.conv,
            seq=target.seq,
            user=target.user,
            room=target.room,
            category=frame.category,
            text=frame.text,
            now=now_ms(),
            reporter_key=reporter_key,
        )
        if self.on_report is not None:
            await self.on_report(
                report_id,
                conn.user.id,
                conv=target.conv,
                seq=target.seq,
                user=target.user,
                room=target.room,
                category=frame.category,
                reporter_key=reporter_key,
            )
        conn.send(f.encode_dict({"t": "reported", "id": report_id}))

    _handlers: ClassVar[dict[type, Callable[..., Any]]] = {
        f.Hello: _hello,
        f.Ping: _ping,
        f.Join: _join,
        f.Leave: _leave,
        f.Say: _say,
        f.PmRequest: _pm_request,
        f.PmAnswer: _pm_answer,
        f.Block: _block,
        f.Unblock: _unblock,
        f.Report: _report,
        f.Typing: _typing,
    }

    # --- moderation's effects (moderation.decisions.Enforcer) -------------------------------------
    def notify(self, user_id: str, frame: dict[str, Any]) -> None:
        """A frame to every socket of a session (statements of reasons, outcomes)."""
        self.bus.publish(Envelope(user_channel(user_id), f.encode_dict(frame)))

    async def timeout(self, user_id: str, until: int) -> None:
        """The session may not send before `until` (0 lifts it), on every node."""
        self.bus.publish(Envelope(user_channel(user_id), control="timeout", arg=str(until)))

    async def ban(self, user_id: str) -> None:
        """The session ends at once; its sockets close after the statement sent just before."""
        await self.end_session_id(user_id)

    async def unban(self, user_id: str) -> None:
        await self.store.sessions.unrevoke(user_id)
        self.revoked.discard(user_id)
        self.bus.publish(Envelope(PRESENCE, control="unrevoke", arg=user_id))

    async def retract(self, conv: str, seq: int) -> bool:
        """A moderator deleted a message: out of history, and off every client's screen."""
        if await self.store.messages.set_retracted(conv, seq, True) is None:
            return False
        self.bus.publish(Envelope(conv, f.encode_dict({"t": "retract", "conv": conv, "seq": seq})))
        return True

    async def restore(self, conv: str, seq: int) -> bool:
        """A deletion reversed on appeal: the message comes back, under its own seq."""
        message = await self.store.messages.set_retracted(conv, seq, False)
        if message is None:
            return False
        self.bus.publish(Envelope(conv, f.encode_dict(message.wire()), sender=message.sender_id))
        return True

    async def release_held(self, event_id: str) -> bool:
        """A moderator found a held message harmless: it is delivered now, as its author sent it."""
        event = await self.store.safety.get(event_id)
        if event is None or event.action != "hold" or event.status != "open":
            return False
        found = await self.store.sessions.get(event.user_id)
        if found is None or not await self.store.safety.set_status(event.id, "open", "released"):
            return False
        author, cid = found[0], event.cid or new_id("released-")
        if event.channel in ("room", "pm") and event.conv_id is not None:
            message, created = await self.store.messages.append(
                event.conv_id, author.id, author.pseudonym, author.gender, cid, event.text
            )
            if created:
                self.publish_message(message)
        elif event.channel == "request" and event.recipient_id is not None:
            private = self.store.private
            if await private.conversation_between(author.id, event.recipient_id) is None and not (
                await private.either_blocked(author.id, event.recipient_id)
            ):
                req = PmRequestRecord(
                    id=new_id("q"),
                    from_id=author.id,
                    to_id=event.recipient_id,
                    text=event.text,
                    cid=cid,
                    status=RequestStatus.OPEN,
                    at=now_ms(),
                )
                await private.create_request(req)
                self.bus.publish(
                    Envelope(user_channel(req.to_id), f.encode_dict(_request_frame(req, author)))
                )
        self.notify(
            author.id,
            {
                "t": "notice",
                "code": "message_released",
                "text": "Un modérateur a vérifié votre message retenu : il a été délivré.",
                "cid": event.cid,
                "conv": event.conv_id,
            },
        )
        return True

    async def lift_restriction(self, user_id: str, restriction: str) -> bool:
        """A restriction the engine set pending review ends with the review."""
        if not await self.store.safety.clear_restriction(user_id, restriction):
            return False
        self.bus.publish(Envelope(user_channel(user_id), control="unrestrict", arg=restriction))
        return True

    async def close_room(self, room_id: str) -> bool:
        members = await self.store.rooms.members_of(room_id)
        if not await self.store.rooms.set_closed(room_id, True, now_ms()):
            return False
        self.catalogue.pop(room_id, None)
        payload = f.encode_dict({"t": "room_closed", "conv": room_id})
        for member in members:
            self.bus.publish(Envelope(user_channel(member), payload, control="leave", arg=room_id))
        return True

    async def reopen_room(self, room_id: str) -> bool:
        if not await self.store.rooms.set_closed(room_id, False, now_ms()):
            return False
        room = await self.store.rooms.get(room_id)
        if room is not None and room.kind is RoomKind.PRIVATE and room.owner_id is not None:
            # Closing emptied the room; its owner gets it back (others rejoin by their invitation).
            await self.store.rooms.add_member(room.id, room.owner_id, now_ms())
            self.bus.publish(Envelope(user_channel(room.owner_id), control="join", arg=room.id))
        rooms = load_catalogue(self.settings.rooms_file)
        for room in rooms:
            if room.id == room_id:
                self.catalogue[room_id] = room
        return True

    # --- REST helpers ---------------------------------------------------------------------------
    async def rooms_for(self, user: User) -> list[dict[str, Any]]:
        session = self.hub.sessions.get(user.id)
        convs = session.convs if session else set(await self.store.rooms.conversations_of(user.id))
        rooms = list(self.catalogue.values()) + await self.store.rooms.private_rooms_visible_to(user.id)
        return [r.public(self.online_members(r.id), r.id in convs) for r in rooms]

    async def create_private_room(self, user: User, name: str, topic: str) -> dict[str, Any]:
        name = " ".join(name.split())
        if not 3 <= len(name) <= 40 or len(topic) > 200:
            raise ChatError("name_invalid", "Le nom doit faire de 3 à 40 caractères, le sujet 200 au plus.")
        for part in (name, topic):
            screened = self.screening.check_name(part) if part.strip() else None
            if screened is not None and not screened.allowed:
                raise ChatError(
                    "name_refused", "Ce nom ou ce sujet n'est pas accepté : " + " ".join(screened.reasons)
                )
        live = self.hub.sessions.get(user.id)
        self._check_timeout(
            live.timed_out_until if live else await self.store.decisions.timed_out_until(user.id, now_ms())
        )
        if await self.store.rooms.count_owned(user.id) >= self.settings.max_private_rooms_per_user:
            raise ChatError("too_many_rooms", "Vous avez déjà créé le nombre maximal de salons privés.")
        room = Room(
            id=new_id("r-"),
            name=name,
            kind=RoomKind.PRIVATE,
            topic=" ".join(topic.split()),
            owner_id=user.id,
            cap=self.settings.private_room_cap,
        )
        await self.store.rooms.create_private(room, now_ms())
        self.bus.publish(Envelope(user_channel(user.id), control="join", arg=room.id))
        return room.public(self.online_members(room.id), True)

    async def invite(self, user: User, room_id: str, invitee_id: str) -> None:
        room = await self.store.rooms.get(room_id)
        if room is None or room.kind is not RoomKind.PRIVATE:
            raise refuse(ErrorCode.NOT_FOUND)
        members = await self.store.rooms.members_of(room.id)
        if user.id not in members:
            raise refuse(ErrorCode.NOT_MEMBER)
        invitee = await self._living_user(invitee_id)
        if await self.store.private.either_blocked(user.id, invitee.id):
            raise refuse(ErrorCode.BLOCKED)
        if room.cap is not None and len(members) >= room.cap:
            raise refuse(ErrorCode.ROOM_FULL)
        await self.store.rooms.invite(room.id, invitee.id, user.id, now_ms())
        payload = f.encode_dict(
            {"t": "invited", "room": room.public(self.online_members(room.id)), "by": user.public()}
        )
        self.bus.publish(Envelope(user_channel(invitee.id), payload))

    async def online_users(
        self, viewer: User, age_min: int | None, age_max: int | None, gender: str | None, region: str | None
    ) -> list[dict[str, Any]]:
        viewer_session = self.hub.sessions.get(viewer.id)
        if viewer_session is not None:
            hidden = viewer_session.blocked | viewer_session.blocked_by
        else:  # the viewer's sockets are on another node, or closed
            hidden = await self.store.private.blocked_by(viewer.id) | await self.store.private.blockers_of(
                viewer.id
            )
        if region == "mine":
            region = viewer.region
        out = []
        seen: set[str] = set()
        local = (s.user.public() for s in self.hub.sessions.values())
        for u in itertools.chain(local, self.cluster.remote_users()):
            uid = u["id"]
            if (
                uid in seen
                or uid in hidden
                or (age_min is not None and u["age"] < age_min)
                or (age_max is not None and u["age"] > age_max)
                or (gender and u["gender"] != gender)
                or (region and u["region"] != region)
            ):
                continue
            seen.add(uid)
            out.append(u)
        out.sort(key=lambda u: str(u["pseudonym"]).casefold())
        return out

    async def history(self, user: User, conv: str, before: int | None, limit: int) -> list[dict[str, Any]]:
        convs = set(await self.store.rooms.conversations_of(user.id))
        if conv not in convs:
            raise refuse(ErrorCode.NOT_MEMBER)
        session = self.hub.sessions.get(user.id)
        hidden = session.blocked if session else await self.store.private.blocked_by(user.id)
        msgs = await self.store.messages.latest(conv, max(1, min(limit, 100)), before)
        return [m.wire() for m in msgs if m.sender_id not in hidden]


def _envelope(m: Message) -> Envelope:
    """A stored message as it travels on the bus: encoded once, for every member."""
    return Envelope(m.conv, f.encode_dict(m.wire()), sender=m.sender_id, seq=m.seq)


def _request_frame(req: PmRequestRecord, sender: User) -> dict[str, Any]:
    return {"t": "pm_request", "request": req.id, "from": sender.public(), "preview": req.text, "at": req.at}


def _str(value: object, code: str) -> str:
    if not isinstance(value, str):
        raise DomainError(code, "Champ manquant ou invalide.")
    return value

"""The hub: this node's sockets by conversation and by session, and delivery of encoded frames."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from causette.bus.base import PRESENCE, Envelope, user_channel
from causette.chat import hub as hub_module
from causette.chat.hub import Connection, ConnState, Hub, SessionState
from causette.domain.models import User
from causette.protocol.errors import CloseCode

SEND_LIMIT = 1000
HOLD_LIMIT = 5


class FakeSink:
    """Records what the hub writes to one socket; `backlog` plays the transport's write buffer."""

    def __init__(self, backlog: int = 0) -> None:
        self.sent: list[bytes] = []
        self.closes: list[tuple[int, str]] = []
        self.backlog = backlog
        self.on_close: Callable[[], object] | None = None

    def send(self, payload: bytes) -> None:
        self.sent.append(payload)

    def close(self, code: int, reason: str) -> None:
        self.closes.append((code, reason))
        if self.on_close is not None:
            self.on_close()

    def buffered(self) -> int:
        return self.backlog


def user(uid: str, age: int = 30) -> User:
    return User(uid, "P" + uid, "p" + uid, age, "x", "75", "ile-de-france")


class Node:
    """A hub with helpers to open sessions and sockets on it."""

    def __init__(self) -> None:
        self.hub = Hub()
        self.sessions: dict[str, SessionState] = {}

    def session(self, uid: str, *convs: str, blocked: set[str] | None = None) -> SessionState:
        if uid not in self.sessions:
            self.sessions[uid] = SessionState(user(uid), set(convs), blocked or set(), set())
        return self.sessions[uid]

    def socket(
        self,
        uid: str,
        *convs: str,
        state: ConnState = ConnState.READY,
        blocked: set[str] | None = None,
        backlog: int = 0,
    ) -> tuple[Connection, FakeSink]:
        sink = FakeSink(backlog)
        conn = Connection(
            sink=sink,
            session=self.session(uid, *convs, blocked=blocked),
            bucket=None,
            send_limit=SEND_LIMIT,
            hold_limit=HOLD_LIMIT,
            state=state,
        )
        self.hub.attach(conn)
        return conn, sink


@pytest.fixture
def node() -> Node:
    return Node()


def msg(conv: str = "general", seq: int = 1, sender: str = "a", text: str = "hi") -> Envelope:
    payload = f'{{"t":"msg","conv":"{conv}","seq":{seq},"text":"{text}"}}'.encode()
    return Envelope(conv, payload, sender=sender, seq=seq)


# --- delivery to a conversation ------------------------------------------------------------------------


def test_conversation_frame_reaches_its_members_only(node: Node) -> None:
    _, alice = node.socket("a", "general")
    _, bob = node.socket("b", "general")
    _, carol = node.socket("c", "musique")
    env = msg()
    node.hub.deliver(env)
    assert alice.sent == [env.payload]
    assert bob.sent == [env.payload]
    assert carol.sent == []


def test_every_member_gets_the_same_bytes_object(node: Node) -> None:
    sinks = [node.socket(uid, "general")[1] for uid in "abcdef"]
    env = msg()
    node.hub.deliver(env)
    assert all(len(s.sent) == 1 and s.sent[0] is env.payload for s in sinks)


def test_every_socket_of_a_session_gets_the_frame(node: Node) -> None:
    _, tab1 = node.socket("a", "general")
    _, tab2 = node.socket("a")
    env = msg(sender="b")
    node.hub.deliver(env)
    assert tab1.sent == tab2.sent == [env.payload]


def test_frame_of_a_conversation_without_members_here_is_dropped(node: Node) -> None:
    _, alice = node.socket("a", "general")
    node.hub.deliver(msg("nowhere"))
    assert alice.sent == []


def test_frames_keep_their_order(node: Node) -> None:
    _, alice = node.socket("a", "general")
    envs = [msg(seq=i) for i in range(1, 6)]
    for env in envs:
        node.hub.deliver(env)
    assert alice.sent == [e.payload for e in envs]


def test_blocked_senders_frames_are_skipped_for_the_blocker_only(node: Node) -> None:
    _, blocker = node.socket("a", "general", blocked={"m"})
    _, other = node.socket("b", "general")
    _, mallory = node.socket("m", "general")
    env = msg(sender="m")
    node.hub.deliver(env)
    assert blocker.sent == []
    assert other.sent == [env.payload]
    assert mallory.sent == [env.payload]


def test_blocked_user_still_sees_the_blockers_room_messages(node: Node) -> None:
    # The contract hides the blocked user's messages from the blocker, not the other way round.
    node.socket("a", "general", blocked={"m"})
    _, mallory = node.socket("m", "general")
    node.sessions["m"].blocked_by.add("a")
    env = msg(sender="a")
    node.hub.deliver(env)
    assert mallory.sent == [env.payload]


def test_blockers_other_frames_still_arrive(node: Node) -> None:
    _, blocker = node.socket("a", "general", blocked={"m"})
    env = msg(sender="b")
    node.hub.deliver(env)
    assert blocker.sent == [env.payload]


def test_frame_without_echo_skips_every_socket_of_the_sender(node: Node) -> None:
    _, tab1 = node.socket("a", "general")
    _, tab2 = node.socket("a")
    _, bob = node.socket("b", "general")
    env = Envelope("general", b'{"t":"typing"}', sender="a", echo=False)
    node.hub.deliver(env)
    assert tab1.sent == tab2.sent == []
    assert bob.sent == [env.payload]


def test_frame_with_echo_reaches_the_sender_too(node: Node) -> None:
    _, alice = node.socket("a", "general")
    env = msg(sender="a")
    node.hub.deliver(env)
    assert alice.sent == [env.payload]


# --- held frames -----------------------------------------------------------------------------------------


def test_frames_are_held_while_the_socket_waits_for_hello(node: Node) -> None:
    conn, sink = node.socket("a", "general", state=ConnState.OPEN)
    first, second = msg(seq=1), msg(seq=2)
    node.hub.deliver(first)
    node.hub.deliver(second)
    assert sink.sent == []
    assert conn.held == [("general", 1, first.payload), ("general", 2, second.payload)]


def test_frames_flow_once_the_socket_is_ready(node: Node) -> None:
    conn, sink = node.socket("a", "general", state=ConnState.OPEN)
    held = msg(seq=1)
    node.hub.deliver(held)
    # What the service does on hello: send the held frames, then mark the socket ready.
    for _, _, payload in conn.held:
        conn.send(payload)
    conn.held.clear()
    conn.state = ConnState.READY
    live = msg(seq=2)
    node.hub.deliver(live)
    assert sink.sent == [held.payload, live.payload]
    assert conn.held == []


def test_unsequenced_frames_are_not_held_before_hello(node: Node) -> None:
    # Typing is ephemeral: nothing to resume, so it is dropped rather than held.
    conn, sink = node.socket("a", "general", state=ConnState.OPEN)
    node.hub.deliver(Envelope("general", b'{"t":"typing"}', sender="b", echo=False))
    assert sink.sent == []
    assert conn.held == []


def test_unsequenced_frames_reach_ready_sockets(node: Node) -> None:
    _, sink = node.socket("a", "general")
    env = Envelope("general", b'{"t":"typing"}', sender="b", echo=False)
    node.hub.deliver(env)
    assert sink.sent == [env.payload]


def test_socket_that_holds_too_many_frames_before_hello_is_closed_with_1013(node: Node) -> None:
    conn, sink = node.socket("a", "general", state=ConnState.OPEN)
    for seq in range(1, HOLD_LIMIT + 1):
        node.hub.deliver(msg(seq=seq))
    assert sink.closes == []
    node.hub.deliver(msg(seq=HOLD_LIMIT + 1))
    assert [code for code, _ in sink.closes] == [CloseCode.TRY_AGAIN_LATER]
    assert conn.closed


def test_frames_at_or_below_the_sockets_floor_are_duplicates(node: Node) -> None:
    """A socket that resumed (or joined) up to seq 5 already has 1..5 from the store: a node's
    late backlog of them is dropped; later frames and other conversations pass."""
    conn, sink = node.socket("a", "general", "musique")
    conn.floor["general"] = 5
    for seq in (4, 5, 6):
        node.hub.deliver(msg(seq=seq))
    node.hub.deliver(msg("musique", seq=2))
    assert [b'"seq":6' in p for p in sink.sent] == [True, False]
    assert b'"conv":"musique"' in sink.sent[1]


def test_joining_holds_that_conversations_frames(node: Node) -> None:
    conn, sink = node.socket("a", "general", "musique")
    conn.joining["general"] = []
    held = msg("general", seq=9)
    other = msg("musique", seq=3)
    node.hub.deliver(held)
    node.hub.deliver(other)
    assert conn.joining["general"] == [(9, held.payload)]
    assert sink.sent == [other.payload]


def test_joining_on_one_socket_does_not_hold_the_sessions_other_sockets(node: Node) -> None:
    conn, tab1 = node.socket("a", "general")
    _, tab2 = node.socket("a")
    conn.joining["general"] = []
    env = msg()
    node.hub.deliver(env)
    assert tab1.sent == []
    assert tab2.sent == [env.payload]


# --- slow readers --------------------------------------------------------------------------------------


def test_slow_reader_is_closed_with_1013_and_the_others_still_receive(node: Node) -> None:
    _, fast1 = node.socket("a", "general")
    slow_conn, slow = node.socket("s", "general", backlog=SEND_LIMIT + 1)
    _, fast2 = node.socket("b", "general")
    env = msg(sender="z")
    node.hub.deliver(env)
    assert slow.closes == [(CloseCode.TRY_AGAIN_LATER, "send queue full: reconnect and resume")]
    assert slow_conn.state is ConnState.CLOSED
    assert fast1.sent == [env.payload]
    assert fast2.sent == [env.payload]


def test_closed_slow_reader_gets_nothing_more(node: Node) -> None:
    _, slow = node.socket("s", "general", backlog=SEND_LIMIT + 1)
    node.hub.deliver(msg(seq=1))
    node.hub.deliver(msg(seq=2))
    assert len(slow.sent) == 1
    assert len(slow.closes) == 1


def test_send_queue_exactly_at_the_limit_is_tolerated(node: Node) -> None:
    conn, sink = node.socket("a", "general", backlog=SEND_LIMIT)
    node.hub.deliver(msg())
    assert sink.closes == []
    assert conn.state is ConnState.READY


def test_socket_detached_while_being_closed_does_not_break_delivery(node: Node) -> None:
    # A transport may report the disconnect synchronously from close(): the member set then
    # changes during the delivery loop.
    _, fast1 = node.socket("a", "general")
    slow_conn, slow = node.socket("s", "general", backlog=SEND_LIMIT + 1)
    _, fast2 = node.socket("b", "general")
    slow.on_close = lambda: node.hub.detach(slow_conn)
    env = msg(sender="z")
    node.hub.deliver(env)
    assert fast1.sent == fast2.sent == [env.payload]
    assert node.hub.online_members("general") == 2


def test_closing_twice_closes_the_transport_once(node: Node) -> None:
    conn, sink = node.socket("a")
    conn.close(CloseCode.GOING_AWAY, "bye")
    conn.close(CloseCode.POLICY_VIOLATION, "again")
    assert sink.closes == [(CloseCode.GOING_AWAY, "bye")]


def test_closed_socket_sends_nothing(node: Node) -> None:
    conn, sink = node.socket("a", "general")
    conn.close(CloseCode.GOING_AWAY, "bye")
    conn.send(b"x")
    conn.push("general", 1, b"y")
    assert sink.sent == []


# --- the user channel: session control --------------------------------------------------------------


def test_join_control_subscribes_every_socket_of_the_session(node: Node) -> None:
    _, tab1 = node.socket("a")
    _, tab2 = node.socket("a")
    node.hub.deliver(Envelope(user_channel("a"), control="join", arg="general"))
    assert "general" in node.sessions["a"].convs
    env = msg()
    node.hub.deliver(env)
    assert tab1.sent == tab2.sent == [env.payload]


def test_leave_control_unsubscribes_the_session(node: Node) -> None:
    _, sink = node.socket("a", "general")
    left = b'{"t":"left","conv":"general"}'
    node.hub.deliver(Envelope(user_channel("a"), left, control="leave", arg="general"))
    assert "general" not in node.sessions["a"].convs
    node.hub.deliver(msg())
    assert sink.sent == [left]
    assert "general" not in node.hub.by_conv


def test_block_control_hides_the_blocked_users_frames(node: Node) -> None:
    _, sink = node.socket("a", "general")
    node.hub.deliver(Envelope(user_channel("a"), control="block", arg="m"))
    assert node.sessions["a"].blocked == {"m"}
    node.hub.deliver(msg(sender="m"))
    assert sink.sent == []


def test_unblock_control_shows_the_users_frames_again(node: Node) -> None:
    _, sink = node.socket("a", "general", blocked={"m"})
    node.hub.deliver(Envelope(user_channel("a"), control="unblock", arg="m"))
    assert node.sessions["a"].blocked == set()
    env = msg(sender="m")
    node.hub.deliver(env)
    assert sink.sent == [env.payload]


def test_blocked_by_and_unblocked_by_controls_update_the_session(node: Node) -> None:
    node.socket("a")
    node.hub.deliver(Envelope(user_channel("a"), control="blocked_by", arg="m"))
    assert node.sessions["a"].blocked_by == {"m"}
    node.hub.deliver(Envelope(user_channel("a"), control="unblocked_by", arg="m"))
    assert node.sessions["a"].blocked_by == set()


def test_close_control_sends_its_frame_then_closes_every_socket_of_the_session(node: Node) -> None:
    _, tab1 = node.socket("a")
    _, tab2 = node.socket("a")
    _, bob = node.socket("b")
    notice = b'{"t":"notice"}'
    node.hub.deliver(Envelope(user_channel("a"), notice, control="close", arg=str(CloseCode.SESSION_ENDED)))
    for sink in (tab1, tab2):
        assert sink.sent == [notice]
        assert sink.closes == [(CloseCode.SESSION_ENDED, "session ended")]
    assert bob.sent == []
    assert bob.closes == []


def test_user_channel_payload_reaches_every_socket_of_that_session_only(node: Node) -> None:
    _, tab1 = node.socket("a")
    _, tab2 = node.socket("a")
    _, bob = node.socket("b")
    frame = b'{"t":"pm_request"}'
    node.hub.deliver(Envelope(user_channel("a"), frame))
    assert tab1.sent == tab2.sent == [frame]
    assert bob.sent == []


def test_user_channel_payload_waits_for_hello_on_a_new_socket(node: Node) -> None:
    # It must follow the welcome and the resume, like conversation frames.
    _, ready = node.socket("a")
    waiting_conn, waiting = node.socket("a", state=ConnState.OPEN)
    frame = b'{"t":"pm_request"}'
    node.hub.deliver(Envelope(user_channel("a"), frame))
    assert ready.sent == [frame]
    assert waiting.sent == []
    assert [payload for _, _, payload in waiting_conn.held] == [frame]


def test_user_channel_of_a_session_not_on_this_node_is_ignored(node: Node) -> None:
    _, bob = node.socket("b")
    node.hub.deliver(Envelope(user_channel("nobody"), b"x", control="close", arg="4001"))
    assert bob.sent == []
    assert bob.closes == []


def test_control_without_payload_sends_nothing(node: Node) -> None:
    _, sink = node.socket("a")
    node.hub.deliver(Envelope(user_channel("a"), control="block", arg="m"))
    assert sink.sent == []


# --- presence -----------------------------------------------------------------------------------------


def test_presence_is_broadcast_to_ready_sockets_only(node: Node) -> None:
    _, ready1 = node.socket("a")
    _, ready2 = node.socket("b", "general")
    _, waiting = node.socket("c", state=ConnState.OPEN)
    closed_conn, closed = node.socket("d")
    closed_conn.close(CloseCode.GOING_AWAY, "bye")
    env = Envelope(PRESENCE, b'{"t":"presence","online":[],"offline":["z"]}')
    node.hub.deliver(env)
    assert ready1.sent[0] is env.payload
    assert ready2.sent == [env.payload]
    assert waiting.sent == []
    assert closed.sent == []


def test_presence_reaches_each_socket_once_whatever_its_conversations(node: Node) -> None:
    _, sink = node.socket("a", "general", "musique", "sport")
    node.hub.deliver(Envelope(PRESENCE, b"p"))
    assert sink.sent == [b"p"]


# --- membership bookkeeping --------------------------------------------------------------------------


def test_attach_registers_the_socket_in_its_sessions_conversations(node: Node) -> None:
    conn, _ = node.socket("a", "general", "pm-1")
    assert node.hub.by_conv["general"] == {conn}
    assert node.hub.by_conv["pm-1"] == {conn}
    assert node.hub.sessions["a"] is node.sessions["a"]
    assert list(node.hub.connections()) == [conn]


def test_detach_is_true_only_for_the_sessions_last_socket(node: Node) -> None:
    tab1, _ = node.socket("a", "general")
    tab2, _ = node.socket("a")
    assert node.hub.detach(tab1) is False
    assert "a" in node.hub.sessions
    assert node.hub.by_conv["general"] == {tab2}
    assert node.hub.detach(tab2) is True
    assert "a" not in node.hub.sessions
    assert "general" not in node.hub.by_conv


def test_detach_leaves_other_sessions_in_place(node: Node) -> None:
    alice, _ = node.socket("a", "general")
    bob, _ = node.socket("b", "general")
    assert node.hub.detach(alice) is True
    assert node.hub.by_conv["general"] == {bob}
    assert set(node.hub.sessions) == {"b"}


def test_membership_outlives_the_sockets_of_a_session(node: Node) -> None:
    conn, _ = node.socket("a", "general")
    node.hub.detach(conn)
    session = node.sessions["a"]
    assert session.convs == {"general"}
    again, sink = node.socket("a")
    env = msg()
    node.hub.deliver(env)
    assert sink.sent == [env.payload]
    assert node.hub.by_conv["general"] == {again}


def test_online_members_counts_sessions_not_sockets(node: Node) -> None:
    for _ in range(3):
        node.socket("a", "general")
    node.socket("b", "general")
    node.socket("c", "musique")
    assert node.hub.online_members("general") == 2
    assert node.hub.online_members("musique") == 1
    assert node.hub.online_members("nowhere") == 0


def test_subscribe_and_unsubscribe_follow_the_session(node: Node) -> None:
    tab1, _ = node.socket("a")
    tab2, _ = node.socket("a")
    session = node.sessions["a"]
    node.hub.subscribe(session, "general")
    assert node.hub.by_conv["general"] == {tab1, tab2}
    assert node.hub.online_members("general") == 1
    node.hub.unsubscribe(session, "general")
    assert "general" not in node.hub.by_conv
    assert session.convs == set()


def test_unsubscribing_a_conversation_not_joined_is_harmless(node: Node) -> None:
    node.socket("a")
    node.hub.unsubscribe(node.sessions["a"], "never")
    assert node.sessions["a"].convs == set()


def test_connection_exposes_its_sessions_user(node: Node) -> None:
    conn, _ = node.socket("a")
    assert conn.user is node.sessions["a"].user
    assert conn.closed is False


# --- bad frames ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(hub_module, "time", SimpleNamespace(monotonic=fake))
    return fake


def test_bad_frames_up_to_the_threshold_are_tolerated(node: Node, clock: Clock) -> None:
    conn, _ = node.socket("a")
    assert [conn.note_bad_frame(10) for _ in range(10)] == [False] * 10
    assert conn.note_bad_frame(10) is True


def test_bad_frames_older_than_a_minute_are_forgotten(node: Node, clock: Clock) -> None:
    conn, _ = node.socket("a")
    for _ in range(10):
        conn.note_bad_frame(10)
    clock.now += 60.5
    assert conn.note_bad_frame(10) is False
    assert len(conn.bad_frames) == 1


def test_bad_frames_spread_over_a_minute_still_count(node: Node, clock: Clock) -> None:
    conn, _ = node.socket("a")
    results = []
    for _ in range(11):
        results.append(conn.note_bad_frame(10))
        clock.now += 5.0  # 11 frames within 50 s
    assert results == [False] * 10 + [True]


def test_bad_frame_threshold_of_zero_trips_on_the_first(node: Node, clock: Clock) -> None:
    conn, _ = node.socket("a")
    assert conn.note_bad_frame(0) is True


def test_online_members_follows_joins_leaves_and_sockets(node: Node) -> None:
    tab1, _ = node.socket("a", "general")
    tab2, _ = node.socket("a")
    b, _ = node.socket("b")
    hub = node.hub
    assert hub.online_members("general") == 1
    hub.subscribe(node.sessions["b"], "general")
    hub.subscribe(node.sessions["b"], "general")  # twice: counted once
    assert hub.online_members("general") == 2
    hub.detach(tab1)
    assert hub.online_members("general") == 2  # a's other tab is still here
    hub.detach(tab2)
    hub.detach(tab2)  # twice: counted once
    assert hub.online_members("general") == 1
    hub.unsubscribe(node.sessions["b"], "general")
    assert hub.online_members("general") == 0
    hub.subscribe(node.sessions["b"], "musique")
    hub.detach(b)
    assert hub.present() == {}
    # Membership without sockets is not presence; a socket brings it back.
    node.socket("b")
    assert hub.present() == {"musique": 1}

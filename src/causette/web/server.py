"""One process, one event loop (uvloop): the HTTP app on uvicorn and the picows gateway."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket

import uvicorn

from causette.bus.base import Bus
from causette.bus.cluster import RedisCluster
from causette.bus.local import LocalBus
from causette.bus.redis import RedisBus
from causette.chat.service import ChatService
from causette.chat.tokens import TokenSigner, load_secret
from causette.governance.legal import export_case
from causette.governance.signing import load_signing_key
from causette.moderation.accounts import Accounts, SecretBox
from causette.moderation.audit import AuditLog
from causette.moderation.cases import Cases
from causette.moderation.catalog import categories
from causette.moderation.decisions import Moderation, Policy
from causette.moderation.notices import Notices, parse_trusted
from causette.safety.classifier import Classifier
from causette.safety.engine import SafetyEngine
from causette.settings import Settings
from causette.store import Store
from causette.web.app import create_app
from causette.web.gateway import Gateway

log = logging.getLogger(__name__)


def reuse_port_sockets(host: str, port: int) -> list[socket.socket]:
    """Bound sockets for the HTTP port with SO_REUSEPORT, one per address of `host`, as
    loop.create_server would make them: the workers of `causette serve --workers N` all bind the
    same port and the kernel spreads connections over them. uvicorn listens on them."""
    sockets: list[socket.socket] = []
    seen: set[tuple[int, object]] = set()
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    try:
        for family, kind, proto, _, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


async def serve(settings: Settings) -> None:
    store = Store.open(
        settings.effective_database_url, settings.sqlite_synchronous, settings.group_commit_max_batch
    )
    signer = TokenSigner(load_secret(settings.secret, settings.data_dir))
    engine = SafetyEngine.default(settings.safety_lexicon_dir, settings.safety_policy_file)
    model = Classifier.load(settings.safety_classifier_file) if settings.safety_classifier_file else None
    cases = Cases(store)
    bus: Bus = (
        RedisBus(settings.redis_url, prefix=settings.redis_prefix) if settings.redis_url else LocalBus()
    )
    service = ChatService(
        settings,
        store,
        bus,
        signer,
        engine,
        model,
        on_report=cases.on_report,
        on_flag=cases.on_flag,
        report_categories=frozenset(categories()),
        cluster=RedisCluster(settings.redis_url, settings.redis_prefix) if settings.redis_url else None,
    )
    audit = AuditLog(store.audit)

    signing_key = load_signing_key(settings.data_dir)

    async def exporter(case_id: str) -> tuple[str, str]:
        result = await export_case(store, case_id, settings.effective_exports_dir, signing_key=signing_key)
        return str(result.path), result.manifest_sha256

    policy = Policy(
        ban_network_max_days=settings.ban_network_max_days,
        unfounded_warning=settings.unfounded_reports_warning,
        unfounded_window_days=settings.unfounded_reports_window_days,
        deprioritise_days=settings.deprioritise_days,
    )
    moderation = Moderation(store, audit, service, policy, exporter)
    accounts = Accounts(store.moderators, audit, SecretBox(load_secret(settings.secret, settings.data_dir)))
    notices = Notices(store, cases, parse_trusted(settings.trusted_flaggers))
    await service.start()
    # One of the workers of `causette serve --workers N` (web/workers.py): the ports are shared.
    # A single process binds them alone, so that a second one on the same ports fails.
    reuse_port = settings.workers > 1
    gateway = Gateway(service, settings)
    try:
        await gateway.start(reuse_port=reuse_port)
    except BaseException:  # the port is taken: leave the cluster as cleanly as on a stop
        await service.stop()
        raise
    # Everything loaded so far (lexicons, automata, compiled patterns, the app) lives as long as
    # the process: moved out of the collector's sight, it no longer lengthens every full
    # collection, which shows as latency spikes on the message path.
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        create_app(service, settings, moderation, accounts, notices),
        host=settings.host,
        port=settings.port,
        backlog=settings.listen_backlog,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        lifespan="off",
        loop="none",
        http="httptools",
    )
    server = uvicorn.Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    log.info(
        "Causette on http://%s:%d (database: %s)",
        settings.host,
        settings.port,
        settings.effective_database_url.split("@")[-1],
    )
    try:
        await server.serve(sockets=reuse_port_sockets(settings.host, settings.port) if reuse_port else None)
    finally:
        await gateway.stop()
        await service.stop()

"""One process, one event loop (uvloop): the HTTP app on uvicorn and the picows gateway."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

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
    gateway = Gateway(service, settings)
    await gateway.start()
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
        lifespan="off",
        loop="none",
        http="h11",
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
        await server.serve()
    finally:
        await gateway.stop()
        await service.stop()

"""The `causette` command: serve, migrate, moderator, audit, legal, safety."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from causette.settings import Settings, SettingsError, load_settings


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML config file (env CAUSETTE_CONFIG)")
    p.add_argument(
        "--data-dir", dest="data_dir", help="data directory (env CAUSETTE_DATA_DIR; default ./var)"
    )
    p.add_argument(
        "--database-url",
        dest="database_url",
        help="sqlite:///path or postgresql://user@host/db (env CAUSETTE_DATABASE_URL)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="causette", description="Causette chat server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database and run the server")
    _add_common(serve)
    serve.add_argument("--host", help="listen address (env CAUSETTE_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (env CAUSETTE_PORT; default 8000)")
    serve.add_argument(
        "--ws-port",
        dest="ws_port",
        type=int,
        help="WebSocket port (env CAUSETTE_WS_PORT; default: the HTTP port + 1)",
    )
    serve.add_argument(
        "--redis-url", dest="redis_url", help="Redis URL for clusters (env CAUSETTE_REDIS_URL)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="processes sharing the ports (SO_REUSEPORT); more than 1 needs PostgreSQL and Redis "
        "(env CAUSETTE_WORKERS; default 1)",
    )
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations on start")
    # Internal: how the supervisor of `--workers N` starts each worker (web/workers.py).
    serve.add_argument("--worker-of", dest="worker_of", type=int, help=argparse.SUPPRESS)
    migrate = sub.add_parser("migrate", help="apply database migrations")
    _add_common(migrate)

    moderator = sub.add_parser("moderator", help="moderator accounts")
    moderator_sub = moderator.add_subparsers(dest="moderator_command", required=True)
    add = moderator_sub.add_parser("add", help="create a moderator account (prints its TOTP URI once)")
    add.add_argument("name")
    add.add_argument("--role", choices=("moderator", "admin", "legal"), default="moderator")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _add_common(add)

    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check the hash chain: exit 0 if intact, 1 naming the first bad entry"
    )
    _add_common(verify)

    legal = sub.add_parser("legal", help="DSA art. 18: legal holds and packages for authorities")
    legal_sub = legal.add_subparsers(dest="legal_command", required=True)
    export = legal_sub.add_parser(
        "export", help="put a case under legal hold and write its package for authorities"
    )
    export.add_argument("--case", required=True, dest="case_id", help="the case id (c…)")
    export.add_argument(
        "--out", help="directory of the packages (env CAUSETTE_EXPORTS_DIR; default <data_dir>/exports)"
    )
    _add_common(export)
    hold = legal_sub.add_parser("hold", help="put a case under legal hold (retention keeps it)")
    hold.add_argument("--case", required=True, dest="case_id", help="the case id (c…)")
    hold.add_argument("--release", action="store_true", help="lift the hold instead")
    _add_common(hold)
    pubkey = legal_sub.add_parser(
        "pubkey", help="print the public key that signs the packages, and its fingerprint"
    )
    _add_common(pubkey)

    safety = sub.add_parser("safety", help="the safety engine offline: classify, eval, train")
    safety_sub = safety.add_subparsers(dest="safety_command", required=True)
    classify = safety_sub.add_parser(
        "classify",
        help='JSON lines {"id","text","channel","sender_age","recipient_age"} on stdin → decisions',
    )
    evaluate = safety_sub.add_parser("eval", help="precision and recall per label on a labelled JSONL file")
    evaluate.add_argument("file")
    evaluate.add_argument("--misses", action="store_true", help="list the messages the engine got wrong")
    evaluate.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    for p in (classify, evaluate):
        p.add_argument("--config", help="TOML config file (safety_policy_file, safety_lexicon_dir)")
        p.add_argument("--model", help="also apply a model made by `causette safety train`")
    train = safety_sub.add_parser("train", help="train the optional scikit-learn stage on labelled JSONL")
    train.add_argument("file")
    train.add_argument("--out", required=True, help="where to write the model (joblib)")
    return parser


def _read_jsonl(stream: Iterable[str], name: str) -> Iterator[dict[str, Any]]:
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"{name}:{n}: not JSON: {exc}") from exc
        if not isinstance(item, dict):
            raise SettingsError(f"{name}:{n}: each line must be a JSON object")
        yield item


async def _moderator_add(settings: Settings, args: argparse.Namespace) -> int:
    import getpass

    from causette.chat.tokens import load_secret
    from causette.moderation.accounts import AccountError, Accounts, SecretBox
    from causette.moderation.audit import AuditLog
    from causette.store import Store

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("causette: the passwords differ", file=sys.stderr)
            return 2
    store = Store.open(settings.effective_database_url, settings.sqlite_synchronous)
    try:
        box = SecretBox(load_secret(settings.secret, settings.data_dir))
        accounts = Accounts(store.moderators, AuditLog(store.audit), box)
        moderator, uri = await accounts.add(args.name, args.role, password)
    except AccountError as exc:
        print(f"causette: {exc.message}", file=sys.stderr)
        return 2
    finally:
        await store.engine.dispose()
    print(f"moderator {moderator.name} ({moderator.role}) created.")
    print("Add this to an authenticator app now; it is not shown again:")
    print(uri)
    return 0


async def _audit_verify(settings: Settings) -> int:
    from causette.moderation.audit import AuditLog
    from causette.store import Store

    store = Store.open(settings.effective_database_url, settings.sqlite_synchronous)
    try:
        verdict = await AuditLog(store.audit).verify()
    finally:
        await store.engine.dispose()
    if verdict.ok:
        print(f"audit chain intact: {verdict.entries} entries")
        return 0
    print(f"audit chain BROKEN at entry {verdict.first_bad}: {verdict.reason}")
    return 1


async def _legal(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from causette.governance.legal import LegalError, export_case, set_hold
    from causette.governance.signing import load_signing_key
    from causette.moderation.audit import AuditLog
    from causette.store import Store

    store = Store.open(settings.effective_database_url, settings.sqlite_synchronous)
    target = f"case:{args.case_id}"
    try:
        audit = AuditLog(store.audit)
        if args.legal_command == "export":
            out = Path(args.out) if args.out else settings.effective_exports_dir
            key = load_signing_key(settings.data_dir)
            result = await export_case(store, args.case_id, out, signing_key=key)
            await audit.record(
                "cli",
                "legal.export",
                target,
                {"manifest_sha256": result.manifest_sha256, "path": str(result.path), "files": result.files},
            )
            print(f"package: {result.path}")
            print(f"manifest SHA-256: {result.manifest_sha256}")
            print(f"case {args.case_id} is under legal hold")
            return 0
        hold = not args.release
        await set_hold(store, args.case_id, hold)
        await audit.record("cli", "legal.hold" if hold else "legal.release", target, {"legal_hold": hold})
        print(f"case {args.case_id} is {'under' if hold else 'no longer under'} legal hold")
        return 0
    except LegalError as exc:
        print(f"causette: {exc.message}", file=sys.stderr)
        return 2
    finally:
        await store.engine.dispose()


def _safety(args: argparse.Namespace) -> int:
    from causette.safety.classifier import Classifier
    from causette.safety.engine import SafetyEngine
    from causette.safety.evaluation import classify, evaluate

    if args.safety_command == "train":
        with open(args.file, encoding="utf-8") as fh:
            trained = Classifier.train(_read_jsonl(fh, args.file))
        trained.save(args.out)
        print(f"model with labels {', '.join(trained.labels)} written to {args.out}")
        return 0
    settings = load_settings(args.config, {})
    engine = SafetyEngine.default(settings.safety_lexicon_dir, settings.safety_policy_file)
    model = Classifier.load(args.model) if args.model else None
    if args.safety_command == "classify":
        for item in _read_jsonl(sys.stdin, "stdin"):
            decision = classify(engine, item)
            labels = set(decision.labels)
            if model is not None:
                labels |= set(model.labels_of(str(item.get("text", ""))))
            out = {
                "id": item.get("id"),
                "labels": sorted(labels),
                "action": decision.action.wire,
                "reasons": list(decision.reasons),
            }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    with open(args.file, encoding="utf-8") as fh:
        items = list(_read_jsonl(fh, args.file))
    report = evaluate(engine, items, engine.lexicon.labels)
    print(report.render())
    if args.misses:
        for ident, text, want, got in report.misses:
            print(f"{ident}: want {want} got {got}: {text}")
    return 1 if args.check and not report.targets_met else 0


def _settings(args: argparse.Namespace) -> Settings:
    if args.command == "safety":
        return load_settings(getattr(args, "config", None), {})
    overrides = {
        k: v
        for k, v in vars(args).items()
        if k in {"data_dir", "database_url", "host", "port", "ws_port", "redis_url", "workers"}
    }
    return load_settings(args.config, overrides)


async def _sync_rooms(settings: Settings) -> None:
    from causette.chat.catalogue import load_catalogue
    from causette.store import Store
    from causette.store.database import now_ms

    store = Store.open(settings.effective_database_url, settings.sqlite_synchronous)
    try:
        await store.rooms.sync_catalogue(load_catalogue(settings.rooms_file), now_ms())
    finally:
        await store.engine.dispose()


def _supervise(settings: Settings, argv: Sequence[str]) -> int:
    """`serve --workers N`: the database is migrated; start and watch N workers (web/workers.py)."""
    import os
    import socket

    from causette.chat.tokens import load_secret
    from causette.governance.signing import load_signing_key
    from causette.web.workers import Supervisor

    if not hasattr(socket, "SO_REUSEPORT"):
        print("causette: --workers needs SO_REUSEPORT, which this system lacks", file=sys.stderr)
        return 2
    # What every worker makes on its first start is made here, once, rather than raced by N
    # processes: the data directory's keys (two workers making two different secrets would refuse
    # each other's tokens) and the configured rooms (two first inserts of a room: one crashes).
    load_secret(settings.secret, settings.data_dir)
    load_signing_key(settings.data_dir)
    asyncio.run(_sync_rooms(settings))
    command = [sys.executable, "-m", "causette.cli", *argv, "--worker-of", str(os.getpid())]
    return Supervisor(command, settings.workers).run()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except SettingsError as exc:
        print(f"causette: {exc}", file=sys.stderr)
        return 2
    # With workers, the lines of N processes interleave on one output: each carries its pid.
    pid = " [%(process)d]" if args.command == "serve" and settings.workers > 1 else ""
    logging.basicConfig(
        level=settings.log_level.upper(), format=f"%(asctime)s %(levelname)s{pid} %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from causette.store import migrate

    if args.command == "safety":
        from causette.safety.classifier import ClassifierError
        from causette.safety.lexicon import LexiconError
        from causette.safety.policy import PolicyError

        try:
            return _safety(args)
        except (OSError, SettingsError, LexiconError, PolicyError, ClassifierError) as exc:
            print(f"causette: {exc}", file=sys.stderr)
            return 2
    if args.command == "moderator":
        migrate(settings.effective_database_url)
        return asyncio.run(_moderator_add(settings, args))
    if args.command == "audit":
        return asyncio.run(_audit_verify(settings))
    if args.command == "legal" and args.legal_command == "pubkey":
        from causette.governance.signing import fingerprint, load_signing_key, public_pem

        key = load_signing_key(settings.data_dir)
        sys.stdout.write(public_pem(key).decode())
        print(f"fingerprint (SHA-256 of the raw key): {fingerprint(key)}")
        return 0
    if args.command == "legal":
        migrate(settings.effective_database_url)
        return asyncio.run(_legal(settings, args))
    if args.command == "migrate":
        migrate(settings.effective_database_url)
        print("database is up to date")
        return 0
    if args.command == "serve":
        sqlite = settings.effective_database_url.startswith("sqlite")
        if settings.workers > 1 and (sqlite or not settings.redis_url):
            print(
                f"causette: --workers {settings.workers} needs a shared --database-url (PostgreSQL) "
                "and --redis-url: each worker is a node of one cluster",
                file=sys.stderr,
            )
            return 2
        if settings.redis_url and sqlite:
            print(
                "causette: --redis-url (several nodes) needs a shared --database-url (PostgreSQL)",
                file=sys.stderr,
            )
            return 2
        if args.worker_of is not None:
            from causette.web.workers import die_with_parent

            die_with_parent(args.worker_of)  # the supervisor migrated the database
        elif not args.no_migrate:
            migrate(settings.effective_database_url)
        if settings.workers > 1 and args.worker_of is None:
            return _supervise(settings, argv)
        import errno

        import uvloop

        from causette.bus.redis import BusUnavailable
        from causette.web.server import serve

        try:
            uvloop.run(serve(settings))
        except BusUnavailable as exc:
            print(f"causette: Redis is unreachable ({exc})", file=sys.stderr)
            return 2
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            print(f"causette: cannot listen: {exc}", file=sys.stderr)
            return 2
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

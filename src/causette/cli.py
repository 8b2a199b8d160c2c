"""The `causette` command: serve, migrate."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

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
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations on start")
    migrate = sub.add_parser("migrate", help="apply database migrations")
    _add_common(migrate)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        k: v
        for k, v in vars(args).items()
        if k in {"data_dir", "database_url", "host", "port", "ws_port", "redis_url"}
    }
    return load_settings(args.config, overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except SettingsError as exc:
        print(f"causette: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from causette.store import migrate

    if args.command == "migrate":
        migrate(settings.effective_database_url)
        print("database is up to date")
        return 0
    if args.command == "serve":
        if settings.redis_url:
            print("causette: --redis-url (cluster mode) is not available yet", file=sys.stderr)
            return 2
        if not args.no_migrate:
            migrate(settings.effective_database_url)
        import uvloop

        from causette.web.server import serve

        uvloop.run(serve(settings))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

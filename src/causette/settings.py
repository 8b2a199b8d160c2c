"""The one settings object of Causette.

Values come, lowest priority first, from the defaults below, an optional TOML file
(`--config FILE` or `CAUSETTE_CONFIG`), `CAUSETTE_*` environment variables, and CLI flags.
Every bound is named here with its reason; `causette.example.toml` documents each one.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Settings that make no sense at zero or below.
POSITIVE_FIELDS = (
    "max_message_chars",
    "max_frame_bytes",
    "history_size",
    "max_open_requests",
    "private_room_cap",
    "session_ttl_seconds",
    "send_queue_bytes",
    "group_commit_max_batch",
    "presence_interval_ms",
    "node_ttl_ms",
    "gap_wait_ms",
    "workers",
    "frame_burst",
    "safety_context_messages",
    "public_reports_per_hour",
    "mod_session_ttl_seconds",
    "mod_session_idle_seconds",
    "ban_network_max_days",
    "unfounded_reports_warning",
    "unfounded_reports_window_days",
    "deprioritise_days",
)


class SettingsError(Exception):
    """A configuration value is missing, malformed or out of range."""


@dataclass(slots=True)
class Settings:
    # --- network -------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    # The WebSocket gateway gets its own port so it can run on picows (DESIGN.md, "Transport").
    # 0 means "the HTTP port + 1".
    ws_port: int = 0
    # Set when a proxy publishes the gateway elsewhere (e.g. "wss://chat.example.org/ws").
    public_ws_url: str = ""
    # Browser origins allowed to open a WebSocket besides the site itself.
    allowed_origins: list[str] = field(default_factory=list)
    # Peers trusted to say who the client is (X-Forwarded-For, X-Forwarded-Proto): the reverse
    # proxy or load balancer. Per-address limits and address bans need the client's address.
    forwarded_allow_ips: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    # A reconnect storm opens thousands of sockets at once (DESIGN.md, "Transport").
    listen_backlog: int = 4096

    # --- storage ---------------------------------------------------------------------------
    data_dir: str = "./var"
    # Empty: embedded SQLite at <data_dir>/causette.db. Or postgresql://user@host:port/db.
    database_url: str = ""
    redis_url: str = ""
    # Names of this cluster's Redis channels ("<prefix>:c:<conv>", ...): clusters sharing one Redis
    # need different prefixes.
    redis_prefix: str = "causette"
    # A node refreshes its presence in Redis every third of this; a node silent this long is
    # dead, and its users are gone from every other node's list (bus/cluster.py).
    node_ttl_ms: int = 6000
    # A node that receives seq n+2 of a conversation before n+1 (two nodes published them) waits
    # this long for n+1, then reads it from the database (chat/sequencer.py).
    gap_wait_ms: int = 250
    # `causette serve --workers N`: N processes on one machine sharing the ports (SO_REUSEPORT);
    # more than 1 needs PostgreSQL and Redis.
    workers: int = 1
    # FULL fsyncs every group commit, so an acknowledged message survives a power cut, not
    # only a crash of the process. NORMAL is faster and still survives a process crash.
    sqlite_synchronous: str = "FULL"
    # At most this many messages share one transaction; larger batches add latency to the
    # first message in the batch for little gain in throughput.
    group_commit_max_batch: int = 512

    # --- secrets and sessions ------------------------------------------------------------
    # Empty: a random secret is created in <data_dir>/secret.key on first start.
    secret: str = ""
    # How long a session token is valid. A day covers an evening of chat with margin.
    session_ttl_seconds: int = 86_400
    # A session keeps its pseudonym this long after its last socket closes, so a reconnect
    # (a phone changing network, a reload) keeps the name (DESIGN.md, "Public contract").
    pseudonym_grace_seconds: int = 600

    # --- entry -----------------------------------------------------------------------------
    min_age: int = 18
    # Carrier-grade NAT puts many people behind one address: at least 30 entries per minute
    # per IP address must pass (DESIGN.md, "Public contract").
    entry_rate_per_minute: int = 30
    # "off" lifts the per-address entry limit and the per-connection frame rate, for load tests.
    rate_limits: str = "on"

    # --- messages and frames -------------------------------------------------------------
    max_message_chars: int = 2000
    # A frame larger than this closes the socket with 1009. 64 KiB holds the longest
    # message (2,000 characters of up to 4 UTF-8 bytes, JSON-escaped) with a wide margin.
    max_frame_bytes: int = 65_536
    # More bad frames than this within a minute is abuse and closes the socket with 1008.
    max_bad_frames_per_minute: int = 10
    # Per-connection token bucket: a person types far slower than this; a script does not.
    frame_rate: float = 10.0
    frame_burst: int = 30
    # Bytes waiting to be written to one socket before it is judged too slow and closed
    # (1013). With 1,000 members and ~200-byte frames this is ~5,000 frames of slack.
    send_queue_bytes: int = 1_048_576
    # Frames held for a socket between connect and its hello (resume first, then live).
    hello_buffer_frames: int = 10_000
    history_size: int = 50
    # Resume sends at most this many messages per conversation; older ones are fetched
    # with GET /api/v1/history.
    resume_max_messages: int = 5_000

    # --- private messages and rooms -----------------------------------------------------
    # A sender may have this many unanswered requests; stops the flood of first messages
    # that greeted every newcomer on Coco.
    max_open_requests: int = 5
    private_room_cap: int = 20
    max_private_rooms_per_user: int = 3
    # Empty: the packaged rooms (src/causette/chat/default_rooms.toml).
    rooms_file: str = ""

    # --- safety -------------------------------------------------------------------------------
    # "off" skips the safety engine on messages: for measuring its cost in load tests only, and
    # refused unless rate_limits is "off" too (a load-test configuration, never production).
    safety: str = "on"
    # Empty: the packaged policy (src/causette/safety/policy.toml) and lexicons.
    safety_policy_file: str = ""
    safety_lexicon_dir: str = ""
    # Messages of a conversation the engine sees as context (grooming unfolds over several).
    safety_context_messages: int = 8
    # The same text again within this window is spam by repetition.
    safety_repeat_window_seconds: int = 300
    # Private-message requests to strangers counted for mass first contacts.
    safety_first_contact_window_seconds: int = 3600
    # Optional scikit-learn model (`causette safety train`); it runs off the hot path and only
    # opens moderation cases for what the rules missed. Empty: no model.
    safety_classifier_file: str = ""

    # --- moderation (docs/moderation.md) -------------------------------------------------------
    # Trusted flaggers (DSA art. 22): "name:sha256-of-key" entries; a notice sent to
    # POST /api/v1/reports with "Authorization: Bearer <key>" comes first in the queue.
    trusted_flaggers: list[str] = field(default_factory=list)
    # The public notice form, per address (carrier NAT puts many people behind one address).
    public_reports_per_hour: int = 20
    # Moderator console sessions: absolute lifetime, and idle time after which they end.
    mod_session_ttl_seconds: int = 8 * 3600
    mod_session_idle_seconds: int = 30 * 60
    # Device-cookie and address-prefix bans hit other people too (shared devices, carrier NAT):
    # they always expire, after this many days at most.
    ban_network_max_days: int = 30
    # DSA art. 23: this many manifestly unfounded notices within the window earn a warning; one
    # more after the warning deprioritises the notifier's notices for deprioritise_days.
    unfounded_reports_warning: int = 3
    unfounded_reports_window_days: int = 90
    deprioritise_days: int = 30
    # Escalation packages (art. 18) and `causette legal export`; empty: <data_dir>/exports.
    exports_dir: str = ""

    # --- presence ----------------------------------------------------------------------------
    # Presence changes are batched into one frame per interval, encoded once for all sockets,
    # so that a reconnect storm costs O(sockets) per interval, not O(sockets²).
    presence_interval_ms: int = 1000

    log_level: str = "info"

    # ----------------------------------------------------------------------------------------
    @property
    def rate_limits_on(self) -> bool:
        return self.rate_limits.lower() not in ("off", "false", "0", "no")

    @property
    def safety_on(self) -> bool:
        return self.safety.lower() not in ("off", "false", "0", "no")

    @property
    def effective_ws_port(self) -> int:
        return self.ws_port or self.port + 1

    @property
    def effective_exports_dir(self) -> Path:
        return Path(self.exports_dir) if self.exports_dir else Path(self.data_dir) / "exports"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'causette.db'}"

    def check(self) -> None:
        if not 0 < self.port < 65536 or not 0 <= self.ws_port < 65536:
            raise SettingsError("port and ws_port must be TCP ports")
        if self.min_age < 13:
            raise SettingsError("min_age below 13 is not allowed")
        for name in POSITIVE_FIELDS:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive")
        if not self.safety_on and self.rate_limits_on:
            raise SettingsError("safety = off is for load tests only: it needs rate_limits = off too")
        if self.sqlite_synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise SettingsError("sqlite_synchronous must be FULL, NORMAL or EXTRA")
        for entry in self.trusted_flaggers:
            name, _, digest = entry.rpartition(":")
            if (
                not name.strip()
                or len(digest) != 64
                or any(c not in "0123456789abcdefABCDEF" for c in digest)
            ):
                raise SettingsError(f"trusted_flaggers: {entry!r} is not 'name:<sha256 hex of the key>'")


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, raw: Any) -> Any:
    if name not in _FIELDS:
        raise SettingsError(f"unknown setting {name!r}")
    default = _FIELDS[name].default
    kind: type = type(default) if default is not dataclasses.MISSING else list
    try:
        if kind is bool:
            return str(raw).lower() in ("1", "true", "yes", "on")
        if kind is list:
            if isinstance(raw, list):
                return [str(x) for x in raw]
            return [x.strip() for x in str(raw).split(",") if x.strip()]
        if kind is int:
            if (
                isinstance(raw, bool)
                or isinstance(raw, float)
                or (isinstance(raw, str) and not raw.strip().lstrip("-").isdigit())
            ):
                raise ValueError(raw)
            return int(raw)
        if kind is float:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return float(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{name}: {raw!r} is not a valid {kind.__name__}") from exc


def load_settings(
    config_file: str | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build the settings: defaults < TOML file < CAUSETTE_* environment < CLI overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or env.get("CAUSETTE_CONFIG")
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read config file {path}: {exc}") from exc
        # Sections in the file are for the reader only; keys are flat names.
        flat: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                flat.update(value)
            else:
                flat[key] = value
        for key, value in flat.items():
            if key not in _FIELDS:
                raise SettingsError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, value)
    for name in _FIELDS:
        env_value = env.get("CAUSETTE_" + name.upper())
        if env_value is not None and env_value != "":
            values[name] = _coerce(name, env_value)
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce(name, value)
    settings = Settings(**values)
    settings.check()
    return settings

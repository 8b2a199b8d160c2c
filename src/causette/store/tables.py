"""SQLAlchemy Core tables: the schema that Alembic migrations create (store/migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("pseudonym", String(64), nullable=False),
    Column("skeleton", String(128), nullable=False),
    Column("age", Integer, nullable=False),
    Column("gender", String(1), nullable=False),
    Column("departement", String(3), nullable=False),
    Column("region", String(40), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    # The pseudonym is held until this instant (ms); refreshed while sockets are open.
    Column("lease_until", BigInteger, nullable=False),
    # Set by the safety engine: the person said they are a minor (label minor_self_disclosure).
    Column("apparent_minor", Boolean, nullable=False, server_default="0"),
    # Comma-separated restrictions, e.g. "private_messages" (policy restrict_sender).
    Column("restrictions", String(200), nullable=False, server_default=""),
    # The device cookie and address the session entered from: what a ban by device or address
    # prefix needs (moderation/decisions.py).
    Column("device_id", String(64)),
    Column("address", String(64)),
    Index("ix_users_skeleton_lease", "skeleton", "lease_until"),
    Index("ix_users_device", "device_id"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),  # "room" | "pm"
    # Seqs are allocated in the same transaction as the messages (UPDATE ... RETURNING), so
    # they are gap-free and ordered however many writers there are.
    Column("last_seq", BigInteger, nullable=False, default=0),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", String(64), ForeignKey("conversations.id"), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("topic", String(400), nullable=False, default=""),
    Column("region", String(40)),
    Column("min_age", Integer),
    Column("max_age", Integer),
    Column("owner_id", String(32)),
    Column("cap", Integer),
    Column("position", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
    # Closed by a moderator: inactive even if the operator's catalogue lists it.
    Column("closed_at", BigInteger),
)

memberships = Table(
    "memberships",
    metadata,
    Column("conv_id", String(64), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("joined_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("conv_id", "user_id"),
    Index("ix_memberships_user", "user_id"),
)

invites = Table(
    "invites",
    metadata,
    Column("room_id", String(64), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("by_id", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),
    PrimaryKeyConstraint("room_id", "user_id"),
)

private_convs = Table(
    "private_convs",
    metadata,
    Column("id", String(64), ForeignKey("conversations.id"), primary_key=True),
    # user_a < user_b, so one pair has one row.
    Column("user_a", String(32), nullable=False),
    Column("user_b", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("user_a", "user_b", name="uq_private_convs_pair"),
)

pm_requests = Table(
    "pm_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("from_id", String(32), nullable=False),
    Column("to_id", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("cid", String(64), nullable=False),
    Column("status", String(10), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("answered_at", BigInteger),
    Column("conv_id", String(64)),
    UniqueConstraint("from_id", "cid", name="uq_pm_requests_cid"),
    Index("ix_pm_requests_to", "to_id", "status"),
    Index("ix_pm_requests_from", "from_id", "status"),
)

blocks = Table(
    "blocks",
    metadata,
    Column("blocker_id", String(32), nullable=False),
    Column("blocked_id", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),
    PrimaryKeyConstraint("blocker_id", "blocked_id"),
    Index("ix_blocks_blocked", "blocked_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("conv_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("sender_id", String(32), nullable=False),
    Column("sender_pseudonym", String(64), nullable=False),
    Column("sender_gender", String(1), nullable=False),
    Column("cid", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    # Deleted by a moderator: out of every history and resume, kept for the idempotent cid (a
    # retried say must not bring it back) and for a reversal on appeal.
    Column("retracted", Boolean, nullable=False, server_default="0"),
    PrimaryKeyConstraint("conv_id", "seq"),
    UniqueConstraint("conv_id", "sender_id", "cid", name="uq_messages_cid"),
    # Few messages are retracted: a partial index finds them for a resuming client.
    Index(
        "ix_messages_retracted",
        "conv_id",
        "seq",
        sqlite_where=text("retracted = 1"),
        postgresql_where=text("retracted"),
    ),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("reporter_id", String(32)),
    Column("target_conv", String(64)),
    Column("target_seq", BigInteger),
    Column("target_user", String(32)),
    Column("target_room", String(64)),
    Column("category", String(40), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, default="open"),
    Column("at", BigInteger, nullable=False),
    Column("case_id", String(32)),
    Column("source", String(8), nullable=False, server_default="chat"),  # chat | form
    Column("contact", String(200)),
    Column("good_faith", Boolean, nullable=False, server_default="1"),
    # Who notified, for art. 23 (unfounded notices): "d:<device>", "u:<user>" or "ip:<prefix>".
    Column("reporter_key", String(80)),
    Column("receipt_key_sha256", String(64)),
    Column("flagger", String(64)),  # trusted flagger's name (art. 22)
    Column("outcome", Text),  # JSON {"action", "decided_at", "text"} once decided
    Column("decided_at", BigInteger),
    Column("unfounded", Boolean, nullable=False, server_default="0"),
    Index("ix_reports_case", "case_id"),
)

# Every message the safety engine labelled, whatever the action: held messages wait here for a
# moderator (they are not in the conversation's sequence), blocked ones are kept as evidence, and
# delivered ones (warn, notices) carry their seq. Moderation cases are opened from these rows.
safety_events = Table(
    "safety_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("at", BigInteger, nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("conv_id", String(64)),
    Column("seq", BigInteger),
    Column("recipient_id", String(32)),
    Column("cid", String(64)),
    Column("text", Text, nullable=False),
    Column("action", String(8), nullable=False),
    Column("labels", Text, nullable=False),  # JSON list
    Column("severities", Text, nullable=False),  # JSON object
    Column("reasons", Text, nullable=False),  # JSON list
    Column("evidence", Text, nullable=False),  # JSON list
    Column("open_case", Boolean, nullable=False),
    Column("escalate", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # open | released | rejected | closed
    Index("ix_safety_events_status", "status", "at"),
    Index("ix_safety_events_user", "user_id", "at"),
    UniqueConstraint("user_id", "conv_id", "cid", name="uq_safety_events_cid"),
)

# The audit log (moderation/audit.py): hash-chained entries, and the head of the chain, updated in
# the same transaction as each append so that deleting the last entries is detected too.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("details", Text, nullable=False),  # JSON object
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Moderator accounts (moderation/accounts.py): argon2 password hash, TOTP second factor, lockout.
moderators = Table(
    "moderators",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # moderator | admin | legal
    Column("password_hash", String(200), nullable=False),
    Column("totp_secret", String(256), nullable=False),  # sealed: moderation.accounts.SecretBox
    Column("created_at", BigInteger, nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", BigInteger, nullable=False, server_default="0"),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    # The TOTP time step of the last successful login: a code is accepted once (no replay).
    Column("totp_last_step", BigInteger, nullable=False, server_default="0"),
)

# Moderation cases (moderation/cases.py): one per target while open; the evidence snapshot is
# frozen when the case opens and is never changed afterwards (DSA art. 16 notices, art. 17 reasons).
cases = Table(
    "cases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("target", String(200), nullable=False),  # "message:<conv>:<seq>", "user:<id>", "room:<id>"
    Column("category", String(40), nullable=False),
    Column("severity", Integer, nullable=False),  # 0 = child safety, most urgent
    Column("origin", String(16), nullable=False),  # report | automated | trusted
    Column("status", String(16), nullable=False),  # open | closed | escalated
    Column("reports", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON: {"items": [{kind, data, sha256}], "sha256"}
    Column("evidence_sha256", String(64), nullable=False),
    Column("legal_hold", Boolean, nullable=False, server_default="0"),
    Column("subject_id", String(32)),  # the user the case is about (author or reported user)
    Column("closed_at", BigInteger),
    Index("ix_cases_queue", "status", "severity", "created_at"),
    Index("ix_cases_target", "target", "status"),
    Index("ix_cases_subject", "subject_id"),
)

# Moderators' decisions (moderation/decisions.py): each is a statement of reasons (DSA art. 17)
# and, while in force, the restriction it imposes (time-out, ban of account, device, address prefix).
decisions = Table(
    "decisions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), nullable=False),
    Column("moderator_id", String(32), nullable=False),
    Column("moderator_name", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("ground", String(40), nullable=False),
    Column("facts", Text, nullable=False),
    Column("target", String(200), nullable=False),
    Column("subject_id", String(32)),
    Column("subject_device", String(64)),
    Column("until", BigInteger),  # end of a time-out or ban; NULL: permanent
    Column("ban_device", Boolean, nullable=False, server_default="0"),
    Column("ban_ip_prefix", String(64)),
    Column("network_until", BigInteger),  # end of the device / address-prefix ban
    Column("automated_detection", Boolean, nullable=False, server_default="0"),
    Column("status", String(12), nullable=False),  # in_force | reversed
    Column("created_at", BigInteger, nullable=False),
    Column("appeal_until", BigInteger, nullable=False),
    Column("appeal_key", String(64), nullable=False),
    Column("reversed_at", BigInteger),
    Index("ix_decisions_case", "case_id"),
    Index("ix_decisions_subject", "subject_id", "action", "status"),
    Index("ix_decisions_device", "subject_device"),
    Index("ix_decisions_prefix", "ban_ip_prefix"),
)

# Appeals against decisions (DSA art. 20): one per decision, decided by another moderator.
appeals = Table(
    "appeals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("decision_id", String(32), nullable=False, unique=True),
    Column("text", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),  # open | upheld | reversed
    Column("decided_by", String(32)),
    Column("decided_at", BigInteger),
    Column("reply", Text),
    Index("ix_appeals_status", "status", "at"),
)

# Notifiers' record of manifestly unfounded notices (DSA art. 23): warned, then deprioritised.
reporter_standing = Table(
    "reporter_standing",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("unfounded", Integer, nullable=False),
    Column("window_start", BigInteger, nullable=False),
    Column("warned_at", BigInteger),
    Column("deprioritised_until", BigInteger, nullable=False, server_default="0"),
)

# Moderator console sessions: only the SHA-256 of the bearer token is kept.
mod_sessions = Table(
    "mod_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("moderator_id", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
)

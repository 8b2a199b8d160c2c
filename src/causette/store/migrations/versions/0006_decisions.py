"""decisions (statements of reasons), appeals, notifier standing, moderator sessions, bans

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.String(length=64)))
        batch_op.add_column(sa.Column("address", sa.String(length=64)))
    op.create_index("ix_users_device", "users", ["device_id"])
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.BigInteger()))
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("retracted", sa.Boolean(), nullable=False, server_default="0"))
    op.create_index(
        "ix_messages_retracted",
        "messages",
        ["conv_id", "seq"],
        sqlite_where=sa.text("retracted = 1"),
        postgresql_where=sa.text("retracted"),
    )
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=8), nullable=False, server_default="chat"))
        batch_op.add_column(sa.Column("contact", sa.String(length=200)))
        batch_op.add_column(sa.Column("good_faith", sa.Boolean(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("reporter_key", sa.String(length=80)))
        batch_op.add_column(sa.Column("receipt_key_sha256", sa.String(length=64)))
        batch_op.add_column(sa.Column("flagger", sa.String(length=64)))
        batch_op.add_column(sa.Column("outcome", sa.Text()))
        batch_op.add_column(sa.Column("decided_at", sa.BigInteger()))
        batch_op.add_column(sa.Column("unfounded", sa.Boolean(), nullable=False, server_default="0"))
    op.create_index("ix_reports_case", "reports", ["case_id"])
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.String(length=32)))
        batch_op.add_column(sa.Column("closed_at", sa.BigInteger()))
    op.create_index("ix_cases_subject", "cases", ["subject_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("moderator_id", sa.String(length=32), nullable=False),
        sa.Column("moderator_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("ground", sa.String(length=40), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.String(length=32)),
        sa.Column("subject_device", sa.String(length=64)),
        sa.Column("until", sa.BigInteger()),
        sa.Column("ban_device", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("ban_ip_prefix", sa.String(length=64)),
        sa.Column("network_until", sa.BigInteger()),
        sa.Column("automated_detection", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("appeal_until", sa.BigInteger(), nullable=False),
        sa.Column("appeal_key", sa.String(length=64), nullable=False),
        sa.Column("reversed_at", sa.BigInteger()),
    )
    op.create_index("ix_decisions_case", "decisions", ["case_id"])
    op.create_index("ix_decisions_subject", "decisions", ["subject_id", "action", "status"])
    op.create_index("ix_decisions_device", "decisions", ["subject_device"])
    op.create_index("ix_decisions_prefix", "decisions", ["ban_ip_prefix"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("decision_id", sa.String(length=32), nullable=False, unique=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=32)),
        sa.Column("decided_at", sa.BigInteger()),
        sa.Column("reply", sa.Text()),
    )
    op.create_index("ix_appeals_status", "appeals", ["status", "at"])
    op.create_table(
        "reporter_standing",
        sa.Column("key", sa.String(length=80), primary_key=True),
        sa.Column("unfounded", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("warned_at", sa.BigInteger()),
        sa.Column("deprioritised_until", sa.BigInteger(), nullable=False, server_default="0"),
    )
    with op.batch_alter_table("moderators") as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=False, server_default="0"))
        # Sealed (encrypted) TOTP secrets are longer than the base32 secret itself.
        batch_op.alter_column(
            "totp_secret",
            type_=sa.String(length=256),
            existing_type=sa.String(length=64),
            existing_nullable=False,
        )
    op.create_table(
        "mod_sessions",
        sa.Column("token_sha256", sa.String(length=64), primary_key=True),
        sa.Column("moderator_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mod_sessions")
    with op.batch_alter_table("moderators") as batch_op:
        batch_op.alter_column(
            "totp_secret",
            type_=sa.String(length=64),
            existing_type=sa.String(length=256),
            existing_nullable=False,
        )
        batch_op.drop_column("totp_last_step")
    op.drop_table("reporter_standing")
    op.drop_index("ix_appeals_status", table_name="appeals")
    op.drop_table("appeals")
    for name in ("ix_decisions_prefix", "ix_decisions_device", "ix_decisions_subject", "ix_decisions_case"):
        op.drop_index(name, table_name="decisions")
    op.drop_table("decisions")
    op.drop_index("ix_cases_subject", table_name="cases")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("subject_id")
    op.drop_index("ix_reports_case", table_name="reports")
    with op.batch_alter_table("reports") as batch_op:
        for column in (
            "unfounded",
            "decided_at",
            "outcome",
            "flagger",
            "receipt_key_sha256",
            "reporter_key",
            "good_faith",
            "contact",
            "source",
        ):
            batch_op.drop_column(column)
    op.drop_index("ix_messages_retracted", table_name="messages")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("retracted")
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.drop_column("closed_at")
    op.drop_index("ix_users_device", table_name="users")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("address")
        batch_op.drop_column("device_id")

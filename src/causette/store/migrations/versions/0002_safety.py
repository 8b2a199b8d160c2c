"""safety events, apparent minors and restrictions

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("apparent_minor", sa.Boolean(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("restrictions", sa.String(length=200), nullable=False, server_default="")
        )
    op.create_table(
        "safety_events",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("conv_id", sa.String(length=64)),
        sa.Column("seq", sa.BigInteger()),
        sa.Column("recipient_id", sa.String(length=32)),
        sa.Column("cid", sa.String(length=64)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("severities", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("open_case", sa.Boolean(), nullable=False),
        sa.Column("escalate", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.UniqueConstraint("user_id", "conv_id", "cid", name="uq_safety_events_cid"),
    )
    op.create_index("ix_safety_events_status", "safety_events", ["status", "at"])
    op.create_index("ix_safety_events_user", "safety_events", ["user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_safety_events_user", table_name="safety_events")
    op.drop_index("ix_safety_events_status", table_name="safety_events")
    op.drop_table("safety_events")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("restrictions")
        batch_op.drop_column("apparent_minor")

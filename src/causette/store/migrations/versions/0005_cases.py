"""moderation cases with frozen evidence

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.String(length=32)))
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default="0"),
    )
    op.create_index("ix_cases_queue", "cases", ["status", "severity", "created_at"])
    op.create_index("ix_cases_target", "cases", ["target", "status"])


def downgrade() -> None:
    op.drop_index("ix_cases_target", table_name="cases")
    op.drop_index("ix_cases_queue", table_name="cases")
    op.drop_table("cases")
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_column("case_id")

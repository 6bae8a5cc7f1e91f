"""delivery to reps (Slack, email), shadow mode, review export, recording consent, merged meetings

Revision ID: 0004_delivery
Revises: 0003_health
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_delivery"
down_revision: str | None = "0003_health"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(length=64), nullable=True))
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("consent_source", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("consent_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("merged_into", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_meetings_merged_into"), ["merged_into"], unique=False)
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shadow", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("crm_context", sa.JSON(), nullable=True))
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=300), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("kind", "channel", "subject_id", name=op.f("uq_deliveries_kind")),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_column("crm_context")
        batch_op.drop_column("shadow")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_merged_into"))
        batch_op.drop_column("merged_into")
        batch_op.drop_column("consent_reason")
        batch_op.drop_column("consent_source")
        batch_op.drop_column("consent")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("team")

"""change flags and confidence basis, mentioned-not-proposed, reverts of applied changes

Revision ID: 0005_safety
Revises: 0004_delivery
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_safety"
down_revision: str | None = "0004_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proposed_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("flags", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("confidence_basis", sa.JSON(), nullable=True))
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mentioned", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.create_table(
        "change_reverts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("change_id", sa.String(length=32), nullable=False),
        sa.Column("proposal_id", sa.String(length=32), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("written", sa.JSON(), nullable=True),
        sa.Column("restore", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conflict_value", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["proposed_changes.id"],
            name=op.f("fk_change_reverts_change_id_proposed_changes"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_change_reverts_proposal_id_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_reverts")),
    )
    with op.batch_alter_table("change_reverts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_reverts_change_id"), ["change_id"])
        batch_op.create_index(batch_op.f("ix_change_reverts_proposal_id"), ["proposal_id"])
        batch_op.create_index(batch_op.f("ix_change_reverts_status"), ["status"])


def downgrade() -> None:
    with op.batch_alter_table("change_reverts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_reverts_status"))
        batch_op.drop_index(batch_op.f("ix_change_reverts_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_change_reverts_change_id"))
    op.drop_table("change_reverts")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_column("mentioned")
    with op.batch_alter_table("proposed_changes", schema=None) as batch_op:
        batch_op.drop_column("confidence_basis")
        batch_op.drop_column("flags")

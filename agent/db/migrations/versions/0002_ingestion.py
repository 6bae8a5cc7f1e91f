"""ingestion: webhook events, meeting links and refs, calendar channels, signals, briefs

Revision ID: 0002_ingestion
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_ingestion"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("deal_id", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("suggestion_status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_signals_source")),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signals_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signals_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signals_domain"), ["domain"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=300), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("source", "event_key", name=op.f("uq_webhook_events_source")),
    )
    op.create_table(
        "calendar_channels",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("rep_id", sa.String(length=32), nullable=False),
        sa.Column("calendar_id", sa.String(length=320), nullable=False),
        sa.Column("resource_id", sa.String(length=300), nullable=True),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["users.id"], name=op.f("fk_calendar_channels_rep_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_channels")),
    )
    with op.batch_alter_table("calendar_channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_channels_rep_id"), ["rep_id"], unique=False)

    op.create_table(
        "meeting_links",
        sa.Column("meeting_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("contact_ids", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("conference_key", sa.String(length=300), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_links_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_meeting_links")),
    )
    with op.batch_alter_table("meeting_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_links_conference_key"), ["conference_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meeting_links_status"), ["status"], unique=False)

    op.create_table(
        "meeting_refs",
        sa.Column("system", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("meeting_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_refs_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("system", "external_id", name=op.f("pk_meeting_refs")),
    )
    with op.batch_alter_table("meeting_refs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_refs_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "prepared_briefs",
        sa.Column("meeting_id", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_prepared_briefs_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_prepared_briefs")),
    )


def downgrade() -> None:
    op.drop_table("prepared_briefs")
    with op.batch_alter_table("meeting_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_refs_meeting_id"))

    op.drop_table("meeting_refs")
    with op.batch_alter_table("meeting_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_links_status"))
        batch_op.drop_index(batch_op.f("ix_meeting_links_conference_key"))

    op.drop_table("meeting_links")
    with op.batch_alter_table("calendar_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_channels_rep_id"))

    op.drop_table("calendar_channels")
    op.drop_table("webhook_events")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signals_domain"))
        batch_op.drop_index(batch_op.f("ix_signals_deal_id"))
        batch_op.drop_index(batch_op.f("ix_signals_account_id"))

    op.drop_table("signals")

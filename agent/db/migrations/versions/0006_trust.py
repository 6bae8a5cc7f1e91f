"""trust: salted audit digests and tombstones, append-only triggers, sealed transcripts

Revision ID: 0006_trust
Revises: 0005_safety
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_trust"
down_revision: str | None = "0005_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIXED = (
    "seq",
    "hash",
    "prev_hash",
    "target",
    "object_type",
    "object_id",
    "field",
    "approved_by",
    "written_by",
    "written_at",
    "meeting_id",
    "proposal_id",
    "change_id",
    "model",
    "prompt_version",
)
"""Columns no update may touch; `before`, `after` and `evidence` may only become tombstones."""
ERASABLE = ("before", "after", "evidence")
REFUSED = "audit entries are append-only: only personal values may be tombstoned"

SQLITE_NO_DELETE = """
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: no entry may be deleted'); END
"""
PG_CHANGED = """
CREATE OR REPLACE FUNCTION engage_audit_changed(a json, b json) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT a::text IS DISTINCT FROM b::text
     AND NOT (b IS NOT NULL AND json_typeof(b) = 'object' AND (b->>'tombstone') IS NOT NULL)
$$
"""
PG_GUARD = """
CREATE OR REPLACE FUNCTION engage_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit entries are append-only: entry % cannot be deleted', OLD.seq;
  END IF;
  IF ({new}) IS DISTINCT FROM ({old}) OR {erasable} THEN
    RAISE EXCEPTION '{refused} (entry %)', OLD.seq;
  END IF;
  RETURN NEW;
END $$
"""
PG_TRIGGER = """
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
FOR EACH ROW EXECUTE FUNCTION engage_audit_append_only()
"""


def _sqlite_update_trigger() -> str:
    fixed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in FIXED)
    erasable = " OR ".join(
        f'(NEW."{c}" IS NOT OLD."{c}" AND json_extract(NEW."{c}", \'$.tombstone\') IS NULL)'
        for c in ERASABLE
    )
    return (
        "CREATE TRIGGER audit_entries_tombstone_only BEFORE UPDATE ON audit_entries\n"
        f"WHEN {fixed} OR {erasable}\n"
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
    )


def _pg_guard() -> str:
    return PG_GUARD.format(
        new=", ".join(f'NEW."{c}"' for c in FIXED),
        old=", ".join(f'OLD."{c}"' for c in FIXED),
        erasable=" OR ".join(f'engage_audit_changed(OLD."{c}", NEW."{c}")' for c in ERASABLE),
        refused=REFUSED,
    )


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("salts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("erased", sa.JSON(), nullable=True))
    with op.batch_alter_table("transcripts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_CHANGED)
        op.execute(_pg_guard())
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_NO_DELETE)
        op.execute(_sqlite_update_trigger())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS engage_audit_append_only()")
        op.execute("DROP FUNCTION IF EXISTS engage_audit_changed(json, json)")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_tombstone_only")
    with op.batch_alter_table("transcripts", schema=None) as batch_op:
        batch_op.drop_column("sealed")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("erased")
        batch_op.drop_column("salts")

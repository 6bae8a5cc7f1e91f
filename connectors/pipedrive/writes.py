"""Writing to Pipedrive: a check of `update_time` (skipped for a version this connector read a
moment ago: see `connectors.common.freshness`) then one PATCH per record (Pipedrive has no
conditional write); notes and task activities idempotent by a digest kept in an HTML comment,
which reads strip again."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from agent.domain.models import RecordWrite, WriteResult
from agent.errors import CrmError
from agent.observability.events import crm_creation
from connectors.common.scopes import FieldScope
from connectors.pipedrive import mapping as m
from connectors.pipedrive.client import PipedriveApi
from connectors.pipedrive.reads import fetch
from connectors.pipedrive.wire import SYSTEM


def _body(api: PipedriveApi, scope: FieldScope, write: RecordWrite) -> dict[str, Any]:
    qualified = scope.check_write(write.object_type, write.values)
    stage = qualified.get("deal.stage")
    ids: dict[str, int] = {}
    if stage is not None:
        row = fetch(api, write.object_type, write.object_id)
        ids = {
            name: stage_id
            for stage_id, name in api.stage_names(int(row.get("pipeline_id") or 1)).items()
        }
        if stage not in ids:
            raise CrmError(
                f"{stage!r} is not a stage of this pipeline",
                system=SYSTEM,
                code="INVALID_PICKLIST_VALUE",
            )
    return m.body_for(
        api.fields, {name: m.to_pipedrive(name, v, ids) for name, v in qualified.items()}
    )


def write_record(api: PipedriveApi, scope: FieldScope, write: RecordWrite) -> WriteResult:
    body = _body(api, scope, write)
    kind = m.KINDS[write.object_type]
    if api.recent.fresh(kind, write.object_id, write.expected_version):
        current = {"update_time": write.expected_version}
    else:
        current = fetch(api, write.object_type, write.object_id)
    if str(current["update_time"]) != write.expected_version:
        return WriteResult(
            ok=False,
            reason=f"version conflict: expected {write.expected_version},"
            f" record is at {current['update_time']}",
        )
    path = f"/api/v2/{m.KINDS[write.object_type]}/{write.object_id}"
    updated = api.data("PATCH", path, json=body)
    return WriteResult(ok=True, new_version=str(updated["update_time"]))


def write_records(
    api: PipedriveApi, scope: FieldScope, writes: Sequence[RecordWrite]
) -> list[WriteResult]:
    return [write_record(api, scope, w) for w in writes]


def marker(key: str) -> str:
    return m.MARKER.format(hashlib.sha256(key.encode()).hexdigest()[:16])


def add_note(api: PipedriveApi, *, deal_id: str, body: str, idempotency_key: str) -> str:
    if not body.strip():
        raise CrmError("a note body cannot be empty", system=SYSTEM, code="INVALID_VALUE")
    tag = marker(idempotency_key)
    existing = api.data("GET", "/api/v1/notes", params={"deal_id": deal_id}) or []
    if found := next((n for n in existing if tag in str(n.get("content"))), None):
        crm_creation(SYSTEM, "note", duplicate=True)
        return str(found["id"])
    api.data("GET", f"/api/v2/deals/{deal_id}")
    note = api.data(
        "POST", "/api/v1/notes", json={"content": f"{body}\n{tag}", "deal_id": int(deal_id)}
    )
    crm_creation(SYSTEM, "note", duplicate=False)
    return str(note["id"])


def add_task(
    api: PipedriveApi,
    *,
    deal_id: str,
    subject: str,
    due: date | None,
    owner: str,
    idempotency_key: str,
) -> str:
    if not subject.strip():
        raise CrmError("a task subject cannot be empty", system=SYSTEM, code="INVALID_VALUE")
    tag = marker(idempotency_key)
    existing = api.data("GET", "/api/v2/activities", params={"deal_id": deal_id}) or []
    if found := next((a for a in existing if tag in str(a.get("note"))), None):
        crm_creation(SYSTEM, "task", duplicate=True)
        return str(found["id"])
    api.data("GET", f"/api/v2/deals/{deal_id}")
    activity = {
        "subject": subject[:255],
        "type": "task",
        "due_date": due.isoformat() if due else None,
        "done": False,
        "deal_id": int(deal_id),
        "note": f"Next step for {owner}, from an Engage call summary.\n{tag}",
    }
    created = api.data("POST", "/api/v2/activities", json=activity)["id"]
    crm_creation(SYSTEM, "task", duplicate=False)
    return str(created)

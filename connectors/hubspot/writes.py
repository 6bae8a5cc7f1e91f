"""Writing to HubSpot: approved fields by batch update, notes and tasks idempotent by key.

HubSpot has no conditional write (no ETag or If-Match on CRM objects), so the connector checks
`updatedAt` (one batch read, skipped for a version it read itself a moment ago: see
`connectors.common.freshness`) and writes only the records still at the version the apply service
saw, in one batch update per object type. The update carries only the approved properties, so
workflows listening on other properties are not triggered by Engage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from agent.domain.models import ObjectType, RecordWrite, WriteResult
from agent.errors import CrmError
from agent.observability.events import crm_creation
from connectors.common.scopes import FieldScope
from connectors.hubspot import mapping as m
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.wire import SYSTEM


def _properties(api: HubSpotApi, scope: FieldScope, write: RecordWrite) -> dict[str, str]:
    qualified = scope.check_write(write.object_type, write.values)
    stage = qualified.get("deal.stage")
    ids: dict[str, str] = {}
    if stage is not None:
        ids = api.pipeline().ids
        if stage not in ids:
            raise CrmError(
                f"{stage!r} is not a stage of this pipeline",
                system=SYSTEM,
                code="INVALID_PICKLIST_VALUE",
            )
    return {api.fields[name]: m.to_hubspot(name, value, ids) for name, value in qualified.items()}


def write_records(
    api: HubSpotApi, scope: FieldScope, writes: Sequence[RecordWrite]
) -> list[WriteResult]:
    """A batch read of the current versions, then one batch update per object type."""
    bodies = [_properties(api, scope, w) for w in writes]
    results: dict[int, WriteResult] = {}
    for object_type in dict.fromkeys(w.object_type for w in writes):
        kind = m.KINDS[object_type]
        indexed = [(i, w) for i, w in enumerate(writes) if w.object_type is object_type]
        unsure = [
            w.object_id
            for _, w in indexed
            if not api.recent.fresh(kind, w.object_id, w.expected_version)
        ]
        current = {w.object_id: w.expected_version for _, w in indexed}
        current.update(
            {
                str(o["id"]): str(o["updatedAt"])
                for o in api.batch_read(kind, unsure, ["hs_lastmodifieddate"])
            }
        )
        ready = []
        for i, write in indexed:
            if current[write.object_id] != write.expected_version:
                results[i] = WriteResult(
                    ok=False,
                    reason=f"version conflict: expected {write.expected_version},"
                    f" record is at {current[write.object_id]}",
                )
            else:
                ready.append((i, write))
        if ready:
            results.update(_update(api, object_type, [(i, w, bodies[i]) for i, w in ready]))
    return [results[i] for i in range(len(writes))]


def _update(
    api: HubSpotApi, object_type: ObjectType, items: list[tuple[int, RecordWrite, dict[str, str]]]
) -> dict[int, WriteResult]:
    body = {"inputs": [{"id": w.object_id, "properties": props} for _, w, props in items]}
    response = api.http.request(
        "POST", f"/crm/v3/objects/{m.KINDS[object_type]}/batch/update", json=body
    )
    versions = {str(r["id"]): str(r["updatedAt"]) for r in response.json().get("results", [])}
    return {i: WriteResult(ok=True, new_version=versions.get(w.object_id)) for i, w, _ in items}


def _key(idempotency_key: str) -> str:
    return (
        idempotency_key
        if len(idempotency_key) <= 100
        else hashlib.sha256(idempotency_key.encode()).hexdigest()
    )


def _create_once(
    api: HubSpotApi, kind: str, key: str, deal_id: str, properties: dict[str, str], type_id: int
) -> str:
    """Look the key up, create on a miss; a create that loses a race finds the winner's record."""
    lookup = [[{"propertyName": m.KEY_PROPERTY, "operator": "EQ", "value": key}]]
    found = api.search(kind, lookup, [m.KEY_PROPERTY])
    if found:
        crm_creation(SYSTEM, kind.removesuffix("s"), duplicate=True)
        return str(found[0]["id"])
    api.get("deals", deal_id, ["hs_object_id"])
    body: dict[str, Any] = {
        "properties": {**properties, m.KEY_PROPERTY: key},
        "associations": [
            {
                "to": {"id": deal_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
            }
        ],
    }
    try:
        created = api.http.request("POST", f"/crm/v3/objects/{kind}", json=body)
    except CrmError as exc:
        if exc.status != 409:
            raise
        crm_creation(SYSTEM, kind.removesuffix("s"), duplicate=True)
        return str(api.search(kind, lookup, [m.KEY_PROPERTY])[0]["id"])
    crm_creation(SYSTEM, kind.removesuffix("s"), duplicate=False)
    return str(created.json()["id"])


def add_note(
    api: HubSpotApi, *, deal_id: str, body: str, idempotency_key: str, now: datetime
) -> str:
    if not body.strip():
        raise CrmError("a note body cannot be empty", system=SYSTEM, code="INVALID_VALUE")
    props = {"hs_note_body": body, "hs_timestamp": now.astimezone(UTC).isoformat()}
    return _create_once(api, "notes", _key(idempotency_key), deal_id, props, m.NOTE_TO_DEAL)


def add_task(
    api: HubSpotApi,
    *,
    deal_id: str,
    subject: str,
    due: date | None,
    owner: str,
    idempotency_key: str,
    now: datetime,
) -> str:
    if not subject.strip():
        raise CrmError("a task subject cannot be empty", system=SYSTEM, code="INVALID_VALUE")
    when = datetime.combine(due, datetime.min.time(), UTC) if due else now.astimezone(UTC)
    props = {
        "hs_task_subject": subject[:255],
        "hs_task_body": f"Next step for {owner}, from an Engage call summary.",
        "hs_task_status": "NOT_STARTED",
        "hs_timestamp": when.isoformat(),
    }
    return _create_once(api, "tasks", _key(idempotency_key), deal_id, props, m.TASK_TO_DEAL)

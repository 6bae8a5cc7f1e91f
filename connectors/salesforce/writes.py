"""Writing to Salesforce: approved fields through Composite, notes and tasks idempotent by key.

Each record's PATCH travels with `If-Unmodified-Since` set from the version the apply service's
re-read returned, and with a GET of the new `LastModifiedDate` in the same Composite call, so an
approved record costs one call after the re-read. A 412 is a conflict, not an overwrite: the
apply service re-reads and decides (a lost answer retried this way finds its own write and marks
the change applied without writing twice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from agent.domain.models import RecordWrite, WriteResult
from agent.errors import CrmError
from agent.observability.events import crm_creation
from connectors.common.scopes import FieldScope
from connectors.salesforce import mapping as m
from connectors.salesforce.client import COMPOSITE_MAX, SalesforceApi
from connectors.salesforce.wire import SYSTEM, error_for, http_date, soql_literal

_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def patch_body(api: SalesforceApi, scope: FieldScope, write: RecordWrite) -> dict[str, Any]:
    """The Salesforce body of one write; scope, canonical form and the picklist checked first."""
    qualified = scope.check_write(write.object_type, write.values)
    stage = qualified.get("deal.stage")
    if stage is not None and stage not in api.stages():
        raise CrmError(
            f"{stage!r} is not a stage of this pipeline",
            system=SYSTEM,
            code="INVALID_PICKLIST_VALUE",
        )
    return {api.fields[name]: m.to_salesforce(name, value) for name, value in qualified.items()}


def write_records(
    api: SalesforceApi, scope: FieldScope, writes: Sequence[RecordWrite]
) -> list[WriteResult]:
    """Several records' approved fields in as few Composite calls as the API allows.

    Every record is checked before anything is sent; one record's conflict does not stop
    another's write. A refusal such as a validation rule's raises `CrmError` carrying the admin's
    message, which the apply service shows the rep.
    """
    bodies = [patch_body(api, scope, w) for w in writes]
    per_call = COMPOSITE_MAX // 2
    results: list[WriteResult] = []
    for start in range(0, len(writes), per_call):
        chunk = list(
            zip(writes[start : start + per_call], bodies[start : start + per_call], strict=True)
        )
        subrequests: list[dict[str, Any]] = []
        for i, (write, body) in enumerate(chunk):
            url = api.path(f"sobjects/{m.SOBJECTS[write.object_type]}/{write.object_id}")
            subrequests += [
                {
                    "method": "PATCH",
                    "url": url,
                    "referenceId": f"write{i}",
                    "body": body,
                    "httpHeaders": {"If-Unmodified-Since": _since(write.expected_version)},
                },
                {
                    "method": "GET",
                    "url": f"{url}?fields=LastModifiedDate",
                    "referenceId": f"read{i}",
                },
            ]
        replies = api.composite(subrequests, safe=False)
        for i, (write, _body) in enumerate(chunk):
            results.append(_outcome(write, replies[2 * i], replies[2 * i + 1]))
    return results


def _since(version: str) -> str:
    try:
        return http_date(version)
    except ValueError:
        return _EPOCH


def _outcome(write: RecordWrite, patch: Mapping[str, Any], read: Mapping[str, Any]) -> WriteResult:
    status = int(patch["httpStatusCode"])
    if status == 412:
        return WriteResult(
            ok=False, reason=f"version conflict: the record changed after {write.expected_version}"
        )
    if status >= 300:
        raise error_for(status, patch.get("body"))
    version = (read.get("body") or {}).get("LastModifiedDate")
    return WriteResult(ok=True, new_version=str(version) if version else None)


def _same_deal(row: Mapping[str, Any], parent: str, deal_id: str, key: str) -> str:
    if row.get(parent) != deal_id:
        raise CrmError(
            f"idempotency key {key!r} was used for {row.get(parent)}, not {deal_id}",
            system=SYSTEM,
            code="IDEMPOTENCY_KEY_REUSED",
        )
    return str(row["Id"])


def add_note(api: SalesforceApi, *, deal_id: str, body: str, idempotency_key: str) -> str:
    """A Note on the opportunity; its title carries a digest of the key, found before creating."""
    if not body.strip():
        raise CrmError("a note body cannot be empty", system=SYSTEM, code="INVALID_VALUE")
    marker = f"[engage {digest(idempotency_key)}]"
    found = api.query(
        f"SELECT Id, ParentId FROM Note WHERE Title LIKE {soql_literal('%' + marker)}"
    )
    deal_id = api.follow_lead(deal_id, "ConvertedOpportunityId")
    if found:
        crm_creation(SYSTEM, "note", duplicate=True)
        return _same_deal(found[0], "ParentId", deal_id, idempotency_key)
    title = f"{body.strip().splitlines()[0][:200]} {marker}"
    note = {"ParentId": deal_id, "Title": title, "Body": body}
    created = api.http.request("POST", api.path("sobjects/Note/"), json=note).json()["id"]
    crm_creation(SYSTEM, "note", duplicate=False)
    return str(created)


def add_task(
    api: SalesforceApi,
    *,
    deal_id: str,
    subject: str,
    due: date | None,
    owner: str,
    idempotency_key: str,
) -> str:
    """An open Task on the opportunity, keyed by `Engage_Key__c`, found before creating."""
    if not subject.strip():
        raise CrmError("a task subject cannot be empty", system=SYSTEM, code="INVALID_VALUE")
    key = idempotency_key if len(idempotency_key) <= 80 else digest(idempotency_key)
    found = api.query(f"SELECT Id, WhatId FROM Task WHERE {m.TASK_KEY} = {soql_literal(key)}")
    deal_id = api.follow_lead(deal_id, "ConvertedOpportunityId")
    if found:
        crm_creation(SYSTEM, "task", duplicate=True)
        return _same_deal(found[0], "WhatId", deal_id, idempotency_key)
    task = {
        "WhatId": deal_id,
        "Subject": subject[:255],
        "ActivityDate": due.isoformat() if due else None,
        "Status": "Not Started",
        "Description": f"Next step for {owner}, from an Engage call summary.",
        m.TASK_KEY: key,
    }
    created = api.http.request("POST", api.path("sobjects/Task/"), json=task).json()["id"]
    crm_creation(SYSTEM, "task", duplicate=False)
    return str(created)

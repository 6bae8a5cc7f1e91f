"""Reading Pipedrive into the domain: a brief is the deal, its organization, the organization's
persons, the deal's notes and activities (five calls) plus the stages once per pipeline."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from agent.domain.identity import normalize_domain, normalize_email
from agent.domain.models import (
    Account,
    Activity,
    Contact,
    CrmContext,
    CurrentValue,
    Deal,
    FieldRef,
    FieldValueT,
    IdentityMatch,
    Note,
    ObjectType,
    Task,
)
from connectors.pipedrive import mapping as m
from connectors.pipedrive.client import PipedriveApi

_MARKER = re.compile(r"\s*<!-- engage:[0-9a-f]+ -->\s*$")


def moment(raw: Any) -> datetime:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00").replace(" ", "T")).astimezone(UTC)


def unmarked(text: str) -> str:
    return _MARKER.sub("", text)


def value(api: PipedriveApi, row: Mapping[str, Any], field: str) -> FieldValueT:
    names = api.stage_names(int(row.get("pipeline_id") or 1)) if field == "deal.stage" else {}
    return m.from_pipedrive(field, m.read_raw(row, api.fields[field]), names)


def to_deal(api: PipedriveApi, row: Mapping[str, Any]) -> Deal:
    amount, close = value(api, row, "deal.amount"), value(api, row, "deal.close_date")
    competitors, step = value(api, row, "deal.competitors"), value(api, row, "deal.next_step")
    return Deal(
        id=str(row["id"]),
        name=str(row.get("title") or ""),
        account_id=str(row.get("org_id") or ""),
        stage=str(value(api, row, "deal.stage") or ""),
        amount=amount if isinstance(amount, float) else None,
        currency=str(row.get("currency") or "USD"),
        close_date=date.fromisoformat(close) if isinstance(close, str) else None,
        next_step=step if isinstance(step, str) else None,
        competitors=tuple(competitors) if isinstance(competitors, list) else (),
        is_closed=row.get("status") in ("won", "lost"),
    )


def to_contact(api: PipedriveApi, row: Mapping[str, Any]) -> Contact:
    title, phone = value(api, row, "contact.title"), value(api, row, "contact.phone")
    return Contact(
        id=str(row["id"]),
        name=str(row.get("name") or ""),
        email=str(value(api, row, "contact.email") or ""),
        title=title if isinstance(title, str) else None,
        phone=phone if isinstance(phone, str) else None,
    )


def to_account(api: PipedriveApi, row: Mapping[str, Any]) -> Account:
    domain = value(api, row, "account.domain")
    return Account(
        id=str(row["id"]),
        name=str(row.get("name") or ""),
        domain=domain if isinstance(domain, str) else None,
    )


def read_context(api: PipedriveApi, deal_id: str) -> CrmContext:
    deal = api.data("GET", f"/api/v2/deals/{deal_id}")
    org_id = deal.get("org_id")
    org = api.data("GET", f"/api/v2/organizations/{org_id}") if org_id else None
    persons = api.data("GET", "/api/v2/persons", params={"org_id": org_id}) if org_id else []
    notes = sorted(
        (
            Note(
                id=str(n["id"]),
                created_at=moment(n["add_time"]),
                body=unmarked(str(n.get("content") or "")),
            )
            for n in api.data("GET", "/api/v1/notes", params={"deal_id": deal_id}) or []
        ),
        key=lambda n: n.created_at,
        reverse=True,
    )
    rows = api.data("GET", "/api/v2/activities", params={"deal_id": deal_id}) or []
    tasks = [
        Task(
            id=str(a["id"]),
            subject=str(a.get("subject") or ""),
            due=date.fromisoformat(a["due_date"]) if a.get("due_date") else None,
            done=bool(a.get("done")),
        )
        for a in rows
    ]
    activities = [Activity(kind="note", at=n.created_at, subject=n.body[:120]) for n in notes] + [
        Activity(
            kind=str(a.get("type") or "task"),
            at=moment(a["add_time"]),
            subject=str(a.get("subject") or ""),
        )
        for a in rows
    ]
    pipeline = int(deal.get("pipeline_id") or 1)
    return CrmContext(
        deal=to_deal(api, deal),
        account=to_account(api, org) if org else Account(id="", name=""),
        contacts=tuple(to_contact(api, p) for p in persons or []),
        stages=tuple(str(s["name"]) for s in api.stages(pipeline)),
        notes=tuple(notes),
        open_tasks=tuple(t for t in tasks if not t.done),
        activities=tuple(sorted(activities, key=lambda a: a.at, reverse=True)),
    )


def fetch(api: PipedriveApi, object_type: ObjectType, object_id: str) -> dict[str, Any]:
    row: dict[str, Any] = api.data("GET", f"/api/v2/{m.KINDS[object_type]}/{object_id}")
    return row


def read_values(api: PipedriveApi, refs: Sequence[FieldRef]) -> list[CurrentValue]:
    rows = {(r.object_type, r.object_id): None for r in refs}
    found = {key: fetch(api, *key) for key in rows}
    for (object_type, object_id), row in found.items():
        api.recent.remember(m.KINDS[object_type], object_id, str(row["update_time"]))
    return [
        CurrentValue(
            ref=ref,
            value=value(api, found[(ref.object_type, ref.object_id)], ref.field),
            version=str(found[(ref.object_type, ref.object_id)]["update_time"]),
        )
        for ref in refs
    ]


def get_record(
    api: PipedriveApi, object_type: ObjectType, object_id: str
) -> dict[str, FieldValueT]:
    row = fetch(api, object_type, object_id)
    record: dict[str, FieldValueT] = {"id": str(row["id"])}
    if object_type is ObjectType.DEAL:
        record["name"] = row.get("title")
        record["is_closed"] = row.get("status") in ("won", "lost")
    elif object_type is ObjectType.CONTACT:
        record["name"] = row.get("name")
    for field in api.fields:
        if field.startswith(f"{object_type.value}."):
            record[field.split(".", 1)[1]] = value(api, row, field)
    record["updated_at"] = str(row["update_time"])
    record["updated_by"] = str(row["owner_id"]) if row.get("owner_id") else None
    record["version"] = str(row["update_time"])
    return record


def search(
    api: PipedriveApi, kind: str, term: str, *, fields: str, exact: bool
) -> list[dict[str, Any]]:
    params = {"term": term, "fields": fields, "exact_match": str(exact).lower()}
    data = api.data("GET", f"/api/v2/{kind}/search", params=params) or {}
    return [i["item"] for i in data.get("items", [])]


def _normal(values: Sequence[str], normalize: Any) -> list[str]:
    found = set()
    for raw in values:
        try:
            found.add(normalize(raw))
        except ValueError:
            continue
    return sorted(found)


def match_identities(
    api: PipedriveApi, emails: Sequence[str], domains: Sequence[str]
) -> IdentityMatch:
    """One search per address and per domain (Pipedrive searches one term at a time)."""
    contacts: dict[str, Contact] = {}
    orgs: set[str] = set()
    for email in _normal(emails, normalize_email):
        for item in search(api, "persons", email, fields="email", exact=True):
            person = fetch(api, ObjectType.CONTACT, str(item["id"]))
            contacts[str(person["id"])] = to_contact(api, person)
            if person.get("org_id"):
                orgs.add(str(person["org_id"]))
    for domain in _normal(domains, normalize_domain):
        for item in search(api, "organizations", domain, fields="custom_fields,name", exact=False):
            if item.get("website") and value(api, item, "account.domain") == domain:
                orgs.add(str(item["id"]))
    accounts = [to_account(api, fetch(api, ObjectType.ACCOUNT, o)) for o in sorted(orgs, key=int)]
    deals = [
        to_deal(api, d)
        for a in accounts
        for d in api.data("GET", "/api/v2/deals", params={"org_id": a.id, "status": "open"}) or []
    ]
    return IdentityMatch(
        contacts=tuple(contacts.values()), accounts=tuple(accounts), open_deals=tuple(deals)
    )

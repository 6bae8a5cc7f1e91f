"""Reading HubSpot into the domain: a brief is one deal read with its associations, one v4
association read for contact roles, and one batch read per associated object type."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
from connectors.hubspot import mapping as m
from connectors.hubspot.client import HubSpotApi, Obj

NOTE_PROPERTIES = ("hs_note_body", "hs_timestamp", "hubspot_owner_id")
TASK_PROPERTIES = ("hs_task_subject", "hs_task_status", "hs_timestamp", "hubspot_owner_id")
CONTACT_PROPERTIES = ("firstname", "lastname", "email", "jobtitle", "phone", "associatedcompanyid")


def moment(raw: Any) -> datetime:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


def properties_for(api: HubSpotApi, object_type: ObjectType) -> list[str]:
    own = [v for k, v in api.fields.items() if k.startswith(f"{object_type.value}.")]
    return list(dict.fromkeys([*own, *m.NAMES[object_type]]))


def value(api: HubSpotApi, obj: Obj, field: str) -> FieldValueT:
    props = obj.get("properties", {})
    labels = (
        api.pipeline(props.get("pipeline") or "default").labels if field == "deal.stage" else {}
    )
    return m.from_hubspot(field, props.get(api.fields[field]), labels)


def to_deal(api: HubSpotApi, obj: Obj, account_id: str) -> Deal:
    props = obj.get("properties", {})
    amount = value(api, obj, "deal.amount")
    close = value(api, obj, "deal.close_date")
    competitors = value(api, obj, "deal.competitors")
    next_step = value(api, obj, "deal.next_step")
    return Deal(
        id=str(obj["id"]),
        name=str(props.get("dealname") or ""),
        account_id=account_id,
        stage=str(value(api, obj, "deal.stage") or ""),
        amount=amount if isinstance(amount, float) else None,
        close_date=datetime.fromisoformat(close).date() if isinstance(close, str) else None,
        next_step=next_step if isinstance(next_step, str) else None,
        competitors=tuple(competitors) if isinstance(competitors, list) else (),
        is_closed=props.get("hs_is_closed") == "true",
    )


def to_contact(api: HubSpotApi, obj: Obj, role: str | None = None) -> Contact:
    props = obj.get("properties", {})
    name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
    title, phone = value(api, obj, "contact.title"), value(api, obj, "contact.phone")
    return Contact(
        id=str(obj["id"]),
        name=name,
        email=str(props.get(api.fields["contact.email"]) or ""),
        title=title if isinstance(title, str) else None,
        phone=phone if isinstance(phone, str) else None,
        role=role,
    )


def to_account(api: HubSpotApi, obj: Obj) -> Account:
    domain = value(api, obj, "account.domain")
    return Account(
        id=str(obj["id"]),
        name=str(obj.get("properties", {}).get(api.fields["account.name"]) or ""),
        domain=domain if isinstance(domain, str) else None,
    )


def _linked(deal: Obj, kind: str) -> list[str]:
    return [str(r["id"]) for r in deal.get("associations", {}).get(kind, {}).get("results", [])]


def read_context(api: HubSpotApi, deal_id: str) -> CrmContext:
    deal = api.get(
        "deals", deal_id, properties_for(api, ObjectType.DEAL), ("companies", "notes", "tasks")
    )
    roles = api.associated("deals", deal_id, "contacts")
    contacts = {
        str(c["id"]): c
        for c in api.batch_read("contacts", [i for i, _ in roles], CONTACT_PROPERTIES)
    }
    companies = api.batch_read(
        "companies", _linked(deal, "companies")[:1], properties_for(api, ObjectType.ACCOUNT)
    )
    notes = sorted(
        (
            Note(
                id=str(n["id"]),
                created_at=moment(n["createdAt"]),
                body=str(n["properties"].get("hs_note_body") or ""),
            )
            for n in api.batch_read("notes", _linked(deal, "notes"), NOTE_PROPERTIES)
        ),
        key=lambda n: n.created_at,
        reverse=True,
    )
    task_rows = api.batch_read("tasks", _linked(deal, "tasks"), TASK_PROPERTIES)
    tasks = [
        Task(
            id=str(t["id"]),
            subject=str(t["properties"].get("hs_task_subject") or ""),
            due=moment(t["properties"]["hs_timestamp"]).date()
            if t["properties"].get("hs_timestamp")
            else None,
            done=t["properties"].get("hs_task_status") == "COMPLETED",
        )
        for t in task_rows
    ]
    activities = [Activity(kind="note", at=n.created_at, subject=n.body[:120]) for n in notes] + [
        Activity(
            kind="task",
            at=moment(t["createdAt"]),
            subject=str(t["properties"].get("hs_task_subject") or ""),
        )
        for t in task_rows
    ]
    account = to_account(api, companies[0]) if companies else Account(id="", name="")
    return CrmContext(
        deal=to_deal(api, deal, account.id),
        account=account,
        contacts=tuple(to_contact(api, contacts[i], role) for i, role in roles if i in contacts),
        stages=api.pipeline(deal["properties"].get("pipeline") or "default").order,
        notes=tuple(notes),
        open_tasks=tuple(t for t in tasks if not t.done),
        activities=tuple(sorted(activities, key=lambda a: a.at, reverse=True)),
    )


def read_values(api: HubSpotApi, refs: Sequence[FieldRef]) -> list[CurrentValue]:
    """One batch read per object type, whatever the number of records."""
    rows: dict[tuple[ObjectType, str], Obj] = {}
    for object_type in dict.fromkeys(r.object_type for r in refs):
        ids = list(dict.fromkeys(r.object_id for r in refs if r.object_type is object_type))
        props = properties_for(api, object_type)
        for obj in api.batch_read(m.KINDS[object_type], ids, props):
            rows[(object_type, str(obj["id"]))] = obj
            api.recent.remember(m.KINDS[object_type], str(obj["id"]), str(obj["updatedAt"]))
    return [
        CurrentValue(
            ref=ref,
            value=value(api, rows[(ref.object_type, ref.object_id)], ref.field),
            version=str(rows[(ref.object_type, ref.object_id)]["updatedAt"]),
        )
        for ref in refs
    ]


def get_record(api: HubSpotApi, object_type: ObjectType, object_id: str) -> dict[str, FieldValueT]:
    obj = api.get(m.KINDS[object_type], object_id, properties_for(api, object_type))
    props = obj.get("properties", {})
    record: dict[str, FieldValueT] = {"id": str(obj["id"])}
    if object_type is ObjectType.DEAL:
        record["name"] = props.get("dealname")
        record["is_closed"] = props.get("hs_is_closed") == "true"
    if object_type is ObjectType.CONTACT:
        record["name"] = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
    for field in api.fields:
        if field.startswith(f"{object_type.value}."):
            record[field.split(".", 1)[1]] = value(api, obj, field)
    record["updated_at"] = str(obj["updatedAt"])
    record["updated_by"] = props.get("hs_updated_by_user_id")
    record["version"] = str(obj["updatedAt"])
    return record


def _normal(values: Sequence[str], normalize: Any) -> list[str]:
    found = set()
    for raw in values:
        try:
            found.add(normalize(raw))
        except ValueError:
            continue
    return sorted(found)


def match_identities(
    api: HubSpotApi, emails: Sequence[str], domains: Sequence[str]
) -> IdentityMatch:
    wanted_emails = _normal(emails, normalize_email)
    wanted_domains = _normal(domains, normalize_domain)
    contact_rows = (
        api.search(
            "contacts",
            [
                [
                    {
                        "propertyName": api.fields["contact.email"],
                        "operator": "IN",
                        "values": wanted_emails,
                    }
                ]
            ],
            CONTACT_PROPERTIES,
        )
        if wanted_emails
        else []
    )
    owners = sorted(
        {
            str(c["properties"]["associatedcompanyid"])
            for c in contact_rows
            if c["properties"].get("associatedcompanyid")
        }
    )
    groups = []
    if owners:
        groups.append([{"propertyName": "hs_object_id", "operator": "IN", "values": owners}])
    if wanted_domains:
        groups.append(
            [
                {
                    "propertyName": api.fields["account.domain"],
                    "operator": "IN",
                    "values": wanted_domains,
                }
            ]
        )
    companies = (
        api.search("companies", groups, properties_for(api, ObjectType.ACCOUNT)) if groups else []
    )
    deals: list[Deal] = []
    for company in companies:
        ids = [i for i, _ in api.associated("companies", str(company["id"]), "deals")]
        for row in api.batch_read("deals", ids, properties_for(api, ObjectType.DEAL)):
            if row["properties"].get("hs_is_closed") != "true":
                deals.append(to_deal(api, row, str(company["id"])))
    return IdentityMatch(
        contacts=tuple(to_contact(api, c) for c in contact_rows),
        accounts=tuple(to_account(api, c) for c in companies),
        open_deals=tuple(deals),
    )

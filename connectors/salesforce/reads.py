"""Reading Salesforce into the domain: one SOQL query per brief, one GET per re-read record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

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
)
from agent.errors import NotFound
from connectors.salesforce import mapping as m
from connectors.salesforce.client import COMPOSITE_MAX, SalesforceApi
from connectors.salesforce.wire import error_for, soql_literal

_DEAL_COLUMNS: Final = (
    "Id, Name, StageName, Amount, CloseDate, NextStep, {competitors}, IsClosed, AccountId,"
    " Owner.Email, LastModifiedDate"
)
_CONTEXT_SOQL: Final = (
    "SELECT " + _DEAL_COLUMNS + ", Account.Name, Account.Website,"
    " (SELECT Role, IsPrimary, Contact.Id, Contact.Name, Contact.Email, Contact.Title,"
    " Contact.Phone FROM OpportunityContactRoles),"
    " (SELECT Id, Title, Body, CreatedDate, CreatedBy.Name FROM Notes"
    " ORDER BY CreatedDate DESC LIMIT 20),"
    " (SELECT Id, Subject, ActivityDate, IsClosed, CreatedDate, Owner.Name FROM Tasks"
    " ORDER BY CreatedDate DESC LIMIT 50)"
    " FROM Opportunity WHERE Id = {id}"
)


def _literals(values: Sequence[str]) -> str:
    return ", ".join(soql_literal(v) for v in values)


def to_deal(api: SalesforceApi, row: Mapping[str, Any]) -> Deal:
    f = api.fields
    amount = m.from_salesforce("deal.amount", row.get(f["deal.amount"]))
    competitors = m.from_salesforce("deal.competitors", row.get(f["deal.competitors"]))
    return Deal(
        id=str(row["Id"]),
        name=str(row.get("Name") or ""),
        account_id=str(row.get("AccountId") or ""),
        stage=str(row.get(f["deal.stage"]) or ""),
        amount=amount if isinstance(amount, float) else None,
        close_date=m.day(row.get(f["deal.close_date"])),
        next_step=row.get(f["deal.next_step"]),
        competitors=tuple(competitors) if isinstance(competitors, list) else (),
        owner_email=m.nested(row, "Owner.Email"),
        is_closed=bool(row.get("IsClosed")),
    )


def _account(api: SalesforceApi, row: Mapping[str, Any] | None, account_id: str) -> Account:
    row = row or {}
    domain = m.from_salesforce("account.domain", row.get(api.fields["account.domain"]))
    return Account(
        id=account_id,
        name=str(row.get(api.fields["account.name"]) or ""),
        domain=domain if isinstance(domain, str) else None,
    )


def read_context(api: SalesforceApi, deal_id: str) -> CrmContext:
    deal_id = api.follow_lead(deal_id, "ConvertedOpportunityId")
    soql = _CONTEXT_SOQL.format(
        competitors=api.fields["deal.competitors"], id=soql_literal(deal_id)
    )
    rows = api.query(soql)
    if not rows:
        raise NotFound(f"no Salesforce opportunity {deal_id!r}")
    row = rows[0]
    notes = [
        Note(
            id=str(n["Id"]),
            created_at=m.stamp(n["CreatedDate"]),
            body=str(n.get("Body") or ""),
            author=m.nested(n, "CreatedBy.Name"),
        )
        for n in m.children(row, "Notes")
    ]
    tasks = m.children(row, "Tasks")
    activities = [Activity(kind="note", at=n.created_at, subject=n.body[:120]) for n in notes] + [
        Activity(kind="task", at=m.stamp(t["CreatedDate"]), subject=str(t.get("Subject") or ""))
        for t in tasks
    ]
    return CrmContext(
        deal=to_deal(api, row),
        account=_account(api, row.get("Account"), str(row.get("AccountId") or "")),
        contacts=tuple(m.to_contact(r) for r in m.children(row, "OpportunityContactRoles")),
        stages=api.stages(),
        notes=tuple(notes),
        open_tasks=tuple(m.to_task(t) for t in tasks if not t.get("IsClosed")),
        activities=tuple(sorted(activities, key=lambda a: a.at, reverse=True)),
    )


def read_values(api: SalesforceApi, refs: Sequence[FieldRef]) -> list[CurrentValue]:
    wanted: dict[tuple[ObjectType, str], list[str]] = {}
    for ref in refs:
        wanted.setdefault((ref.object_type, ref.object_id), []).append(ref.field)
    rows = _get_records(api, wanted)
    values = []
    for ref in refs:
        row = rows[(ref.object_type, ref.object_id)]
        values.append(
            CurrentValue(
                ref=ref,
                value=m.from_salesforce(ref.field, row.get(api.fields[ref.field])),
                version=str(row["LastModifiedDate"]),
            )
        )
    return values


def _get_records(
    api: SalesforceApi, wanted: Mapping[tuple[ObjectType, str], list[str]]
) -> dict[tuple[ObjectType, str], dict[str, Any]]:
    """Each record with the named canonical fields: one GET, or one Composite for several."""
    urls = {}
    for (object_type, object_id), names in wanted.items():
        columns = dict.fromkeys([*(api.fields[f] for f in names), "LastModifiedDate"])
        urls[(object_type, object_id)] = api.path(
            f"sobjects/{m.SOBJECTS[object_type]}/{object_id}?fields={','.join(columns)}"
        )
    if len(urls) == 1:
        key, url = next(iter(urls.items()))
        return {key: api.http.request("GET", url).json()}
    found: dict[tuple[ObjectType, str], dict[str, Any]] = {}
    keys = list(urls)
    for start in range(0, len(keys), COMPOSITE_MAX):
        chunk = keys[start : start + COMPOSITE_MAX]
        subrequests = [
            {"method": "GET", "url": urls[k], "referenceId": f"r{i}"} for i, k in enumerate(chunk)
        ]
        for key, reply in zip(chunk, api.composite(subrequests, safe=True), strict=True):
            if reply["httpStatusCode"] >= 300:
                raise error_for(reply["httpStatusCode"], reply.get("body"))
            found[key] = reply["body"]
    return found


_EXTRA: Final = {
    ObjectType.DEAL: ["Name", "IsClosed", "AccountId", "Owner.Email"],
    ObjectType.CONTACT: ["Name", "AccountId"],
    ObjectType.ACCOUNT: [],
}


def get_record(
    api: SalesforceApi, object_type: ObjectType, object_id: str
) -> dict[str, FieldValueT]:
    target = {ObjectType.DEAL: "ConvertedOpportunityId", ObjectType.CONTACT: "ConvertedContactId"}
    if object_type in target:
        object_id = api.follow_lead(object_id, target[object_type])
    names = [f for f in api.fields if f.startswith(f"{object_type.value}.")]
    columns = dict.fromkeys(
        [
            "Id",
            *(api.fields[n] for n in names),
            *_EXTRA[object_type],
            "LastModifiedDate",
            "LastModifiedBy.Name",
        ]
    )
    rows = api.query(
        f"SELECT {', '.join(columns)} FROM {m.SOBJECTS[object_type]}"
        f" WHERE Id = {soql_literal(object_id)}"
    )
    if not rows:
        raise NotFound(f"no Salesforce {object_type.value} {object_id!r}")
    row = rows[0]
    record: dict[str, FieldValueT] = {"id": str(row["Id"])}
    if object_type is not ObjectType.ACCOUNT:
        record["name"] = row.get("Name")
        record["account_id"] = row.get("AccountId")
    for name in names:
        record[name.split(".", 1)[1]] = m.from_salesforce(name, row.get(api.fields[name]))
    if object_type is ObjectType.DEAL:
        record["owner_email"] = m.nested(row, "Owner.Email")
        record["is_closed"] = bool(row.get("IsClosed"))
    record["updated_at"] = m.stamp(row["LastModifiedDate"]).isoformat()
    record["updated_by"] = m.nested(row, "LastModifiedBy.Name")
    record["version"] = str(row["LastModifiedDate"])
    return record


def website_forms(domain: str) -> list[str]:
    """The ways a person types a company's site into Website, for an exact-match lookup."""
    hosts = [domain, f"www.{domain}"]
    return [
        f"{s}{h}{slash}" for h in hosts for s in ("", "http://", "https://") for slash in ("", "/")
    ]


def _normal(values: Sequence[str], normalize: Any) -> list[str]:
    found = []
    for raw in values:
        try:
            found.append(normalize(raw))
        except ValueError:
            continue
    return sorted(set(found))


def match_identities(
    api: SalesforceApi, emails: Sequence[str], domains: Sequence[str]
) -> IdentityMatch:
    """Contacts by normalized email, accounts by domain or as those contacts' accounts, with
    their open opportunities: at most two SOQL queries."""
    wanted_emails = _normal(emails, normalize_email)
    wanted_domains = _normal(domains, normalize_domain)
    contacts: list[Contact] = []
    owners: list[str] = []
    if wanted_emails:
        listed = _literals(wanted_emails)
        rows = api.query(
            f"SELECT Id, Name, Email, Title, Phone, AccountId FROM Contact"
            f" WHERE {m.CONTACT_KEY} IN ({listed}) OR Email IN ({listed}) ORDER BY CreatedDate"
        )
        contacts = [m.to_contact({"Contact": r}) for r in rows]
        owners = sorted({str(r["AccountId"]) for r in rows if r.get("AccountId")})
    conditions = [f"Id IN ({_literals(owners)})"] if owners else []
    if wanted_domains:
        sites = [w for d in wanted_domains for w in website_forms(d)]
        conditions.append(f"{m.ACCOUNT_KEY} IN ({_literals(wanted_domains)})")
        conditions.append(f"{api.fields['account.domain']} IN ({_literals(sites)})")
    if not conditions:
        return IdentityMatch(contacts=tuple(contacts))
    deal_columns = _DEAL_COLUMNS.format(competitors=api.fields["deal.competitors"])
    rows = api.query(
        f"SELECT Id, {api.fields['account.name']}, {api.fields['account.domain']},"
        f" (SELECT {deal_columns} FROM Opportunities WHERE IsClosed = false"
        f" ORDER BY CreatedDate) FROM Account WHERE {' OR '.join(conditions)} ORDER BY CreatedDate"
    )
    return IdentityMatch(
        contacts=tuple(contacts),
        accounts=tuple(_account(api, r, str(r["Id"])) for r in rows),
        open_deals=tuple(to_deal(api, d) for r in rows for d in m.children(r, "Opportunities")),
    )

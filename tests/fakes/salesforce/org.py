"""The Salesforce fake's in-memory org: records, writes with Salesforce's rules, SOQL.

Every write bumps `LastModifiedDate` on a clock that moves one second per write (Salesforce stamps
are second-precise, and two writes in one second would hide a conflict), runs the stage side
effects, the validation rules and the record type's required fields, and is logged in
`write_log`, so tests can prove what reached the CRM.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.salesforce import soql
from tests.fakes.salesforce.schema import (
    CHILDREN,
    OBJECTS,
    PREFIX,
    STAGES,
    TYPE_OF_PREFIX,
    FieldDef,
    Stage,
)

Record = dict[str, Any]
ValidationRule = Callable[[str, Record], tuple[str, list[str]] | None]
"""(object type, record after the write) -> (admin's message, fields) when the rule fires."""


class SfError(Exception):
    """An error the fake answers with Salesforce's error array."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.code, "fields": self.fields}]


def sf_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.000%z")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class WriteEntry:
    action: str
    sobject: str
    record_id: str
    fields: dict[str, Any]


@dataclass
class Org:
    stages: tuple[Stage, ...] = STAGES
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    upsert_update_status: int = 200
    """200 with a body on newer API versions, 204 on older ones (the boundary is unconfirmed)."""
    validation_rules: list[ValidationRule] = field(default_factory=list)
    required_by_record_type: dict[str, tuple[str, ...]] = field(default_factory=dict)
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    write_log: list[WriteEntry] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    admin_id: str = ""
    _seq: int = 0

    def __post_init__(self) -> None:
        for name in OBJECTS:
            self.records.setdefault(name, {})
        if not self.admin_id:
            self.admin_id = self.insert(
                "User",
                {
                    "Name": "Integration User",
                    "Email": "engage@acme.test",
                    "Username": "engage@acme.test",
                },
                log=False,
                trusted=True,
            )

    # -- records -------------------------------------------------------------------------------

    def _tick(self) -> str:
        self.now += timedelta(seconds=1)
        return sf_stamp(self.now)

    def new_id(self, sobject: str) -> str:
        self._seq += 1
        return f"{PREFIX[sobject]}{self._seq:012d}AAA"

    def find(self, record_id: str) -> tuple[str, Record] | None:
        sobject = TYPE_OF_PREFIX.get(record_id[:3])
        if sobject is None:
            return None
        record = self.records[sobject].get(record_id)
        return (sobject, record) if record is not None else None

    def get(self, sobject: str, record_id: str) -> Record:
        if sobject not in OBJECTS:
            raise SfError(404, "NOT_FOUND", f"The requested resource does not exist: {sobject}")
        record = self.records[sobject].get(record_id)
        if record is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        return record

    def insert(
        self,
        sobject: str,
        values: Record,
        *,
        by: str | None = None,
        log: bool = True,
        trusted: bool = False,
    ) -> str:
        """Create a record; `trusted` (seeding) may set fields the API cannot, like IsConverted."""
        with self.lock:
            self._check_fields(sobject, values, trusted=trusted)
            stamp = self._tick()
            record_id = self.new_id(sobject)
            who = by or self.admin_id or record_id
            record: Record = {name: None for name in OBJECTS[sobject]}
            record.update(values)
            record.update(
                Id=record_id,
                CreatedDate=stamp,
                LastModifiedDate=stamp,
                SystemModstamp=stamp,
                CreatedById=who,
                LastModifiedById=who,
            )
            self._derive(sobject, record, values)
            self._validate(sobject, record)
            self.records[sobject][record_id] = record
            if log:
                self.write_log.append(WriteEntry("insert", sobject, record_id, dict(values)))
            return record_id

    def update(
        self,
        sobject: str,
        record_id: str,
        values: Record,
        *,
        by: str | None = None,
        unmodified_since: datetime | None = None,
    ) -> Record:
        with self.lock:
            current = self.get(sobject, record_id)
            self._check_fields(sobject, values, trusted=False)
            if unmodified_since is not None:
                modified = parse_stamp(current["LastModifiedDate"])
                if modified > unmodified_since:
                    raise SfError(412, "PRECONDITION_FAILED", "The record was modified since")
            candidate = {**current, **values}
            self._derive(sobject, candidate, values)
            self._validate(sobject, candidate)
            stamp = self._tick()
            candidate.update(
                LastModifiedDate=stamp,
                SystemModstamp=stamp,
                LastModifiedById=by or self.admin_id,
            )
            current.clear()
            current.update(candidate)
            self.write_log.append(WriteEntry("update", sobject, record_id, dict(values)))
            return current

    def upsert(self, sobject: str, key_field: str, key: str, values: Record) -> tuple[str, bool]:
        """(id, created): one match is updated, none is created, several refuse (300)."""
        with self.lock:
            spec = OBJECTS.get(sobject, {}).get(key_field)
            if spec is None or not spec.external_id:
                raise SfError(
                    404,
                    "NOT_FOUND",
                    f"Provided external ID field does not exist or is not accessible: {key_field}",
                )
            matches = [r for r in self.records[sobject].values() if r.get(key_field) == key]
            if len(matches) > 1:
                raise SfError(300, "MULTIPLE_CHOICES", "More than one record found for external id")
            if matches:
                self.update(sobject, matches[0]["Id"], values)
                return matches[0]["Id"], False
            return self.insert(sobject, {**values, key_field: key}), True

    def _check_fields(self, sobject: str, values: Record, *, trusted: bool) -> None:
        fields = OBJECTS[sobject]
        for name, value in values.items():
            spec = fields.get(name)
            if spec is None:
                raise SfError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"
                )
            if not spec.updateable and not trusted:
                raise SfError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {name}.",
                    [name],
                )
            _check_type(sobject, name, spec, value)
            if spec.type == "reference" and value is not None and self.find(str(value)) is None:
                raise SfError(
                    400,
                    "INVALID_CROSS_REFERENCE_KEY",
                    f"invalid cross reference id: {value}",
                    [name],
                )
        stage = values.get("StageName") if sobject == "Opportunity" else None
        known = {s.name for s in self.stages}
        if "StageName" in values and sobject == "Opportunity" and stage not in known:
            raise SfError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"Stage: bad value for restricted picklist field: {stage}",
                ["StageName"],
            )

    def _derive(self, sobject: str, record: Record, changed: Record) -> None:
        if sobject == "Contact":
            record["Name"] = " ".join(
                p for p in (record.get("FirstName"), record.get("LastName")) if p
            )
        if sobject == "Opportunity" and "StageName" in changed:
            stage = next(s for s in self.stages if s.name == record["StageName"])
            record.update(
                IsClosed=stage.closed, IsWon=stage.won, ForecastCategoryName=stage.forecast
            )
            if "Probability" not in changed:
                record["Probability"] = stage.probability
        if sobject == "Task":
            record["IsClosed"] = record.get("Status") == "Completed"
            record["Status"] = record.get("Status") or "Not Started"

    def _validate(self, sobject: str, record: Record) -> None:
        for name, spec in OBJECTS[sobject].items():
            if not spec.nillable and record.get(name) in (None, "") and spec.updateable:
                raise SfError(
                    400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", [name]
                )
        required = self.required_by_record_type.get(record.get("RecordTypeId") or "", ())
        if missing := [name for name in required if record.get(name) in (None, "")]:
            raise SfError(
                400,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
        for rule in self.validation_rules:
            if fired := rule(sobject, record):
                message, fields = fired
                raise SfError(400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", message, fields)

    # -- SOQL ----------------------------------------------------------------------------------

    def resolve(self, record: Record, path: str) -> Any:
        head, _, rest = path.partition(".")
        if not rest:
            return record.get(path)
        parent = self._parent(record, head)
        return None if parent is None else self.resolve(parent, rest)

    def _parent(self, record: Record, relationship: str) -> Record | None:
        key = f"{relationship[:-3]}__c" if relationship.endswith("__r") else f"{relationship}Id"
        target = record.get(key)
        found = self.find(target) if isinstance(target, str) else None
        return found[1] if found else None

    def query(self, text: str) -> list[Record]:
        try:
            parsed = soql.parse(text)
        except soql.SoqlError as exc:
            raise SfError(400, "MALFORMED_QUERY", str(exc)) from None
        if parsed.source not in OBJECTS:
            raise SfError(
                400,
                "INVALID_TYPE",
                f"sObject type '{parsed.source}' is not supported.",
            )
        with self.lock:
            return self._run(parsed, list(self.records[parsed.source].values()))

    def _run(self, parsed: soql.Query, rows: list[Record]) -> list[Record]:
        selected = [r for r in rows if parsed.where is None or parsed.where(self.resolve, r)]
        for path, descending in reversed(parsed.order):
            selected.sort(
                key=lambda r, p=path: (self.resolve(r, p) is None, self.resolve(r, p) or ""),
                reverse=descending,
            )
        if parsed.limit is not None:
            selected = selected[: parsed.limit]
        return [self._shape(parsed, r) for r in selected]

    def _shape(self, parsed: soql.Query, record: Record) -> Record:
        sobject = TYPE_OF_PREFIX[record["Id"][:3]]
        out: Record = {"attributes": attributes(sobject, record["Id"])}
        for item in parsed.fields:
            if isinstance(item, soql.Query):
                out[item.source] = self._children(sobject, record, item)
                continue
            self._place(out, record, item)
        return out

    def _place(self, out: Record, record: Record, path: str) -> None:
        head, _, rest = path.partition(".")
        if not rest:
            if head not in record:
                raise SfError(400, "INVALID_FIELD", f"No such column '{head}' on entity")
            out[head] = record[head]
            return
        parent = self._parent(record, head)
        if parent is None:
            out[head] = None
            return
        nested = out.get(head) or {
            "attributes": attributes(TYPE_OF_PREFIX[parent["Id"][:3]], parent["Id"])
        }
        out[head] = nested
        self._place(nested, parent, rest)

    def _children(self, sobject: str, record: Record, sub: soql.Query) -> Record | None:
        child = CHILDREN.get((sobject, sub.source))
        if child is None:
            raise SfError(
                400,
                "INVALID_TYPE",
                f"Didn't understand relationship '{sub.source}' in FROM part of query call.",
            )
        child_type, key = child
        rows = [r for r in self.records[child_type].values() if r.get(key) == record["Id"]]
        shaped = self._run(sub, rows)
        if not shaped:
            return None
        return {"totalSize": len(shaped), "done": True, "records": shaped}


def attributes(sobject: str, record_id: str, version: str = "59.0") -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}


def _check_type(sobject: str, name: str, spec: FieldDef, value: Any) -> None:
    if value is None:
        return
    kind = spec.type
    ok = True
    if kind in ("currency", "percent", "double"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "date":
        ok = isinstance(value, str) and bool(_DATE.fullmatch(value))
    else:
        ok = isinstance(value, str) and len(value) <= spec.length
    if not ok:
        raise SfError(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {kind} from {type(value).__name__} value {value!r}"
            f" or request may be missing a required field ({sobject}.{name})",
            [name],
        )

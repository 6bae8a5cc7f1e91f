"""The HubSpot fake's portal: CRM v3 objects with string properties, v4 associations, one deal
pipeline, unique properties for `idProperty` upserts, and a write log.

`updatedAt` moves one millisecond-stamped tick per write (a clock that advances a second per
write), so a version read before a person's edit never equals the one after it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Obj = dict[str, Any]

PROPERTIES: dict[str, set[str]] = {
    "deals": {
        "dealname",
        "dealstage",
        "pipeline",
        "amount",
        "closedate",
        "hs_next_step",
        "engage_competitors",
        "hubspot_owner_id",
        "hs_is_closed",
        "hs_lastmodifieddate",
    },
    "contacts": {
        "firstname",
        "lastname",
        "email",
        "jobtitle",
        "phone",
        "associatedcompanyid",
        "hs_lastmodifieddate",
    },
    "companies": {"name", "domain", "engage_domain_key", "hs_lastmodifieddate"},
    "notes": {"hs_note_body", "hs_timestamp", "engage_key", "hubspot_owner_id"},
    "tasks": {
        "hs_task_subject",
        "hs_task_body",
        "hs_task_status",
        "hs_task_priority",
        "hs_timestamp",
        "engage_key",
        "hubspot_owner_id",
    },
}
UNIQUE: dict[str, set[str]] = {
    "contacts": {"email"},
    "companies": {"engage_domain_key"},
    "notes": {"engage_key"},
    "tasks": {"engage_key"},
}
TYPE_IDS = {"deals": "0-3", "contacts": "0-1", "companies": "0-2", "notes": "0-46", "tasks": "0-27"}
SINGULAR = {
    "deals": "deal",
    "contacts": "contact",
    "companies": "company",
    "notes": "note",
    "tasks": "task",
}
PLURAL = {v: k for k, v in SINGULAR.items()} | {k: k for k in SINGULAR}
DEFAULT_TYPE_IDS = {
    ("notes", "deals"): 214,
    ("tasks", "deals"): 216,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("notes", "contacts"): 202,
    ("tasks", "contacts"): 204,
}


@dataclass(frozen=True)
class HsStage:
    id: str
    label: str
    closed: bool = False


STAGES = (
    HsStage("appointmentscheduled", "Appointment Scheduled"),
    HsStage("qualifiedtobuy", "Qualified To Buy"),
    HsStage("presentationscheduled", "Presentation Scheduled"),
    HsStage("contractsent", "Contract Sent"),
    HsStage("closedwon", "Closed Won", closed=True),
    HsStage("closedlost", "Closed Lost", closed=True),
)


class HsError(Exception):
    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra

    def body(self) -> dict[str, Any]:
        return {
            "status": "error",
            "message": self.message,
            "correlationId": "3c9f0f8e-6a4d-4c43-9a7b-5f0e2f3c1a11",
            "category": self.category,
            **self.extra,
        }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Portal:
    stages: tuple[HsStage, ...] = STAGES
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    objects: dict[str, dict[str, Obj]] = field(default_factory=lambda: {k: {} for k in PROPERTIES})
    associations: set[tuple[str, str, str, str, int, str | None]] = field(default_factory=set)
    write_log: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _seq: int = 1000

    def tick(self) -> str:
        self.now += timedelta(seconds=1)
        return iso(self.now)

    def get(self, kind: str, object_id: str) -> Obj:
        found = self.objects[kind].get(str(object_id))
        if found is None or found["archived"]:
            raise HsError(
                404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric."
            )
        return found

    def check(self, kind: str, properties: dict[str, Any]) -> dict[str, str]:
        bad = [
            {
                "isValid": False,
                "message": f'Property "{name}" does not exist',
                "error": "PROPERTY_DOESNT_EXIST",
                "name": name,
            }
            for name in properties
            if name not in PROPERTIES[kind]
        ]
        stage_ids = {s.id for s in self.stages}
        stage = properties.get("dealstage") if kind == "deals" else None
        if "dealstage" in properties and kind == "deals" and stage not in stage_ids:
            bad.append(
                {
                    "isValid": False,
                    "message": f"{properties['dealstage']} was not one of the allowed options",
                    "error": "INVALID_OPTION",
                    "name": "dealstage",
                }
            )
        if kind == "deals" and properties.get("amount") not in (None, ""):
            try:
                float(properties["amount"])
            except (TypeError, ValueError):
                bad.append(
                    {
                        "isValid": False,
                        "message": f"{properties['amount']} is not a valid number",
                        "error": "INVALID_FLOAT",
                        "name": "amount",
                    }
                )
        if bad:
            import json

            raise HsError(
                400, "VALIDATION_ERROR", f"Property values were not valid: {json.dumps(bad)}"
            )
        return {k: ("" if v is None else str(v)) for k, v in properties.items()}

    def create(self, kind: str, properties: dict[str, Any], *, log: bool = True) -> Obj:
        with self.lock:
            props = self.check(kind, properties)
            for unique in UNIQUE.get(kind, set()) & props.keys():
                if props[unique] and self.find_unique(kind, unique, props[unique]):
                    raise HsError(
                        409,
                        "CONFLICT",
                        f"A {SINGULAR[kind]} with {unique}"
                        f" {props[unique]} already exists. Existing ID: "
                        f"{self.find_unique(kind, unique, props[unique])}",
                    )
            self._seq += 1
            stamp = self.tick()
            obj: Obj = {
                "id": str(self._seq),
                "properties": {},
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": False,
            }
            obj["properties"].update(
                props, hs_object_id=obj["id"], hs_createdate=stamp, hs_lastmodifieddate=stamp
            )
            self._derive(kind, obj)
            self.objects[kind][obj["id"]] = obj
            if log:
                self.write_log.append(("create", kind, obj["id"], props))
            return obj

    def update(self, kind: str, object_id: str, properties: dict[str, Any]) -> Obj:
        with self.lock:
            obj = self.get(kind, object_id)
            props = self.check(kind, properties)
            stamp = self.tick()
            obj["properties"].update(props, hs_lastmodifieddate=stamp)
            obj["updatedAt"] = stamp
            self._derive(kind, obj)
            self.write_log.append(("update", kind, obj["id"], props))
            return obj

    def _derive(self, kind: str, obj: Obj) -> None:
        if kind == "deals":
            stage = next(
                (s for s in self.stages if s.id == obj["properties"].get("dealstage")), None
            )
            obj["properties"]["hs_is_closed"] = "true" if stage and stage.closed else "false"
            obj["properties"].setdefault("pipeline", "default")

    def find_unique(self, kind: str, name: str, value: str) -> str | None:
        for obj in self.objects[kind].values():
            if not obj["archived"] and obj["properties"].get(name, "").lower() == value.lower():
                return str(obj["id"])
        return None

    def associate(
        self,
        from_kind: str,
        from_id: str,
        to_kind: str,
        to_id: str,
        type_id: int | None = None,
        label: str | None = None,
    ) -> None:
        self.get(from_kind, from_id)
        self.get(to_kind, to_id)
        forward = type_id or DEFAULT_TYPE_IDS[(from_kind, to_kind)]
        backward = DEFAULT_TYPE_IDS.get((to_kind, from_kind), forward)
        self.associations.add((from_kind, str(from_id), to_kind, str(to_id), forward, label))
        self.associations.add((to_kind, str(to_id), from_kind, str(from_id), backward, label))

    def associated(
        self, kind: str, object_id: str, to_kind: str
    ) -> dict[str, list[tuple[int, str | None]]]:
        found: dict[str, list[tuple[int, str | None]]] = {}
        for a_kind, a_id, b_kind, b_id, type_id, label in sorted(self.associations, key=str):
            if a_kind == kind and a_id == str(object_id) and b_kind == to_kind:
                found.setdefault(b_id, []).append((type_id, label))
        return found

    def view(self, kind: str, obj: Obj, properties: list[str] | None) -> Obj:
        wanted = properties or sorted(PROPERTIES[kind])
        props = {name: obj["properties"].get(name) for name in wanted}
        props.update(
            {
                k: obj["properties"][k]
                for k in ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")
            }
        )
        return {
            "id": obj["id"],
            "properties": props,
            "createdAt": obj["createdAt"],
            "updatedAt": obj["updatedAt"],
            "archived": obj["archived"],
        }

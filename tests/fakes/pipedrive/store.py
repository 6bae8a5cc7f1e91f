"""The Pipedrive fake's company account: deals, persons, organizations (API v2 shapes), notes
(v1), activities, stages, merges; `update_time` moves one second per write."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Row = dict[str, Any]
CUSTOM = ("engage_next_step", "engage_competitors")


class PdError(Exception):
    def __init__(self, status: int, error: str, code: str | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.code = status, error, code

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": self.error,
            "error_info": "Please check developers.pipedrive.com",
            "data": None,
            "additional_data": None,
            "code": self.code,
        }


@dataclass
class Account:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    rows: dict[str, dict[int, Row]] = field(
        default_factory=lambda: {
            k: {} for k in ("deals", "persons", "organizations", "notes", "activities", "stages")
        }
    )
    write_log: list[tuple[str, str, int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _seq: int = 0

    def stamp(self) -> str:
        self.now += timedelta(seconds=1)
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")

    def get(self, kind: str, row_id: Any) -> Row:
        try:
            found = self.rows[kind].get(int(row_id))
        except (TypeError, ValueError):
            found = None
        if found is None or found.get("is_deleted"):
            raise PdError(404, f"{kind[:-1].capitalize()} not found", "not_found")
        return found

    def create(self, kind: str, values: Row, *, log: bool = True) -> Row:
        with self.lock:
            self._check(kind, values)
            self._seq += 1
            stamp = self.stamp()
            row: Row = {
                "id": self._seq,
                "add_time": stamp,
                "update_time": stamp,
                "is_deleted": False,
            }
            row.update(values)
            if kind == "deals":
                row.setdefault("status", "open")
                row.setdefault("custom_fields", {k: None for k in CUSTOM})
            self.rows[kind][row["id"]] = row
            if log:
                self.write_log.append(("create", kind, row["id"], dict(values)))
            return row

    def update(self, kind: str, row_id: Any, values: Row) -> Row:
        with self.lock:
            row = self.get(kind, row_id)
            self._check(kind, values)
            for key, value in values.items():
                if key == "custom_fields":
                    row["custom_fields"].update(value)
                else:
                    row[key] = value
            row["update_time"] = self.stamp()
            self.write_log.append(("update", kind, row["id"], dict(values)))
            return row

    def _check(self, kind: str, values: Row) -> None:
        if (
            kind == "deals"
            and "stage_id" in values
            and int(values["stage_id"]) not in self.rows["stages"]
        ):
            raise PdError(
                400, f"Stage with id {values['stage_id']} does not exist", "invalid_stage"
            )
        if (
            kind == "deals"
            and values.get("value") is not None
            and not isinstance(values["value"], int | float)
        ):
            raise PdError(400, "Validation failed: value: Expected number", "validation_failed")
        if kind == "deals":
            unknown = set(values.get("custom_fields") or {}) - set(CUSTOM)
            if unknown:
                raise PdError(
                    400, f"Unknown custom field(s): {sorted(unknown)}", "validation_failed"
                )
        for key in ("deal_id", "org_id", "person_id"):
            target = {"deal_id": "deals", "org_id": "organizations", "person_id": "persons"}[key]
            if values.get(key) is not None and kind != target:
                self.get(target, values[key])

    def merge(self, kind: str, row_id: int, into: int) -> Row:
        """Pipedrive's merge: `row_id` folds into `into`, whose id survives."""
        with self.lock:
            loser, keeper = self.get(kind, row_id), self.get(kind, into)
            loser["is_deleted"] = True
            key = "person_id" if kind == "persons" else "org_id"
            for table in ("deals", "persons"):
                for row in self.rows[table].values():
                    if row.get(key) == loser["id"]:
                        row[key] = keeper["id"]
            keeper["update_time"] = self.stamp()
            self.write_log.append(("merge", kind, keeper["id"], {"merged": loser["id"]}))
            return keeper

    def live(self, kind: str) -> list[Row]:
        return [r for r in self.rows[kind].values() if not r.get("is_deleted")]

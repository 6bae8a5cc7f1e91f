"""Salesforce REST calls the connector's parts share: paths, SOQL with paging, Composite, the
cached Opportunity describe and following a converted Lead."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Final

from agent.errors import CrmError, NotFound
from connectors.common.http import ApiClient
from connectors.salesforce.wire import SYSTEM, soql_literal

COMPOSITE_MAX: Final = 25


class SalesforceApi:
    def __init__(self, api: ApiClient, *, version: str, fields: Mapping[str, str]) -> None:
        self.http = api
        self.version = version.removeprefix("v")
        self.fields = dict(fields)
        self._describe: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def path(self, rest: str) -> str:
        return f"/services/data/v{self.version}/{rest}"

    def query(self, soql: str) -> list[dict[str, Any]]:
        """Every row of a SOQL query, following `nextRecordsUrl`."""
        body = self.http.request("GET", self.path("query/"), params={"q": soql}).json()
        rows: list[dict[str, Any]] = list(body.get("records", []))
        while not body.get("done", True) and body.get("nextRecordsUrl"):
            body = self.http.request("GET", str(body["nextRecordsUrl"])).json()
            rows.extend(body.get("records", []))
        return rows

    def composite(self, subrequests: list[dict[str, Any]], *, safe: bool) -> list[dict[str, Any]]:
        """One Composite call (up to 25 subrequests, each independent: allOrNone is false)."""
        body = {"allOrNone": False, "compositeRequest": subrequests}
        response = self.http.request("POST", self.path("composite"), json=body, safe=safe)
        replies: list[dict[str, Any]] = response.json()["compositeResponse"]
        return replies

    def describe_opportunity(self) -> dict[str, Any]:
        """Field metadata (types, required, picklist values), fetched once per connector."""
        with self._lock:
            if self._describe is None:
                response = self.http.request("GET", self.path("sobjects/Opportunity/describe"))
                self._describe = response.json()
            return self._describe

    def stages(self) -> tuple[str, ...]:
        stage_field = self.fields["deal.stage"]
        for spec in self.describe_opportunity().get("fields", []):
            if spec.get("name") == stage_field:
                return tuple(v["value"] for v in spec.get("picklistValues", []) if v.get("active"))
        raise CrmError(f"Opportunity has no field {stage_field}", system=SYSTEM, code="NO_STAGE")

    def follow_lead(self, object_id: str, target: str) -> str:
        """The record a converted Lead became (`ConvertedOpportunityId`, …); others unchanged."""
        if not object_id.startswith("00Q"):
            return object_id
        rows = self.query(
            f"SELECT IsConverted, {target} FROM Lead WHERE Id = {soql_literal(object_id)}"
        )
        if not rows:
            raise NotFound(f"no Salesforce lead {object_id!r}")
        converted = rows[0].get(target)
        if not rows[0].get("IsConverted") or not converted:
            raise NotFound(f"Salesforce lead {object_id!r} is not converted ({target} is empty)")
        return str(converted)

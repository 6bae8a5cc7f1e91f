"""HubSpot calls the connector's parts share: object reads (single, batch, search), the deal
pipeline cached once per connector, and v4 association reads."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agent.errors import CrmError
from connectors.common.freshness import RecentVersions
from connectors.common.http import ApiClient
from connectors.hubspot.wire import SYSTEM

Obj = dict[str, Any]


@dataclass(frozen=True)
class Pipeline:
    labels: dict[str, str]
    """Stage id to label."""
    closed: frozenset[str]
    order: tuple[str, ...]

    @property
    def ids(self) -> dict[str, str]:
        return {label: stage for stage, label in self.labels.items()}


class HubSpotApi:
    def __init__(self, http: ApiClient, *, fields: Mapping[str, str]) -> None:
        self.http = http
        self.fields = dict(fields)
        self.recent = RecentVersions()
        self._pipelines: dict[str, Pipeline] | None = None
        self._lock = threading.Lock()

    def get(
        self, kind: str, object_id: str, properties: Sequence[str], associations: Sequence[str] = ()
    ) -> Obj:
        params = {"properties": ",".join(properties)}
        if associations:
            params["associations"] = ",".join(associations)
        found: Obj = self.http.request(
            "GET", f"/crm/v3/objects/{kind}/{object_id}", params=params
        ).json()
        return found

    def batch_read(self, kind: str, ids: Sequence[str], properties: Sequence[str]) -> list[Obj]:
        if not ids:
            return []
        body = {"inputs": [{"id": i} for i in ids], "properties": list(properties)}
        response = self.http.request(
            "POST", f"/crm/v3/objects/{kind}/batch/read", json=body, safe=True
        )
        results: list[Obj] = response.json()["results"]
        return results

    def search(
        self,
        kind: str,
        groups: list[list[dict[str, Any]]],
        properties: Sequence[str],
        limit: int = 100,
    ) -> list[Obj]:
        body = {
            "filterGroups": [{"filters": g} for g in groups],
            "properties": list(properties),
            "limit": limit,
        }
        response = self.http.request("POST", f"/crm/v3/objects/{kind}/search", json=body, safe=True)
        results: list[Obj] = response.json()["results"]
        return results

    def associated(self, kind: str, object_id: str, to_kind: str) -> list[tuple[str, str | None]]:
        """(id, label) of the records associated through v4 (labels name contact roles)."""
        response = self.http.request(
            "GET", f"/crm/v4/objects/{kind}/{object_id}/associations/{to_kind}"
        )
        found = []
        for row in response.json().get("results", []):
            labels = [t.get("label") for t in row.get("associationTypes", []) if t.get("label")]
            found.append((str(row["toObjectId"]), labels[0] if labels else None))
        return found

    def pipeline(self, pipeline_id: str = "default") -> Pipeline:
        with self._lock:
            if self._pipelines is None:
                body = self.http.request("GET", "/crm/v3/pipelines/deals").json()
                self._pipelines = {
                    str(p["id"]): Pipeline(
                        labels={str(s["id"]): str(s["label"]) for s in p["stages"]},
                        closed=frozenset(
                            str(s["id"])
                            for s in p["stages"]
                            if str(s.get("metadata", {}).get("isClosed")) == "true"
                        ),
                        order=tuple(
                            str(s["label"])
                            for s in sorted(p["stages"], key=lambda s: s.get("displayOrder", 0))
                        ),
                    )
                    for p in body.get("results", [])
                }
            found = self._pipelines.get(pipeline_id or "default")
        if found is None:
            raise CrmError(
                f"no HubSpot deal pipeline {pipeline_id!r}", system=SYSTEM, code="NO_PIPELINE"
            )
        return found

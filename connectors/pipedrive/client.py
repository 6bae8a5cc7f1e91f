"""Pipedrive calls the connector's parts share: envelope unwrapping and the cached stages."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from connectors.common.freshness import RecentVersions
from connectors.common.http import ApiClient


class PipedriveApi:
    def __init__(self, http: ApiClient, *, fields: Mapping[str, str]) -> None:
        self.http = http
        self.fields = dict(fields)
        self.recent = RecentVersions()
        self._stages: dict[int, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def data(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        safe: bool | None = None,
    ) -> Any:
        return (
            self.http.request(method, path, params=params, json=json, safe=safe).json().get("data")
        )

    def stages(self, pipeline_id: int) -> list[dict[str, Any]]:
        with self._lock:
            if pipeline_id not in self._stages:
                rows = self.data("GET", "/api/v2/stages", params={"pipeline_id": pipeline_id}) or []
                self._stages[pipeline_id] = sorted(rows, key=lambda s: s.get("order_nr", 0))
            return self._stages[pipeline_id]

    def stage_names(self, pipeline_id: int) -> dict[int, str]:
        return {int(s["id"]): str(s["name"]) for s in self.stages(pipeline_id)}

"""The identity backbone on Pipedrive: persons by normalized email, organizations by normalized
website domain, created only after a search misses.

Pipedrive has no upsert and no unique key, so creation is serialized per key within the process,
and after creating, the connector searches again: if a racing process created the same person, the
newer records are merged into the oldest (Pipedrive's merge keeps the target's id), and every racer
returns that oldest id. No duplicate survives.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from contextlib import suppress
from typing import Any, ClassVar

from agent.domain.identity import normalize_domain, normalize_email
from agent.errors import NotFound
from connectors.pipedrive import reads
from connectors.pipedrive.client import PipedriveApi


class PipedriveIdentity:
    _locks: ClassVar[defaultdict[str, threading.Lock]] = defaultdict(threading.Lock)
    """Shared by every instance in the process, so two jobs serialize on one key."""

    def __init__(
        self, api: PipedriveApi, *, locks: defaultdict[str, threading.Lock] | None = None
    ) -> None:
        self._api = api
        self._key_locks = self._locks if locks is None else locks

    def _matches(self, kind: str, key: str) -> list[str]:
        if kind == "persons":
            items = reads.search(self._api, "persons", key, fields="email", exact=True)
            return sorted((str(i["id"]) for i in items), key=int)
        items = reads.search(
            self._api, "organizations", key, fields="custom_fields,name", exact=False
        )
        return sorted(
            (str(i["id"]) for i in items if reads.value(self._api, i, "account.domain") == key),
            key=int,
        )

    def find_person(self, email: str) -> str | None:
        found = self._matches("persons", normalize_email(email))
        return found[0] if found else None

    def person_id(self, *, email: str, name: str, org_id: str | None = None) -> str:
        key = normalize_email(email)
        with self._key_locks[f"persons:{key}"]:
            found = self.find_person(key)
            if found is not None:
                return found
            body: dict[str, Any] = {
                "name": name,
                "emails": [{"value": key, "primary": True, "label": "work"}],
            }
            if org_id:
                body["org_id"] = int(org_id)
            self._api.data("POST", "/api/v2/persons", json=body)
            return self._settle("persons", key)

    def find_org(self, domain: str) -> str | None:
        found = self._matches("organizations", normalize_domain(domain))
        return found[0] if found else None

    def org_id(self, *, domain: str, name: str) -> str:
        key = normalize_domain(domain)
        with self._key_locks[f"organizations:{key}"]:
            found = self.find_org(key)
            if found is not None:
                return found
            self._api.data("POST", "/api/v2/organizations", json={"name": name, "website": key})
            return self._settle("organizations", key)

    def _settle(self, kind: str, key: str) -> str:
        """The oldest record for the key, with any racing duplicates merged into it."""
        found = self._matches(kind, key)
        keeper, extra = found[0], found[1:]
        for duplicate in extra:
            with suppress(NotFound):  # a racing process merged it already
                path = f"/api/v1/{kind}/{duplicate}/merge"
                self._api.data("PUT", path, json={"merge_with_id": int(keeper)})
        return keeper

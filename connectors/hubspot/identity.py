"""The identity backbone on HubSpot: contacts by normalized email (HubSpot's unique `email`),
companies by normalized domain; created only after a search misses, by batch upsert with
`idProperty` (`email`, `engage_domain_key`), so two racing jobs converge on one record."""

from __future__ import annotations

from typing import Any

from agent.domain.identity import normalize_domain, normalize_email
from connectors.hubspot import mapping as m
from connectors.hubspot.client import HubSpotApi


class HubSpotIdentity:
    def __init__(self, api: HubSpotApi) -> None:
        self._api = api

    def find_contact(self, email: str) -> str | None:
        key = normalize_email(email)
        found = self._api.search(
            "contacts", [[{"propertyName": "email", "operator": "EQ", "value": key}]], ["email"]
        )
        return str(found[0]["id"]) if found else None

    def contact_id(
        self, *, email: str, last_name: str, first_name: str = "", company_id: str | None = None
    ) -> str:
        found = self.find_contact(email)
        if found is not None:
            return found
        props = {"lastname": last_name, "firstname": first_name}
        if company_id:
            props["associatedcompanyid"] = company_id
        return self._upsert("contacts", "email", normalize_email(email), props)

    def find_company(self, domain: str) -> str | None:
        key = normalize_domain(domain)
        groups: list[list[dict[str, Any]]] = [
            [{"propertyName": m.DOMAIN_KEY, "operator": "EQ", "value": key}],
            [{"propertyName": "domain", "operator": "IN", "values": [key, f"www.{key}"]}],
        ]
        found = self._api.search("companies", groups, ["domain"])
        return str(found[0]["id"]) if found else None

    def company_id(self, *, domain: str, name: str) -> str:
        found = self.find_company(domain)
        if found is not None:
            return found
        key = normalize_domain(domain)
        return self._upsert("companies", m.DOMAIN_KEY, key, {"name": name, "domain": key})

    def _upsert(self, kind: str, id_property: str, key: str, props: dict[str, str]) -> str:
        body = {"inputs": [{"id": key, "idProperty": id_property, "properties": props}]}
        response = self._api.http.request(
            "POST", f"/crm/v3/objects/{kind}/batch/upsert", json=body, safe=True
        )
        return str(response.json()["results"][0]["id"])

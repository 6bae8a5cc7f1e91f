"""The identity backbone on Salesforce: a contact is found by normalized email, an account by
normalized domain, and created only after the lookup misses, by upsert on an external-ID field
(`Engage_Email_Key__c`, `Engage_Domain_Key__c`), so two jobs racing on one person end up with one
record: Salesforce serializes upserts on the same key. A converted Lead with the address leads to
the Contact it became.
"""

from __future__ import annotations

from urllib.parse import quote

from agent.domain.identity import normalize_domain, normalize_email
from connectors.salesforce.client import SalesforceApi
from connectors.salesforce.mapping import ACCOUNT_KEY, CONTACT_KEY
from connectors.salesforce.reads import website_forms
from connectors.salesforce.wire import soql_literal


class SalesforceIdentity:
    def __init__(self, api: SalesforceApi) -> None:
        self._crm = api

    def find_contact(self, email: str) -> str | None:
        key = soql_literal(normalize_email(email))
        rows = self._crm.query(
            f"SELECT Id FROM Contact WHERE {CONTACT_KEY} = {key} OR Email = {key}"
            " ORDER BY CreatedDate LIMIT 1"
        )
        if rows:
            return str(rows[0]["Id"])
        leads = self._crm.query(
            f"SELECT ConvertedContactId FROM Lead WHERE IsConverted = true AND Email = {key}"
            " ORDER BY CreatedDate LIMIT 1"
        )
        converted = leads[0].get("ConvertedContactId") if leads else None
        return str(converted) if converted else None

    def contact_id(
        self, *, email: str, last_name: str, first_name: str = "", account_id: str | None = None
    ) -> str:
        """The contact with this address, created by upsert on its key when there is none."""
        found = self.find_contact(email)
        if found is not None:
            return found
        key = normalize_email(email)
        body = {"LastName": last_name, "FirstName": first_name or None, "Email": key}
        if account_id:
            body["AccountId"] = account_id
        return self._upsert("Contact", CONTACT_KEY, key, body)

    def find_account(self, domain: str) -> str | None:
        key = normalize_domain(domain)
        websites = ", ".join(soql_literal(w) for w in website_forms(key))
        rows = self._crm.query(
            f"SELECT Id FROM Account WHERE {ACCOUNT_KEY} = {soql_literal(key)}"
            f" OR Website IN ({websites}) ORDER BY CreatedDate LIMIT 1"
        )
        return str(rows[0]["Id"]) if rows else None

    def account_id(self, *, domain: str, name: str) -> str:
        found = self.find_account(domain)
        if found is not None:
            return found
        key = normalize_domain(domain)
        return self._upsert("Account", ACCOUNT_KEY, key, {"Name": name, "Website": key})

    def _upsert(self, sobject: str, key_field: str, key: str, body: dict[str, str | None]) -> str:
        """Create-or-match on the key; repeating it never makes a second record."""
        path = self._crm.path(f"sobjects/{sobject}/{key_field}/{quote(key, safe='')}")
        response = self._crm.http.request("PATCH", path, json=body, safe=True)
        if response.status_code != 204:
            return str(response.json()["id"])
        rows = self._crm.query(
            f"SELECT Id FROM {sobject} WHERE {key_field} = {soql_literal(key)} LIMIT 1"
        )
        return str(rows[0]["Id"])

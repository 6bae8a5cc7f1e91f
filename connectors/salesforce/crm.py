"""The Salesforce connector: the CRM port over the REST API.

Calls per use: a brief is one SOQL query with relationship subqueries (deal, account, contact
roles, notes, tasks) plus the Opportunity describe, fetched once per connector for the stage
picklist and field metadata. An approved record costs two calls: the apply service's re-read
(one sObject GET) and one Composite call with the guarded PATCH (see `writes`). A deal or contact
id of a converted Lead is followed to the Opportunity or Contact it became.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from agent.domain.models import (
    CrmContext,
    CurrentValue,
    FieldRef,
    FieldValueT,
    IdentityMatch,
    ObjectType,
    RecordWrite,
    WriteResult,
)
from connectors.common.hosted_base import HostedCrmBase
from connectors.common.http import ApiClient
from connectors.common.scopes import FieldScope
from connectors.salesforce import mapping, reads, writes
from connectors.salesforce.client import SalesforceApi
from connectors.salesforce.wire import SYSTEM


class SalesforceCrm(HostedCrmBase):
    """See the module docstring; `build_salesforce` makes one from settings."""

    def __init__(
        self,
        *,
        api: ApiClient,
        api_version: str = "59.0",
        scope: FieldScope | None = None,
        fields: Mapping[str, str] | None = None,
        service_account: str = "engage-integration@salesforce",
    ) -> None:
        self.sf = SalesforceApi(api, version=api_version, fields=fields or mapping.DEFAULT_FIELDS)
        self._scope = scope or FieldScope.default(SYSTEM)
        super().__init__(system=SYSTEM, http=self.sf.http, service_account=service_account)

    def read_context(self, deal_id: str) -> CrmContext:
        return reads.read_context(self.sf, deal_id)

    def read_values(self, refs: Sequence[FieldRef]) -> list[CurrentValue]:
        self._scope.check_read(refs)
        return reads.read_values(self.sf, refs)

    def get_record(self, object_type: ObjectType, object_id: str) -> dict[str, FieldValueT]:
        return reads.get_record(self.sf, object_type, object_id)

    def match_identities(self, *, emails: Sequence[str], domains: Sequence[str]) -> IdentityMatch:
        return reads.match_identities(self.sf, emails, domains)

    def write_records(self, batch: Sequence[RecordWrite]) -> list[WriteResult]:
        return writes.write_records(self.sf, self._scope, batch)

    def add_note(self, *, deal_id: str, body: str, idempotency_key: str) -> str:
        return writes.add_note(self.sf, deal_id=deal_id, body=body, idempotency_key=idempotency_key)

    def add_task(
        self, *, deal_id: str, subject: str, due: date | None, owner: str, idempotency_key: str
    ) -> str:
        return writes.add_task(
            self.sf,
            deal_id=deal_id,
            subject=subject,
            due=due,
            owner=owner,
            idempotency_key=idempotency_key,
        )

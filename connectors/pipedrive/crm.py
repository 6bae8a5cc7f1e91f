"""The Pipedrive connector: the CRM port over API v2 (deals, persons, organizations, stages,
activities) and v1 (notes, merges), with an API token or OAuth.

An approved record costs the apply service's re-read plus the write's own re-read of
`update_time` and one PATCH: Pipedrive offers no conditional write. `update_time` has one-second
precision, so a person's edit in the same second as Engage's read is caught by the apply
service's value comparison rather than by the version.
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
from connectors.pipedrive import mapping, reads, writes
from connectors.pipedrive.client import PipedriveApi
from connectors.pipedrive.wire import SYSTEM


class PipedriveCrm(HostedCrmBase):
    def __init__(
        self,
        *,
        api: ApiClient,
        scope: FieldScope | None = None,
        fields: Mapping[str, str] | None = None,
        service_account: str = "engage-integration@pipedrive",
    ) -> None:
        self.pd = PipedriveApi(api, fields=fields or mapping.DEFAULT_FIELDS)
        self._scope = scope or FieldScope.default(SYSTEM)
        super().__init__(system=SYSTEM, http=self.pd.http, service_account=service_account)

    def read_context(self, deal_id: str) -> CrmContext:
        return reads.read_context(self.pd, deal_id)

    def read_values(self, refs: Sequence[FieldRef]) -> list[CurrentValue]:
        self._scope.check_read(refs)
        return reads.read_values(self.pd, refs)

    def get_record(self, object_type: ObjectType, object_id: str) -> dict[str, FieldValueT]:
        return reads.get_record(self.pd, object_type, object_id)

    def match_identities(self, *, emails: Sequence[str], domains: Sequence[str]) -> IdentityMatch:
        return reads.match_identities(self.pd, emails, domains)

    def write_records(self, batch: Sequence[RecordWrite]) -> list[WriteResult]:
        return writes.write_records(self.pd, self._scope, batch)

    def add_note(self, *, deal_id: str, body: str, idempotency_key: str) -> str:
        return writes.add_note(self.pd, deal_id=deal_id, body=body, idempotency_key=idempotency_key)

    def add_task(
        self, *, deal_id: str, subject: str, due: date | None, owner: str, idempotency_key: str
    ) -> str:
        return writes.add_task(
            self.pd,
            deal_id=deal_id,
            subject=subject,
            due=due,
            owner=owner,
            idempotency_key=idempotency_key,
        )

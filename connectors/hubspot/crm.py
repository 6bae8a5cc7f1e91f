"""The HubSpot connector: the CRM port over CRM v3 objects and v4 associations.

A brief costs one deal read with its associations, one v4 read for contact roles, one batch read
per associated type, and the deal pipeline once per connector. An approved record costs the apply
service's re-read plus the write's own version check and batch update (HubSpot offers no
conditional write); several records of one type share those two calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime

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
from connectors.hubspot import mapping, reads, writes
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.wire import SYSTEM


class HubSpotCrm(HostedCrmBase):
    def __init__(
        self,
        *,
        api: ApiClient,
        scope: FieldScope | None = None,
        fields: Mapping[str, str] | None = None,
        service_account: str = "engage-integration@hubspot",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.hs = HubSpotApi(api, fields=fields or mapping.DEFAULT_FIELDS)
        self._scope = scope or FieldScope.default(SYSTEM)
        super().__init__(system=SYSTEM, http=self.hs.http, service_account=service_account)
        self._now = now

    def read_context(self, deal_id: str) -> CrmContext:
        return reads.read_context(self.hs, deal_id)

    def read_values(self, refs: Sequence[FieldRef]) -> list[CurrentValue]:
        self._scope.check_read(refs)
        return reads.read_values(self.hs, refs)

    def get_record(self, object_type: ObjectType, object_id: str) -> dict[str, FieldValueT]:
        return reads.get_record(self.hs, object_type, object_id)

    def match_identities(self, *, emails: Sequence[str], domains: Sequence[str]) -> IdentityMatch:
        return reads.match_identities(self.hs, emails, domains)

    def write_records(self, batch: Sequence[RecordWrite]) -> list[WriteResult]:
        return writes.write_records(self.hs, self._scope, batch)

    def add_note(self, *, deal_id: str, body: str, idempotency_key: str) -> str:
        return writes.add_note(
            self.hs, deal_id=deal_id, body=body, idempotency_key=idempotency_key, now=self._now()
        )

    def add_task(
        self, *, deal_id: str, subject: str, due: date | None, owner: str, idempotency_key: str
    ) -> str:
        return writes.add_task(
            self.hs,
            deal_id=deal_id,
            subject=subject,
            due=due,
            owner=owner,
            idempotency_key=idempotency_key,
            now=self._now(),
        )

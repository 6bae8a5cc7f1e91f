"""What every hosted CRM connector shares: identity, HTTP lifetime, health, single writes.

Each connector keeps its own reads and writes (they differ by API); this base holds the parts
that would otherwise be copied into each of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from agent.domain.models import RecordWrite, WriteResult
from connectors.common.http import ApiClient
from connectors.common.usage import CrmHealth


class HostedCrmBase(ABC):
    def __init__(self, *, system: str, http: ApiClient, service_account: str) -> None:
        self._system = system
        self._http = http
        self._service_account = service_account

    @property
    def system(self) -> str:
        return self._system

    @property
    def service_account(self) -> str:
        return self._service_account

    @property
    def api(self) -> ApiClient:
        return self._http

    def close(self) -> None:
        """Release the HTTP connections; the runtime calls this when it shuts down."""
        self._http.close()

    def health(self) -> CrmHealth:
        token = self._http.token
        return CrmHealth(
            system=self._system,
            usage=self._http.usage,
            token_expires_at=token.expires_at,
            token_refreshable=token.can_refresh,
            requests_sent=self._http.stats.requests,
        )

    def write_record(self, write: RecordWrite) -> WriteResult:
        return self.write_records([write])[0]

    @abstractmethod
    def write_records(self, batch: Sequence[RecordWrite]) -> list[WriteResult]:
        """Each connector writes through its own API (batched where the API allows)."""

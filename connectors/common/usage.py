"""API usage and token expiry as the health page shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class ApiUsage:
    """One quota as the vendor reported it in its last response headers."""

    name: str
    used: int
    limit: int
    at: datetime

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def fraction_used(self) -> float:
        return self.used / self.limit if self.limit else 0.0


@dataclass(frozen=True, kw_only=True)
class CrmHealth:
    system: str
    usage: tuple[ApiUsage, ...]
    token_expires_at: datetime | None
    token_refreshable: bool
    requests_sent: int

    def alerts(self, now: datetime, *, usage_threshold: float = 0.9) -> list[str]:
        """What a person should act on: a quota nearly spent, a token about to lapse."""
        found = [
            f"{self.system} {u.name} at {u.used}/{u.limit}"
            for u in self.usage
            if u.fraction_used >= usage_threshold
        ]
        lapsed = self.token_expires_at is not None and self.token_expires_at <= now
        if lapsed and not self.token_refreshable:
            found.append(f"{self.system} access token expired at {self.token_expires_at}")
        return found

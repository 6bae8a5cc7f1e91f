"""Connector errors that add vendor context to the `agent.errors` tree.

TransientError (agent.errors)
└── CrmTransientError   a retriable CRM failure: 429, REQUEST_LIMIT_EXCEEDED, 5xx, a network
    │                   error before the request left; carries system, status, vendor code
    └── OutcomeUnknown  a write whose answer was lost (read timeout, 500 on a POST): never
                        retried blindly; the caller re-reads, as the apply service does on the
                        job's next attempt

Permanent refusals are `agent.errors.CrmError` (system, status, vendor code); a missing record is
`agent.errors.NotFound`.
"""

from __future__ import annotations

from agent.errors import TransientError


class CrmTransientError(TransientError):
    def __init__(
        self,
        message: str,
        *,
        system: str,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.system = system
        self.status = status
        self.code = code


class OutcomeUnknown(CrmTransientError):
    """The request may have been applied; retrying it as is could write twice."""

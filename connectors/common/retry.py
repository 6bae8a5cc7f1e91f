"""The one retry policy of the CRM connectors, on tenacity.

Only `TransientError`s are retried (never a 4xx validation error); the wait is full-jitter
exponential backoff, never shorter than the server's `Retry-After`; `OutcomeUnknown` is not
retried here because the request may already have been applied. `sleep` is injectable so that
tests and benchmarks do not wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from agent.errors import TransientError
from connectors.common.errors import OutcomeUnknown

T = TypeVar("T")


def _retriable(exc: BaseException) -> bool:
    return isinstance(exc, TransientError) and not isinstance(exc, OutcomeUnknown)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 300.0
    """A `Retry-After` longer than this is not waited out here: the job queue retries later."""
    sleep: Callable[[float], None] = field(default=time.sleep)
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = self.rng.uniform(0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))
        return max(backoff, min(retry_after or 0.0, self.max_retry_after_s))

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        retry_after = error.retry_after if isinstance(error, TransientError) else None
        return self.delay(state.attempt_number, retry_after)

    def call(self, fn: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            retry=retry_if_exception(_retriable),
            wait=self._wait,
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(fn)


def no_wait() -> RetryPolicy:
    """A policy that retries without sleeping, for tests and benchmarks."""
    return RetryPolicy(sleep=lambda _s: None)

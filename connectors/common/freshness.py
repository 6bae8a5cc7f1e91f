"""Versions this connector has just read, so a write right after its own re-read need not read
again on CRMs without conditional writes (HubSpot, Pipedrive).

The apply service re-reads a record, compares values, and writes at once with the version it saw.
Re-reading again inside the write would only move the unguarded window from "since the apply
service's read" to "since the second read", both a few milliseconds on such APIs, at the price of
a third call per record. So a write whose expected version is the one this connector returned for
that record less than `fresh_for` seconds ago skips the second read; any other write (an older
version, another process's read) re-reads first. `fresh_for=0` re-reads on every write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RecentVersions:
    def __init__(
        self, *, fresh_for: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fresh_for = fresh_for
        self._clock = clock
        self._seen: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def remember(self, kind: str, object_id: str, version: str) -> None:
        with self._lock:
            self._seen[(kind, object_id)] = (version, self._clock())

    def fresh(self, kind: str, object_id: str, version: str) -> bool:
        """True when `version` is what this connector read for the record a moment ago."""
        with self._lock:
            seen = self._seen.pop((kind, object_id), None)
        if seen is None or self._fresh_for <= 0:
            return False
        return seen[0] == version and self._clock() - seen[1] <= self._fresh_for

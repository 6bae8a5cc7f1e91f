"""Each health test starts with an empty buffer of connector facts: the buffer is per process,
and another test's connector calls must not count here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.observability import events


@pytest.fixture(autouse=True)
def _fresh_connector_facts() -> Iterator[None]:
    events.drain()
    yield
    events.drain()

"""A HubSpot fake that speaks the CRM v3/v4 wire format, for the connector's tests and for
hubspot-api-client fidelity tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.hubspot import harness
from tests.fakes.hubspot.app import FakeHubSpot, create_app
from tests.fakes.hubspot.seed import HsBook, seed_book, seed_wide
from tests.fakes.hubspot.store import STAGES, HsError, Portal
from tests.fakes.server import serve

__all__ = [
    "STAGES",
    "FakeHubSpot",
    "HsBook",
    "HsError",
    "Portal",
    "harness",
    "running_hubspot",
    "seed_book",
    "seed_wide",
]


@contextmanager
def running_hubspot(fake: FakeHubSpot) -> Iterator[str]:
    with serve(create_app(fake), name="fake-hubspot") as url:
        yield url

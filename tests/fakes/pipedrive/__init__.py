"""A Pipedrive fake that speaks API v1/v2's wire format, for the connector's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.pipedrive import harness
from tests.fakes.pipedrive.app import FakePipedrive, create_app
from tests.fakes.pipedrive.seed import STAGE_NAMES, PdBook, seed_book, seed_wide
from tests.fakes.pipedrive.store import Account, PdError
from tests.fakes.server import serve

__all__ = [
    "STAGE_NAMES",
    "Account",
    "FakePipedrive",
    "PdBook",
    "PdError",
    "harness",
    "running_pipedrive",
    "seed_book",
    "seed_wide",
]


@contextmanager
def running_pipedrive(fake: FakePipedrive) -> Iterator[str]:
    with serve(create_app(fake), name="fake-pipedrive") as url:
        fake.base_url = url
        yield url

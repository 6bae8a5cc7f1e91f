"""A Salesforce fake that speaks the REST API's wire format (paths, status codes, error arrays,
`Sforce-Limit-Info`), for the connector's tests and for simple-salesforce fidelity tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.salesforce import harness
from tests.fakes.salesforce.app import FakeSalesforce, create_app
from tests.fakes.salesforce.org import Org, SfError, WriteEntry
from tests.fakes.salesforce.schema import STAGES
from tests.fakes.salesforce.seed import SfBook, seed_book, seed_wide
from tests.fakes.server import serve

__all__ = [
    "STAGES",
    "FakeSalesforce",
    "Org",
    "SfBook",
    "SfError",
    "WriteEntry",
    "create_app",
    "harness",
    "running_salesforce",
    "seed_book",
    "seed_wide",
]


@contextmanager
def running_salesforce(fake: FakeSalesforce) -> Iterator[str]:
    """Serve `fake` on loopback; its token responses name the served URL as `instance_url`."""
    with serve(create_app(fake), name="fake-salesforce") as url:
        fake.base_url = url
        yield url

"""Fixtures of the connector tests: each vendor fake served once per module, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.hubspot import HubSpotCrm
from connectors.pipedrive import PipedriveCrm
from connectors.salesforce import SalesforceCrm
from tests.fakes import hubspot, pipedrive
from tests.fakes.hubspot import FakeHubSpot, HsBook, running_hubspot
from tests.fakes.pipedrive import FakePipedrive, PdBook, running_pipedrive
from tests.fakes.salesforce import FakeSalesforce, SfBook, harness, running_salesforce, seed_book


@pytest.fixture(scope="module")
def sf_served() -> Iterator[tuple[FakeSalesforce, str]]:
    fake = FakeSalesforce()
    with running_salesforce(fake) as url:
        yield fake, url


@pytest.fixture
def sf_fake(sf_served: tuple[FakeSalesforce, str]) -> FakeSalesforce:
    sf_served[0].reset()
    return sf_served[0]


@pytest.fixture
def sf_url(sf_served: tuple[FakeSalesforce, str]) -> str:
    return sf_served[1]


@pytest.fixture
def sf_book(sf_fake: FakeSalesforce) -> SfBook:
    return seed_book(sf_fake.org)


@pytest.fixture
def sf(
    sf_fake: FakeSalesforce, sf_url: str, sf_book: SfBook, tmp_path: Path
) -> Iterator[SalesforceCrm]:
    crm = harness.connect(sf_fake, sf_url, tmp_path)
    yield crm
    crm.close()


@pytest.fixture(scope="module")
def hs_served() -> Iterator[tuple[FakeHubSpot, str]]:
    fake = FakeHubSpot()
    with running_hubspot(fake) as url:
        yield fake, url


@pytest.fixture
def hs_fake(hs_served: tuple[FakeHubSpot, str]) -> FakeHubSpot:
    hs_served[0].reset()
    return hs_served[0]


@pytest.fixture
def hs_url(hs_served: tuple[FakeHubSpot, str]) -> str:
    return hs_served[1]


@pytest.fixture
def hs_book(hs_fake: FakeHubSpot) -> HsBook:
    return hubspot.seed_book(hs_fake.portal)


@pytest.fixture
def hs(hs_fake: FakeHubSpot, hs_url: str, hs_book: HsBook, tmp_path: Path) -> Iterator[HubSpotCrm]:
    crm = hubspot.harness.connect(hs_url, tmp_path)
    yield crm
    crm.close()


@pytest.fixture(scope="module")
def pd_served() -> Iterator[tuple[FakePipedrive, str]]:
    fake = FakePipedrive()
    with running_pipedrive(fake) as url:
        yield fake, url


@pytest.fixture
def pd_fake(pd_served: tuple[FakePipedrive, str]) -> FakePipedrive:
    pd_served[0].reset()
    return pd_served[0]


@pytest.fixture
def pd_url(pd_served: tuple[FakePipedrive, str]) -> str:
    return pd_served[1]


@pytest.fixture
def pd_book(pd_fake: FakePipedrive) -> PdBook:
    return pipedrive.seed_book(pd_fake.account)


@pytest.fixture
def pd(
    pd_fake: FakePipedrive, pd_url: str, pd_book: PdBook, tmp_path: Path
) -> Iterator[PipedriveCrm]:
    crm = pipedrive.harness.connect(pd_fake, pd_url, tmp_path)
    yield crm
    crm.close()

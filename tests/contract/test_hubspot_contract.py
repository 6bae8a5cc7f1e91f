"""The CRM contract suite against the HubSpot connector, over HTTP to the HubSpot fake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.domain.models import FieldValueT, ObjectType
from agent.domain.ports import CrmPort
from tests.contract.crm_contract import CrmContract, PersonEdit
from tests.fakes.hubspot import STAGES, FakeHubSpot, HsBook, harness, running_hubspot, seed_book


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeHubSpot, str]]:
    fake = FakeHubSpot()
    with running_hubspot(fake) as url:
        yield fake, url


class TestHubSpotContract(CrmContract):
    @pytest.fixture
    def fake(self, served: tuple[FakeHubSpot, str]) -> FakeHubSpot:
        served[0].reset()
        return served[0]

    @pytest.fixture
    def book(self, fake: FakeHubSpot) -> HsBook:
        return seed_book(fake.portal)

    @pytest.fixture
    def crm(
        self, book: HsBook, served: tuple[FakeHubSpot, str], tmp_path: Path
    ) -> Iterator[CrmPort]:
        crm = harness.connect(served[1], tmp_path)
        yield crm
        crm.close()

    @pytest.fixture
    def deal_id(self, book: HsBook) -> str:
        return book.open_deal

    @pytest.fixture
    def missing_id(self) -> str:
        return "999999999"

    @pytest.fixture
    def pipeline(self) -> tuple[str, ...]:
        return tuple(s.label for s in STAGES)

    @pytest.fixture
    def person_edit(self, fake: FakeHubSpot) -> PersonEdit:
        def edit(object_type: ObjectType, object_id: str, values: dict[str, FieldValueT]) -> None:
            harness.person_edit(fake, object_type, object_id, values)

        return edit

    @pytest.fixture
    def write_count(self, fake: FakeHubSpot) -> Callable[[], int]:
        return lambda: len(fake.portal.write_log)

"""The CRM contract suite against the Salesforce connector, over HTTP to the Salesforce fake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.domain.models import FieldValueT, ObjectType
from agent.domain.ports import CrmPort
from tests.contract.crm_contract import CrmContract, PersonEdit
from tests.fakes.salesforce import (
    STAGES,
    FakeSalesforce,
    SfBook,
    harness,
    running_salesforce,
    seed_book,
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeSalesforce, str]]:
    fake = FakeSalesforce()
    with running_salesforce(fake) as url:
        yield fake, url


class TestSalesforceContract(CrmContract):
    @pytest.fixture
    def fake(self, served: tuple[FakeSalesforce, str]) -> FakeSalesforce:
        served[0].reset()
        return served[0]

    @pytest.fixture
    def book(self, fake: FakeSalesforce) -> SfBook:
        return seed_book(fake.org)

    @pytest.fixture
    def crm(
        self, fake: FakeSalesforce, book: SfBook, served: tuple[FakeSalesforce, str], tmp_path: Path
    ) -> Iterator[CrmPort]:
        crm = harness.connect(fake, served[1], tmp_path)
        yield crm
        crm.close()

    @pytest.fixture
    def deal_id(self, book: SfBook) -> str:
        return book.open_deal

    @pytest.fixture
    def missing_id(self) -> str:
        return "006999999999999AAA"

    @pytest.fixture
    def pipeline(self) -> tuple[str, ...]:
        return tuple(s.name for s in STAGES)

    @pytest.fixture
    def person_edit(self, fake: FakeSalesforce) -> PersonEdit:
        def edit(object_type: ObjectType, object_id: str, values: dict[str, FieldValueT]) -> None:
            harness.person_edit(fake, object_type, object_id, values)

        return edit

    @pytest.fixture
    def write_count(self, fake: FakeSalesforce) -> Callable[[], int]:
        return lambda: len(fake.org.write_log)

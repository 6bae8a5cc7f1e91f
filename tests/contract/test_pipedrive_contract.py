"""The CRM contract suite against the Pipedrive connector, over HTTP to the Pipedrive fake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.domain.models import FieldValueT, ObjectType
from agent.domain.ports import CrmPort
from tests.contract.crm_contract import CrmContract, PersonEdit
from tests.fakes.pipedrive import (
    STAGE_NAMES,
    FakePipedrive,
    PdBook,
    harness,
    running_pipedrive,
    seed_book,
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakePipedrive, str]]:
    fake = FakePipedrive()
    with running_pipedrive(fake) as url:
        yield fake, url


class TestPipedriveContract(CrmContract):
    @pytest.fixture
    def fake(self, served: tuple[FakePipedrive, str]) -> FakePipedrive:
        served[0].reset()
        return served[0]

    @pytest.fixture
    def book(self, fake: FakePipedrive) -> PdBook:
        return seed_book(fake.account)

    @pytest.fixture
    def crm(
        self, book: PdBook, served: tuple[FakePipedrive, str], tmp_path: Path
    ) -> Iterator[CrmPort]:
        crm = harness.connect(served[0], served[1], tmp_path)
        yield crm
        crm.close()

    @pytest.fixture
    def deal_id(self, book: PdBook) -> str:
        return book.open_deal

    @pytest.fixture
    def missing_id(self) -> str:
        return "999999999"

    @pytest.fixture
    def pipeline(self) -> tuple[str, ...]:
        return STAGE_NAMES

    @pytest.fixture
    def person_edit(self, fake: FakePipedrive) -> PersonEdit:
        def edit(object_type: ObjectType, object_id: str, values: dict[str, FieldValueT]) -> None:
            harness.person_edit(fake, object_type, object_id, values)

        return edit

    @pytest.fixture
    def write_count(self, fake: FakePipedrive) -> Callable[[], int]:
        return lambda: len(fake.account.write_log)

"""The CRM contract suite against the sandbox CRM, on a fresh seeded file per test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.domain.models import FieldValueT, ObjectType
from agent.domain.ports import CrmPort
from connectors.sandbox import SandboxCrm, seed_demo
from connectors.sandbox.book import STAGES
from tests.contract.crm_contract import CrmContract, PersonEdit


class TickingClock:
    """Each reading is one second after the last, as on a busy server."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


class TestSandboxContract(CrmContract):
    @pytest.fixture
    def sandbox(self, tmp_path: Path) -> SandboxCrm:
        start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        crm = SandboxCrm(tmp_path / "crm.sqlite3", clock=TickingClock(start))
        seed_demo(crm, today=start.date())
        return crm

    @pytest.fixture
    def crm(self, sandbox: SandboxCrm) -> CrmPort:
        return sandbox

    @pytest.fixture
    def deal_id(self, sandbox: SandboxCrm) -> str:
        return next(d.id for d in sandbox.list_deals() if not d.is_closed)

    @pytest.fixture
    def pipeline(self) -> tuple[str, ...]:
        return STAGES

    @pytest.fixture
    def person_edit(self, sandbox: SandboxCrm) -> PersonEdit:
        def edit(object_type: ObjectType, object_id: str, values: dict[str, FieldValueT]) -> None:
            sandbox.update_as_person(object_type, object_id, values, who="pat@engage-demo.com")

        return edit

    @pytest.fixture
    def write_count(self, sandbox: SandboxCrm) -> Callable[[], int]:
        return sandbox.write_count

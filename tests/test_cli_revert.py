"""`engage revert`: one change or a whole proposal, as a user would type it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.domain.models import ObjectType
from connectors.sandbox.crm import SandboxCrm

REP = "riley@engage-demo.com"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    return tmp_path / "home"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_revert_one_change_then_the_rest_with_a_conflict(home: Path) -> None:
    assert run("init", "--seed", "demo")[0] == 0
    proposals = json.loads(run("proposals", "--json")[1])
    northwind = next(p for p in proposals if any(c["field"] == "deal.stage" for c in p["changes"]))
    changes = {c["field"]: c for c in northwind["changes"]}
    code, _, err = run("revert", northwind["id"], "--as", REP)
    assert code == 2
    assert "no applied change to revert" in err

    assert run("approve", northwind["id"], "--as", REP, "--all")[0] == 0
    code, out, _ = run(
        "revert", northwind["id"], "--as", REP, "--change", changes["deal.stage"]["id"]
    )
    assert code == 0
    assert f"{changes['deal.stage']['id']}  deal.stage" in out
    assert "reverted (revert applied)" in out
    crm = SandboxCrm(home / "sandbox-crm.sqlite3")
    deal_id = northwind["deal_id"]
    assert crm.get_record(ObjectType.DEAL, deal_id)["stage"] == "Proposal"

    crm.update_as_person(ObjectType.DEAL, deal_id, {"amount": 150000.0}, who="dana@northwind")
    code, out, err = run("revert", northwind["id"], "--as", REP)
    assert code == 1
    assert "deal.amount not reverted: the CRM now holds 150,000" in err
    assert "applied (revert conflict)" in out
    record = crm.get_record(ObjectType.DEAL, deal_id)
    assert record["amount"] == 150000.0
    assert record["competitors"] == ["Clari"]
    assert run("audit", "verify")[0] == 0

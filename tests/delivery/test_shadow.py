"""Shadow mode through the API: proposals are made and reviewed, nothing reaches the CRM, and the
report compares them with what the reps then typed into the CRM themselves."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from agent.api.app import create_app
from agent.db.tables import User
from agent.demo import seed_demo_book
from agent.domain.models import FieldRef, FieldValueT, ObjectType, RecordWrite
from agent.runtime import Runtime
from agent.services.users import add_user
from connectors.sandbox.crm import SandboxCrm
from tests.delivery.conftest import REP, MakeRuntime, auth
from tests.fakes.slack import FakeSlack
from tests.support import FrozenClock

CALDER_CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: The budget we approved is $60,000 for the first year.
"""


def sandbox(rt: Runtime) -> SandboxCrm:
    assert isinstance(rt.crm, SandboxCrm)
    return rt.crm


def by_hand(rt: Runtime, object_type: ObjectType, object_id: str, **values: FieldValueT) -> None:
    """A rep's own edit in the CRM, outside Engage."""
    crm = sandbox(rt)
    ref = FieldRef(
        object_type=object_type, object_id=object_id, field=f"{object_type}.{next(iter(values))}"
    )
    version = crm.read_values([ref])[0].version
    written = crm.write_record(
        RecordWrite(
            object_type=object_type,
            object_id=object_id,
            values=dict(values),
            expected_version=version,
        )
    )
    assert written.ok


@pytest.fixture
def shadow_rt(make_rt: MakeRuntime) -> Runtime:
    rt = make_rt(engage_shadow_crms="sandbox")
    seed_demo_book(rt)
    return rt


def tokens(rt: Runtime, clock: FrozenClock) -> tuple[str, str]:
    from agent.services.users import rotate_token

    with rt.db.session() as session:
        rep = rotate_token(session, email=REP)
        _, admin = add_user(
            session, email="revops@engage-demo.com", role="admin", name="RevOps", now=clock.now()
        )
    return rep, admin


def proposals(client: TestClient, token: str) -> dict[str, dict[str, Any]]:
    listed = client.get("/api/v1/proposals", headers=auth(token)).json()
    return {p["meeting_title"].split(":")[0]: p for p in listed}


def test_shadow_proposals_are_reviewed_but_never_written(
    shadow_rt: Runtime, slack: FakeSlack, clock: FrozenClock
) -> None:
    rep, _ = tokens(shadow_rt, clock)
    client = TestClient(create_app(shadow_rt))
    northwind = proposals(client, rep)["Northwind Logistics"]
    assert northwind["shadow"] is True
    assert slack.messages == {}  # reps keep working in the CRM: nothing to click in shadow mode
    writes = sandbox(shadow_rt).write_count()
    approved = client.post(
        f"/api/v1/proposals/{northwind['id']}/approve", json={"all": True}, headers=auth(rep)
    )
    assert approved.status_code == 200
    body = approved.json()
    assert {c["status"] for c in body["changes"]} == {"approved"}
    assert {c["error"] for c in body["changes"]} == {"shadow mode: not written to sandbox"}
    assert sandbox(shadow_rt).write_count() == writes
    assert client.get("/api/v1/audit", headers=auth(rep)).json() == []


def test_the_report_measures_proposals_against_the_reps_own_edits(
    shadow_rt: Runtime, clock: FrozenClock
) -> None:
    rep, admin = tokens(shadow_rt, clock)
    client = TestClient(create_app(shadow_rt))
    northwind = proposals(client, rep)["Northwind Logistics"]
    deal_id = northwind["deal_id"]
    by_hand(shadow_rt, ObjectType.DEAL, deal_id, amount=138000.0)  # the same as Engage proposed
    by_hand(shadow_rt, ObjectType.DEAL, deal_id, stage="Closed Won")  # not what Engage proposed
    contact = sandbox(shadow_rt).read_context(deal_id).contacts[0]
    by_hand(shadow_rt, ObjectType.CONTACT, contact.id, title="Chief Operating Officer")  # missed
    clock.advance(days=2)

    assert client.get("/api/v1/shadow/report", headers=auth(rep)).status_code == 403
    report = client.get(
        "/api/v1/shadow/report", params={"since": "2026-11-01"}, headers=auth(admin)
    ).json()
    assert report["scope"] == "CRM sandbox"
    assert report["proposals"] == 2
    fields = {t["field"]: t for t in report["by_field"]}
    assert fields["deal.amount"]["matched"] == 1
    assert fields["deal.stage"]["other_value"] == 1
    assert fields["deal.competitors"]["not_made"] == 1
    assert fields["contact.title"]["missed"] == 1
    overall = report["overall"]
    assert (overall["proposed"], overall["matched"], overall["missed"]) == (6, 1, 1)
    assert overall["accuracy"] == round(1 / 7, 4)
    missed = next(f for f in report["findings"] if f["outcome"] == "missed")
    assert (missed["object_id"], missed["crm_now"]) == (contact.id, "Chief Operating Officer")

    page = client.get("/admin/shadow?since=2026-11-01", headers=auth(admin))
    assert page.status_code == 200
    assert "would-have-been accuracy" in page.text
    assert "Chief Operating Officer" in page.text
    assert client.get("/admin/shadow", headers=auth(rep)).status_code == 403


def test_shadow_mode_per_team(make_rt: MakeRuntime, clock: FrozenClock) -> None:
    rt = make_rt(engage_shadow_teams="emea")
    seed_demo_book(rt)
    rep, _ = tokens(rt, clock)
    client = TestClient(create_app(rt))
    assert proposals(client, rep)["Northwind Logistics"]["shadow"] is False
    with rt.db.session() as session:
        session.execute(update(User).where(User.email == REP).values(team="emea"))
    calder = next(
        m
        for m in client.get("/api/v1/meetings", headers=auth(rep)).json()
        if m["status"] == "scheduled"
    )
    posted = client.post(
        f"/api/v1/meetings/{calder['id']}/transcript",
        content=CALDER_CALL,
        headers={**auth(rep), "Content-Type": "text/plain"},
    )
    assert posted.status_code == 202
    meeting = client.get(f"/api/v1/meetings/{calder['id']}", headers=auth(rep)).json()
    proposal = client.get(f"/api/v1/proposals/{meeting['proposal_id']}", headers=auth(rep)).json()
    assert proposal["shadow"] is True


def test_engage_shadow_report_on_the_command_line(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.cli import app

    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    monkeypatch.setenv("ENGAGE_SHADOW_CRMS", "all")
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--seed", "demo"]).exit_code == 0
    result = runner.invoke(app, ["shadow", "report", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["proposals"] == 2
    assert report["overall"]["not_made"] == report["overall"]["proposed"] == 6
    table = runner.invoke(app, ["shadow", "report", "--since", "2020-01-01"])
    assert table.exit_code == 0
    assert "not made" in table.stdout
    bad = runner.invoke(app, ["shadow", "report", "--since", "yesterday"])
    assert bad.exit_code == 2
    assert "YYYY-MM-DD" in bad.stderr

"""Reps' decisions as eval data, through the API and the CLI: the export is a dataset `engage eval`
loads, with the reps' final values as gold, transcripts redacted, and rates per field and prompt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agent.api.app import create_app
from agent.runtime import Runtime
from agent.services.users import add_user
from eval.dataset import load_dataset
from tests.delivery.conftest import auth
from tests.support import FrozenClock

CALDER_CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: I have been promoted to Chief Operating Officer as of this month.
Elena Novak: My new direct line is +1 415 555 0134, and email elena@calder-robotics.com works too.
Elena Novak: The budget we approved is $60,000 for the first year.
Riley Chen: Great, I will send the order form by Friday.
"""


def decide(client: TestClient, token: str, proposal: dict[str, Any], plan: dict[str, Any]) -> None:
    """`plan`: field → "approve", "reject", or a value to edit to."""
    ids = {c["field"]: c["id"] for c in proposal["changes"]}
    rejected = [{"id": ids[f]} for f, p in plan.items() if p == "reject"]
    approved = [
        {"id": ids[f]} if p == "approve" else {"id": ids[f], "value": p}
        for f, p in plan.items()
        if p != "reject"
    ]
    if rejected:
        answer = client.post(
            f"/api/v1/proposals/{proposal['id']}/reject",
            json={"changes": rejected},
            headers=auth(token),
        )
        assert answer.status_code == 200, answer.text
    if approved:
        answer = client.post(
            f"/api/v1/proposals/{proposal['id']}/approve",
            json={"changes": approved},
            headers=auth(token),
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def reviewed(rt: Runtime, rep_token: str, clock: FrozenClock) -> tuple[TestClient, str]:
    """Three calls decided: approved, edited, rejected changes, and a fully rejected proposal."""
    client = TestClient(create_app(rt))
    meetings = client.get("/api/v1/meetings", headers=auth(rep_token)).json()
    calder = next(m for m in meetings if m["status"] == "scheduled")
    posted = client.post(
        "/api/v1/transcripts",
        json={
            "deal_id": calder["deal_id"],
            "rep_email": "riley@engage-demo.com",
            "date": "2026-11-20",
            "transcript": CALDER_CALL,
        },
        headers=auth(rep_token),
    )
    assert posted.status_code == 202
    by_title = {
        p["meeting_title"].split(":")[0]: p
        for p in client.get("/api/v1/proposals", headers=auth(rep_token)).json()
    }
    decide(
        client,
        rep_token,
        by_title["Northwind Logistics"],
        {
            "deal.amount": "approve",
            "deal.close_date": "2026-12-20",
            "deal.stage": "reject",
            "deal.competitors": "approve",
        },
    )
    decide(
        client,
        rep_token,
        by_title["Call with Calder Robotics"],
        {
            "deal.amount": "approve",
            "contact.title": "approve",
            "contact.phone": "approve",
            "contact.email": "reject",
        },
    )
    answer = client.post(
        f"/api/v1/proposals/{by_title['Brightwave Health']['id']}/reject",
        json={"changes": []},
        headers=auth(rep_token),
    )
    assert answer.status_code == 200
    with rt.db.session() as session:
        _, admin = add_user(
            session, email="revops@engage-demo.com", role="admin", name="RevOps", now=clock.now()
        )
    return client, admin


def test_export_is_a_dataset_eval_loads_with_the_reps_final_values(
    reviewed: tuple[TestClient, str], rep_token: str, tmp_path: Path
) -> None:
    client, admin = reviewed
    assert (
        client.get("/api/v1/reviews/export?since=2026-11-01", headers=auth(rep_token)).status_code
        == 403
    )
    answer = client.get("/api/v1/reviews/export?since=2026-11-01", headers=auth(admin))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    path = tmp_path / "reviews.jsonl"
    path.write_text(answer.text)
    calls = {c.id: c for c in load_dataset(path)}
    assert len(calls) == 3
    lines = {
        json.loads(line)["source"]["proposal_id"]: json.loads(line)
        for line in answer.text.splitlines()
    }
    by_title = {
        p["meeting_title"].split(":")[0]: p["id"]
        for p in client.get("/api/v1/proposals", headers=auth(rep_token)).json()
    }

    northwind = calls[f"rev-{by_title['Northwind Logistics']}"]
    gold = {u.field: u.value for u in northwind.gold.field_updates}
    assert gold == {
        "deal.amount": 138000,
        "deal.close_date": "2026-12-20",
        "deal.competitors": ["Clari", "Gong"],
    }
    assert northwind.gold.unchanged == ("deal.stage",)
    assert northwind.context.deal.amount == 96000  # the values the proposal was made on
    assert northwind.gold.next_steps  # the proposal's next steps went to the CRM

    calder_id = by_title["Call with Calder Robotics"]
    calder = calls[f"rev-{calder_id}"]
    title = next(u for u in calder.gold.field_updates if u.field == "contact.title")
    assert (title.value, title.contact) == (
        "Chief Operating Officer",
        "contact-1@calderrobotics.com",
    )
    assert {c.email for c in calder.context.contacts} >= {"contact-1@calderrobotics.com"}
    assert "contact.phone" not in {
        u.field for u in calder.gold.field_updates
    }  # its value is redacted
    assert calder.gold.unchanged == ("contact.email",)
    said = " ".join(s.text for s in calder.transcript.segments)
    assert "[phone]" in said
    assert "[email]" in said
    assert "415" not in said
    assert "calder-robotics.com" not in said
    assert "elena.novak@" not in answer.text
    shown = client.get(f"/api/v1/proposals/{calder_id}", headers=auth(rep_token)).json()
    assert lines[calder_id]["source"]["prompt_version"] == shown["prompt_version"]
    decisions = {d["field"]: d["decision"] for d in lines[calder_id]["source"]["decisions"]}
    assert decisions["contact.email"] == "rejected"

    brightwave = calls[f"rev-{by_title['Brightwave Health']}"]
    assert brightwave.gold.field_updates == ()
    assert set(brightwave.gold.unchanged) == {"deal.close_date", "contact.title"}
    assert brightwave.gold.next_steps == ()


def test_rates_per_field_and_per_prompt_version(
    reviewed: tuple[TestClient, str], rep_token: str
) -> None:
    client, admin = reviewed
    rates = client.get("/api/v1/reviews/rates", headers=auth(admin)).json()
    fields = {r["key"]: r for r in rates["by_field"]}
    assert (fields["deal.amount"]["approved"], fields["deal.amount"]["acceptance_rate"]) == (2, 1.0)
    assert (fields["deal.close_date"]["edited"], fields["deal.close_date"]["rejected"]) == (1, 1)
    assert fields["deal.close_date"]["edit_rate"] == 0.5
    assert fields["deal.stage"]["rejection_rate"] == 1.0
    overall = rates["overall"]
    assert (overall["decided"], overall["approved"], overall["edited"], overall["rejected"]) == (
        10,
        5,
        1,
        4,
    )
    (prompt,) = rates["by_prompt_version"]
    any_proposal = client.get("/api/v1/proposals", headers=auth(rep_token)).json()[0]
    assert (prompt["key"], prompt["decided"]) == (any_proposal["prompt_version"], 10)
    assert (
        client.get("/api/v1/reviews/rates", headers=auth(rep_token)).json()["overall"]["decided"]
        == 10
    )
    later = client.get("/api/v1/reviews/rates?since=2030-01-01", headers=auth(admin)).json()
    assert later["overall"]["decided"] == 0
    assert (
        client.get("/api/v1/reviews/rates?since=yesterday", headers=auth(admin)).status_code == 422
    )


def test_engage_eval_export_reviews(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli import app

    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--seed", "demo"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["proposals", "--json"]).stdout)
    northwind = next(p for p in listed if p["meeting_title"].startswith("Northwind"))
    approved = runner.invoke(
        app, ["approve", northwind["id"], "--as", "riley@engage-demo.com", "--all"]
    )
    assert approved.exit_code == 0, approved.stderr
    out = tmp_path / "reviews.jsonl"
    result = runner.invoke(app, ["eval", "export-reviews", str(out), "--since", "2026-01-01"])
    assert result.exit_code == 0, result.stderr
    assert "1 call(s) written" in result.stdout
    assert "some changes are still undecided" not in result.stdout  # Brightwave is not reviewed
    (call,) = load_dataset(out)
    assert {u.field for u in call.gold.field_updates} == {
        "deal.stage",
        "deal.amount",
        "deal.close_date",
        "deal.competitors",
    }
    bad = runner.invoke(app, ["eval", "export-reviews", str(out), "--since", "last week"])
    assert bad.exit_code == 2
    assert "YYYY-MM-DD" in bad.stderr
    monkeypatch.setenv("ENGAGE_REDACT", "emails,faces")
    refused = runner.invoke(app, ["eval", "export-reviews", str(out), "--since", "2026-01-01"])
    assert refused.exit_code == 2
    assert "ENGAGE_REDACT" in refused.stderr


def test_a_reverted_change_is_exported_as_no_change(
    reviewed: tuple[TestClient, str], rep_token: str, tmp_path: Path
) -> None:
    client, admin = reviewed
    northwind = next(
        p
        for p in client.get("/api/v1/proposals", headers=auth(rep_token)).json()
        if p["meeting_title"].startswith("Northwind Logistics")
    )
    amount = next(c for c in northwind["changes"] if c["field"] == "deal.amount")
    answer = client.post(
        f"/api/v1/proposals/{northwind['id']}/revert",
        json={"changes": [{"id": amount["id"]}]},
        headers=auth(rep_token),
    )
    assert answer.status_code == 200, answer.text
    shown = client.get(f"/api/v1/proposals/{northwind['id']}", headers=auth(rep_token)).json()
    assert {c["field"]: c["status"] for c in shown["changes"]}["deal.amount"] == "reverted"

    export = client.get("/api/v1/reviews/export?since=2026-11-01", headers=auth(admin))
    path = tmp_path / "reviews.jsonl"
    path.write_text(export.text)
    call = {c.id: c for c in load_dataset(path)}[f"rev-{northwind['id']}"]
    assert "deal.amount" not in {u.field for u in call.gold.field_updates}
    assert set(call.gold.unchanged) == {"deal.stage", "deal.amount"}

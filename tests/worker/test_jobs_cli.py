"""`engage jobs list` shows dead letters with reasons; `engage jobs retry` runs one again;
`engage worker` refuses SQLite with the reason; the dashboard lists dead letters for admins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agent.api.app import create_app
from agent.cli import app
from agent.runtime import build_runtime
from agent.services.users import add_user
from agent.settings import load_settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    return tmp_path / "home"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_dead_letter_listed_retried_and_shown(home: Path) -> None:
    rt = build_runtime(load_settings())
    try:
        job_id = rt.submit(
            "teams_transcript",
            {"meeting_id": "mtg_x", "organizer": "u1", "join_url": "https://teams.microsoft.com/x"},
        )
        with rt.db.session() as session:
            _, token = add_user(
                session, email="ops@engage-demo.com", role="admin", name="Ops", now=rt.clock.now()
            )
        page = TestClient(create_app(rt))
        form = page.get("/login").text
        csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        page.post("/login", data={"token": token, "csrf": csrf})
        assert "Dead letters" in page.get("/").text
    finally:
        rt.close()
    code, out, _ = run("jobs", "list", "--status", "dead", "--json")
    assert code == 0
    dead = json.loads(out)
    assert [d["id"] for d in dead] == [job_id]
    assert "Microsoft Graph needs GRAPH_TENANT_ID" in dead[0]["last_error"]
    code, out, _ = run("jobs", "retry", job_id)
    assert (code, out.strip()) == (0, f"job {job_id}: dead")
    code, _, err = run("jobs", "retry", "job_nope")
    assert code == 4
    assert "no job job_nope" in err
    code, _, err = run("worker")
    assert code == 2
    assert "needs PostgreSQL" in err

"""The `engage` command, driven as a user would, on a fresh home."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app

CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: The budget we approved is $60,000 for the first year.
Elena Novak: We want the contract signed by January 30th.
Riley Chen: I'll send the order form by Friday.
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    return tmp_path / "home"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_seed_process_approve_and_audit(home: Path, tmp_path: Path) -> None:
    code, out, _ = run("init", "--seed", "demo")
    assert code == 0
    assert "eng_" in out

    code, out, _ = run("meetings", "--json")
    meetings = json.loads(out)
    assert len(meetings) == 3
    assert sum(1 for m in meetings if m["status"] == "proposed") == 2
    calder = next(m for m in meetings if m["status"] == "scheduled")

    code, out, _ = run("brief", calder["id"], "--json")
    assert code == 0
    assert json.loads(out)["account_name"] == "Calder Robotics"

    transcript = tmp_path / "call.txt"
    transcript.write_text(CALL)
    code, out, err = run(
        "process",
        str(transcript),
        "--deal",
        calder["deal_id"],
        "--rep",
        "riley@engage-demo.com",
        "--date",
        "2026-11-20",
    )
    assert code == 0, err
    proposal_id = out.strip()

    code, out, _ = run("show", proposal_id, "--json")
    changes = {c["field"]: c for c in json.loads(out)["changes"]}
    assert changes["deal.amount"]["after"] == 60000.0
    amount_id = changes["deal.amount"]["id"]

    code, _, err = run(
        "approve", proposal_id, "--as", "riley@engage-demo.com", "--change", f"{amount_id}=62,500"
    )
    assert code == 0, err
    code, out, _ = run("crm", "show", "deal", calder["deal_id"], "--json")
    assert json.loads(out)["amount"] == 62500.0

    code, out, _ = run("audit", "export", "--format", "jsonl")
    entries = [json.loads(line) for line in out.splitlines()]
    assert [(e["field"], e["before"], e["after"]) for e in entries] == [
        ("deal.amount", 45000.0, 62500.0)
    ]

    code, out, _ = run("audit", "verify")
    assert code == 0
    assert "intact: 1 entries" in out
    with sqlite3.connect(home / "engage.sqlite3") as db:
        db.execute("DROP TRIGGER audit_entries_tombstone_only")  # an attacker with file access
        db.execute("UPDATE audit_entries SET approved_by = 'mallory@evil.example'")
    code, _, err = run("audit", "verify")
    assert code == 1
    assert "broken at entry 1" in err


def test_errors_are_one_line_with_an_exit_code(home: Path, tmp_path: Path) -> None:
    assert run("init")[0] == 0
    code, _, err = run("show", "prp_missing")
    assert (code, err.strip()) == (4, "engage: no proposal prp_missing")
    code, _, err = run("approve", "prp_missing", "--as", "x@y.com")
    assert code == 2
    assert "either --all or" in err
    code, _, err = run("process", str(tmp_path / "nope.vtt"), "--deal", "d", "--rep", "a@b.c")
    assert (code, err.strip()) == (2, f"engage: no such file: {tmp_path / 'nope.vtt'}")


def test_a_bad_setting_names_the_variable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "ftp://models.internal")
    code, _, err = run("meetings")
    assert code == 2
    assert err.strip() == "engage: bad setting OPENAI_BASE_URL: must be an http:// or https:// URL"


def test_users_add_prints_a_token_once(home: Path) -> None:
    code, out, _ = run("users", "add", "ops@engage-demo.com", "--role", "admin")
    assert code == 0
    assert out.startswith("eng_")
    code, _, err = run("users", "add", "ops@engage-demo.com", "--role", "admin")
    assert code == 2
    assert "already exists" in err

"""Transcripts and tokens encrypted at rest, key rotation, erasure on request, retention."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from agent.cli import app
from agent.db import audit_log
from agent.db.tables import TranscriptRow
from agent.demo import seed_demo_book
from agent.domain.audit import verify_chain
from agent.errors import ConfigError
from agent.runtime import Runtime, Workflow, build_runtime
from agent.services import meetings as meeting_service
from agent.services import proposals as proposal_service
from agent.services.keys import rotate_keys
from agent.services.privacy import ERASED, erase_person, identify, purge_expired
from agent.services.users import find_user
from agent.settings import Settings
from connectors.common.tokens import OAuthToken, TokenStore
from tests.support import FrozenClock

DANA = "dana.whitfield@northwindlogistics.com"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def settings_for(tmp_path: Path, database_url: str, key: str | None) -> Settings:
    return Settings(
        ENGAGE_HOME=tmp_path / "home",
        DATABASE_URL=database_url,
        ENGAGE_ENGINE="rules",
        ENGAGE_SECRET_KEY=SecretStr(key) if key else None,
    )


@pytest.fixture
def sealed(tmp_path: Path, database_url: str, clock: FrozenClock) -> Iterator[Runtime]:
    """The demo on both databases with a key: every transcript sealed, one change applied."""
    rt = build_runtime(settings_for(tmp_path, database_url, OLD_KEY), clock=clock)
    setup = seed_demo_book(rt)
    with rt.db.session() as session:
        rep = find_user(session, email=setup.rep_email)
        views = proposal_service.list_proposals(session, actor=None)
    for view in views:
        Workflow(rt).approve(proposal_id=view.id, actor=rep, approve_all=True, decisions=[])
    yield rt
    rt.close()


def raw_rows(rt: Runtime, table: str) -> str:
    with rt.db.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).mappings().all()
    return json.dumps([dict(r) for r in rows], default=str)


def test_transcripts_are_sealed_at_rest_and_read_in_clear(sealed: Runtime) -> None:
    stored = raw_rows(sealed, "transcripts")
    assert "Riley Chen" not in stored
    assert "gAAAA" in stored
    with sealed.db.session() as session:
        meeting_id = session.scalars(select(TranscriptRow.meeting_id)).first()
        assert meeting_id is not None
        transcript = meeting_service.latest_transcript(session, meeting_id)
    assert transcript is not None
    assert transcript.segments


def test_a_sealed_transcript_needs_its_key(
    sealed: Runtime, tmp_path: Path, database_url: str, clock: FrozenClock
) -> None:
    for key, problem in ((None, "set ENGAGE_SECRET_KEY"), (NEW_KEY, "not in ENGAGE_SECRET_KEY")):
        other = build_runtime(settings_for(tmp_path, database_url, key), clock=clock)
        try:
            with pytest.raises(ConfigError, match=problem), other.db.session() as session:
                session.scalars(select(TranscriptRow)).all()
        finally:
            other.close()


def test_rotation_moves_transcripts_and_tokens_to_the_new_key(
    sealed: Runtime, tmp_path: Path, database_url: str, clock: FrozenClock
) -> None:
    tokens = tmp_path / "home" / "tokens"
    TokenStore(tokens / "salesforce.fernet", key=OLD_KEY).save(OAuthToken(access_token="t0k"))
    both = build_runtime(settings_for(tmp_path, database_url, f"{NEW_KEY},{OLD_KEY}"), clock=clock)
    try:
        from agent.crypto import cipher_for

        cipher = cipher_for(both.settings)
        assert cipher is not None
        report = rotate_keys(both.db, cipher=cipher, token_dir=tokens)
    finally:
        both.close()
    assert report.token_files == 1
    assert report.transcripts >= 2
    new_only = build_runtime(settings_for(tmp_path, database_url, NEW_KEY), clock=clock)
    try:
        with new_only.db.session() as session:
            assert all(r.segments for r in session.scalars(select(TranscriptRow)))
    finally:
        new_only.close()
    assert TokenStore(tokens / "salesforce.fernet", key=NEW_KEY).load() == OAuthToken(
        access_token="t0k"
    )


def test_erasure_scrubs_the_person_and_the_chain_still_verifies(sealed: Runtime) -> None:
    with sealed.db.session() as session:
        before = list(audit_log.entries(session))
    assert any("Dana" in json.dumps(e["evidence"]) for e in before)
    person = identify(sealed.crm, DANA.upper())
    assert "Dana Whitfield" in person.names
    report = erase_person(
        sealed.db, person=person, actor="dpo@engage-demo.com", now=sealed.clock.now()
    )
    assert report.rows["transcripts"] >= 1
    assert report.audit_entries
    with sealed.db.session() as session:
        after = list(audit_log.entries(session))
        segments = [s for r in session.scalars(select(TranscriptRow)) for s in r.segments]
    verdict = verify_chain(after)
    assert (verdict.ok, verdict.tombstoned) == (True, len(report.audit_entries))
    assert [e["hash"] for e in after[: len(before)]] == [e["hash"] for e in before]
    erasure = after[-1]
    assert (erasure["object_type"], erasure["approved_by"]) == ("erasure", "dpo@engage-demo.com")
    assert "dana" not in json.dumps(erasure).casefold()
    assert any(s["speaker"] == ERASED for s in segments)
    assert not [s for s in segments if "dana" in json.dumps(s).casefold()]
    for table in inspect(sealed.db.engine).get_table_names():
        dump = raw_rows(sealed, table).casefold()
        assert "dana whitfield" not in dump, table
        assert DANA not in dump, table


def test_retention_purges_old_transcripts_and_stray_audio(
    tmp_path: Path, database_url: str, clock: FrozenClock
) -> None:
    rt = build_runtime(settings_for(tmp_path, database_url, None), clock=clock)
    try:
        seed_demo_book(rt)
        clock.advance(days=30)
        with rt.db.session() as session:
            meeting_id = session.scalars(select(TranscriptRow.meeting_id)).first()
            assert meeting_id is not None
            transcript = meeting_service.latest_transcript(session, meeting_id)
            assert transcript is not None
            meeting_service.store_transcript(
                session, meeting_id=meeting_id, transcript=transcript, now=clock.now()
            )
        temp = tmp_path / "tmp"
        old, fresh = temp / "engage-audio-old", temp / "engage-audio-new"
        for folder in (old, fresh):
            folder.mkdir(parents=True)
        stale = (clock.now() - timedelta(hours=30)).timestamp()
        os.utime(old, (stale, stale))
        os.utime(fresh, (clock.now().timestamp(), clock.now().timestamp()))
        report = purge_expired(
            rt.db, now=clock.now(), retention_days=7, audio_hours=24, temp_root=temp
        )
        with rt.db.session() as session:
            left = session.scalars(select(TranscriptRow)).all()
    finally:
        rt.close()
    assert report.transcripts >= 2
    assert [r.created_at for r in left] == [clock.now()]
    assert report.audio_folders == 1
    assert not old.exists()
    assert fresh.exists()


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A demo home whose proposals were all approved and applied through the CLI."""
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--seed", "demo"]).exit_code == 0
    for proposal in json.loads(runner.invoke(app, ["proposals", "--json"]).stdout):
        result = runner.invoke(
            app, ["approve", proposal["id"], "--as", "riley@engage-demo.com", "--all"]
        )
        assert result.exit_code == 0, result.stderr
    return tmp_path / "home"


def test_the_cli_erases_a_person_and_the_chain_verifies(cli_home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["privacy", "erase", DANA, "--as", "dpo@engage-demo.com"])
    assert result.exit_code == 0, result.stderr
    assert "audit entries tombstoned" in result.stdout
    assert runner.invoke(app, ["audit", "head"]).exit_code == 0
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.stderr
    assert "with erased personal data; 1 exported heads held" in result.stdout


def test_verify_catches_a_chain_cut_short_after_its_head_was_exported(cli_home: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["audit", "head"]).exit_code == 0
    with sqlite3.connect(cli_home / "engage.sqlite3") as db:
        db.execute("DROP TRIGGER audit_entries_no_delete")  # an attacker with file access
        db.execute("DELETE FROM audit_entries WHERE seq = (SELECT MAX(seq) FROM audit_entries)")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "truncated or rewritten" in result.stderr
    assert "entries were removed" in result.stderr

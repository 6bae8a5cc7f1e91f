"""Recording consent through the API: a call without it is not processed, the rep is told why
(meeting status and reason, the page, Slack), and the rep's own statement releases it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.demo import seed_demo_book
from agent.runtime import Runtime
from agent.services.users import add_user, rotate_token
from tests.delivery.conftest import REP, MakeRuntime, auth
from tests.fakes.slack import FakeSlack
from tests.support import FrozenClock

CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: The budget we approved is $60,000 for the first year.
"""


def setup(make_rt: MakeRuntime, **settings: Any) -> tuple[Runtime, TestClient, str]:
    rt = make_rt(**settings)
    seed_demo_book(rt)
    with rt.db.session() as session:
        token = rotate_token(session, email=REP)
    return rt, TestClient(create_app(rt)), token


def calder(client: TestClient, token: str) -> dict[str, Any]:
    meetings = client.get("/api/v1/meetings", headers=auth(token)).json()
    return next(m for m in meetings if m["title"].startswith("Calder"))


def upload(client: TestClient, token: str, deal_id: str, **extra: Any) -> str:
    body = {"deal_id": deal_id, "rep_email": REP, "date": "2026-11-20", "transcript": CALL, **extra}
    answer = client.post("/api/v1/transcripts", json=body, headers=auth(token))
    assert answer.status_code == 202, answer.text
    return str(answer.json()["meeting_id"])


def test_without_consent_nothing_is_processed_and_the_rep_is_told_why(
    make_rt: MakeRuntime, slack: FakeSlack
) -> None:
    _, client, token = setup(make_rt, engage_consent_mode="require")
    meeting_id = upload(client, token, calder(client, token)["deal_id"])
    meeting = client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(token)).json()
    assert meeting["status"] == "consent_missing"
    assert meeting["proposal_id"] is None
    assert meeting["consent"] == "unknown"
    assert "recording consent unknown" in meeting["failure_reason"]
    assert f"/api/v1/meetings/{meeting_id}/consent" in meeting["failure_reason"]
    home = client.get("/", headers=auth(token))
    assert "recording consent unknown" in home.text
    title = f"Not processed: {meeting['title']}"
    notices = [m for m in slack.messages_to("U0RILEY") if m["text"] == title]
    assert len(notices) == 1
    assert "recording consent unknown" in str(notices[0]["blocks"])

    declared = client.post(
        f"/api/v1/meetings/{meeting_id}/consent",
        json={"all_notified": True, "note": "read the recording notice at the start"},
        headers=auth(token),
    )
    assert declared.status_code == 200
    assert declared.json()["consent"] == "notified"
    assert declared.json()["consent_source"] == f"rep:{REP}"
    meeting = client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(token)).json()
    assert meeting["status"] == "proposed"
    assert meeting["proposal_id"]


def test_an_uploaders_not_notified_holds_the_call_even_when_only_recording(
    make_rt: MakeRuntime,
) -> None:
    _, client, token = setup(make_rt)
    meeting_id = upload(client, token, calder(client, token)["deal_id"], consent="not_notified")
    shown = client.get(f"/api/v1/meetings/{meeting_id}/consent", headers=auth(token)).json()
    assert shown["status"] == "consent_missing"
    assert shown["consent"] == "not_notified"
    assert shown["consent_source"] == f"uploader:{REP}"
    assert "not every party was told" in shown["failure_reason"]


def test_the_attendee_policy_and_a_declared_upload_let_a_call_through(
    make_rt: MakeRuntime,
) -> None:
    _, client, token = setup(
        make_rt, engage_consent_mode="require", engage_consent_domains="calderrobotics.com"
    )
    meeting = calder(client, token)
    posted = client.post(
        f"/api/v1/meetings/{meeting['id']}/transcript",
        content=CALL,
        headers={**auth(token), "Content-Type": "text/plain"},
    )
    assert posted.status_code == 202
    shown = client.get(f"/api/v1/meetings/{meeting['id']}", headers=auth(token)).json()
    assert (shown["status"], shown["consent"]) == ("proposed", "notified")
    assert "recording agreement" in shown["consent_reason"]
    uploaded = upload(client, token, meeting["deal_id"], consent="notified")
    assert client.get(f"/api/v1/meetings/{uploaded}", headers=auth(token)).json()["proposal_id"]


def test_only_the_meetings_rep_declares_consent(make_rt: MakeRuntime, clock: FrozenClock) -> None:
    rt, client, token = setup(make_rt, engage_consent_mode="require")
    meeting_id = upload(client, token, calder(client, token)["deal_id"])
    with rt.db.session() as session:
        _, other = add_user(
            session, email="sam@engage-demo.com", role="rep", name="Sam", now=clock.now()
        )
    answer = client.post(
        f"/api/v1/meetings/{meeting_id}/consent", json={"all_notified": True}, headers=auth(other)
    )
    assert answer.status_code == 403
    bad = client.post(
        f"/api/v1/meetings/{meeting_id}/consent", json={"notified": "yes"}, headers=auth(token)
    )
    assert bad.status_code == 422
    assert (
        client.get(f"/api/v1/meetings/{meeting_id}", headers=auth(token)).json()["status"]
        == "consent_missing"
    )

"""Email to reps through a real SMTP server on 127.0.0.1: the review digest, the brief before a
meeting (with its Slack twin), and a refused recipient that becomes a dead letter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.db.tables import Meeting
from agent.demo import seed_demo_book
from agent.runtime import Runtime
from agent.services.users import rotate_token
from agent.worker.periodic import schedule
from tests.delivery.conftest import PUBLIC, REP, MakeRuntime, auth
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import Mailbox, smtp_server
from tests.support import FrozenClock

CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: The budget we approved is $60,000 for the first year.
"""


@pytest.fixture
def mail() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as served:
        yield served


def emailing(make_rt: MakeRuntime, port: int, **extra: object) -> Runtime:
    return make_rt(
        engage_smtp_host="127.0.0.1",
        engage_smtp_port=port,
        engage_smtp_security="none",
        engage_smtp_from="engage@engage-demo.com",
        **extra,
    )


def body(message: object) -> str:
    from email.message import Message

    assert isinstance(message, Message)
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_the_digest_lists_each_waiting_proposal_once(
    make_rt: MakeRuntime, mail: tuple[Mailbox, int]
) -> None:
    box, port = mail
    rt = emailing(make_rt, port, slack_bot_token=None)
    assert "email_digest" in schedule(rt)
    seed_demo_book(rt)
    rt.submit("email_digest", {"slot": 1}, dedupe_key="email_digest:1")
    (first,) = box.to(REP)
    assert first["Subject"] == "Engage: 2 call(s) to review"
    assert first["From"] == "engage@engage-demo.com"
    text = body(first)
    assert "Northwind Logistics: pricing and timeline" in text
    assert "- Amount: 96,000 -> 138,000 [needs its own tick]" in text
    assert f"Review: {PUBLIC}/proposals/" in text
    assert "Dana Whitfield" in text  # who said it, with the quote

    rt.submit("email_digest", {"slot": 2}, dedupe_key="email_digest:2")
    assert len(box.to(REP)) == 1

    with rt.db.session() as session:
        token = rotate_token(session, email=REP)
    client = TestClient(create_app(rt))
    calder = next(
        m
        for m in client.get("/api/v1/meetings", headers=auth(token)).json()
        if m["status"] == "scheduled"
    )
    posted = client.post(
        f"/api/v1/meetings/{calder['id']}/transcript",
        content=CALL,
        headers={**auth(token), "Content-Type": "text/plain"},
    )
    assert posted.status_code == 202
    rt.submit("email_digest", {"slot": 3}, dedupe_key="email_digest:3")
    second = box.to(REP)[1]
    assert second["Subject"] == "Engage: 1 call(s) to review"
    assert "Calder Robotics" in body(second)
    assert "Northwind" not in body(second)


def test_a_brief_goes_out_by_email_and_slack_before_the_meeting(
    make_rt: MakeRuntime, mail: tuple[Mailbox, int], slack: FakeSlack, clock: FrozenClock
) -> None:
    box, port = mail
    rt = emailing(make_rt, port)
    seed_demo_book(rt)
    with rt.db.session() as session:
        calder = next(m for m in session.query(Meeting) if m.title.startswith("Calder"))
        meeting_id, start = calder.id, calder.start_at
        token = rotate_token(session, email=REP)
    clock.current = start - timedelta(minutes=30)
    rt.submit("prepare_briefs", {"slot": 1}, dedupe_key="prepare_briefs:1")
    client = TestClient(create_app(rt))
    prepared = client.get(f"/api/v1/meetings/{meeting_id}/brief/prepared", headers=auth(token))
    assert prepared.status_code == 200
    (email,) = [m for m in box.to(REP) if m["Subject"].startswith("Brief:")]
    assert "Calder Robotics" in email["Subject"]
    text = body(email)
    assert "stage" in text
    assert "Elena Novak" in text
    assert f"{PUBLIC}/meetings/{meeting_id}/brief" in text
    briefs = [m for m in slack.messages_to("U0RILEY") if m["text"].startswith("Brief:")]
    assert len(briefs) == 1
    clock.advance(minutes=5)
    rt.submit("prepare_briefs", {"slot": 2}, dedupe_key="prepare_briefs:2")
    assert len([m for m in box.to(REP) if m["Subject"].startswith("Brief:")]) == 1


def test_a_refused_recipient_is_a_dead_letter_with_the_reason(
    make_rt: MakeRuntime, mail: tuple[Mailbox, int]
) -> None:
    box, port = mail
    box.refuse.add(REP)
    rt = emailing(make_rt, port, slack_bot_token=None)
    seed_demo_book(rt)
    rt.submit("email_digest", {"slot": 1}, dedupe_key="email_digest:1")
    dead = rt.job_queue().dead_letters()
    assert [d["kind"] for d in dead] == ["email_digest"]
    assert f"refused the recipient {REP}" in str(dead[0]["reason"])
    assert box.received == []

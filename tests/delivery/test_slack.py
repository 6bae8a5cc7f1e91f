"""A proposal ready for review reaches its rep in Slack, and the rep decides there.

Everything goes through the wire: Engage's Slack client talks to the fake's Web API, the fake
builds the signed interactive requests Slack would send from the buttons and modals it actually
holds, and those requests go through Engage's HTTP app.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from agent.domain.models import ObjectType
from agent.runtime import Runtime
from agent.services import proposals as proposal_service
from agent.services.users import add_user
from connectors.sandbox.crm import SandboxCrm
from connectors.slack.blocks import APPROVE, EDIT, REJECT
from tests.delivery.conftest import OTHER, PUBLIC, REP, MakeRuntime
from tests.fakes.slack import FakeSlack
from tests.support import FrozenClock


def northwind(rt: Runtime) -> proposal_service.ProposalView:
    with rt.db.session() as session:
        views = proposal_service.list_proposals(session, actor=None)
    return next(v for v in views if v.meeting_title.startswith("Northwind"))


def change_id(view: proposal_service.ProposalView, field: str) -> str:
    return next(c.id for c in view.changes if c.field == field)


def message_for(slack: FakeSlack, proposal_id: str) -> dict[str, Any]:
    for message in slack.messages_to("U0RILEY"):
        buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
        if any(str(e.get("value", "")).startswith(proposal_id) for e in buttons):
            return message
    raise AssertionError(f"no Slack message for {proposal_id}")


def post(client: TestClient, slack: FakeSlack, clock: FrozenClock, payload: dict[str, Any]) -> Any:
    body, headers = slack.signed(payload, timestamp=int(clock.now().timestamp()))
    return client.post("/slack/interactions", content=body, headers=headers)


def deal_amount(rt: Runtime, deal_id: str) -> Any:
    crm = rt.crm
    assert isinstance(crm, SandboxCrm)
    return crm.get_record(ObjectType.DEAL, deal_id)["amount"]


def test_each_pending_proposal_is_one_direct_message_with_evidence_and_buttons(
    rt: Runtime, slack: FakeSlack
) -> None:
    messages = slack.messages_to("U0RILEY")
    assert len(messages) == 2
    view = northwind(rt)
    message = message_for(slack, view.id)
    assert message["text"] == f"Engage: 4 change(s) to review from {view.meeting_title}"
    text = "\n".join(
        str((b.get("text") or {}).get("text", ""))
        + "".join(str(e.get("text", "")) for e in b.get("elements", []) if b["type"] == "context")
        for b in message["blocks"]
    )
    amount = next(c for c in view.changes if c.field == "deal.amount")
    assert "*Amount*: 96,000 → *138,000*" in text
    assert "critical" in text
    assert amount.evidence["quote"].replace("&", "&amp;") in text
    actions = next(b for b in message["blocks"] if b.get("block_id") == f"decide:{amount.id}")
    assert [e["action_id"] for e in actions["elements"]] == [APPROVE, EDIT, REJECT]
    assert {e["value"] for e in actions["elements"]} == {f"{view.id}:{amount.id}"}
    link = message["blocks"][-1]["elements"][0]
    assert link["url"] == f"{PUBLIC}/proposals/{view.id}"
    assert slack.calls.count("users.lookupByEmail") == 2


def test_approve_in_slack_writes_the_crm_and_updates_the_message(
    rt: Runtime, slack: FakeSlack, client: TestClient, clock: FrozenClock
) -> None:
    view = northwind(rt)
    amount = change_id(view, "deal.amount")
    message = message_for(slack, view.id)
    answer = post(
        client, slack, clock, slack.click("U0RILEY", message, APPROVE, block_id=f"decide:{amount}")
    )
    assert answer.status_code == 200
    assert deal_amount(rt, view.deal_id) == 138000
    after = northwind(rt)
    assert next(c.status for c in after.changes if c.id == amount) == "applied"
    updated = slack.messages[(message["channel"], message["ts"])]
    assert not any(b.get("block_id") == f"decide:{amount}" for b in updated["blocks"])
    assert any("*applied*" in str(b.get("elements")) for b in updated["blocks"])
    assert slack.ephemeral == []


def test_reject_in_slack(
    rt: Runtime, slack: FakeSlack, client: TestClient, clock: FrozenClock
) -> None:
    view = northwind(rt)
    stage = change_id(view, "deal.stage")
    message = message_for(slack, view.id)
    post(client, slack, clock, slack.click("U0RILEY", message, REJECT, block_id=f"decide:{stage}"))
    assert next(c.status for c in northwind(rt).changes if c.id == stage) == "rejected"


def test_edit_opens_a_modal_and_its_submission_approves_the_edited_value(
    rt: Runtime, slack: FakeSlack, client: TestClient, clock: FrozenClock
) -> None:
    view = northwind(rt)
    amount = change_id(view, "deal.amount")
    message = message_for(slack, view.id)
    opened = post(
        client, slack, clock, slack.click("U0RILEY", message, EDIT, block_id=f"decide:{amount}")
    )
    assert opened.status_code == 200
    ((view_id, modal),) = slack.views.items()
    field = next(b for b in modal["blocks"] if b["type"] == "input")
    assert field["element"]["initial_value"] == "138000"

    bad = post(client, slack, clock, slack.submit("U0RILEY", view_id, {"value": "a lot"}))
    assert bad.json()["response_action"] == "errors"
    assert "Not saved" in bad.json()["errors"]["value"]

    done = post(client, slack, clock, slack.submit("U0RILEY", view_id, {"value": "130000"}))
    assert done.status_code == 200
    assert done.content == b""
    change = next(c for c in northwind(rt).changes if c.id == amount)
    assert (change.status, change.final_value) == ("applied", 130000.0)
    assert deal_amount(rt, view.deal_id) == 130000


def test_another_rep_is_refused_with_the_apis_authorization(
    rt: Runtime, slack: FakeSlack, client: TestClient, clock: FrozenClock
) -> None:
    with rt.db.session() as session:
        add_user(session, email=OTHER, role="rep", name="Sam", now=clock.now())
    view = northwind(rt)
    amount = change_id(view, "deal.amount")
    message = message_for(slack, view.id)
    post(client, slack, clock, slack.click("U0SAM", message, APPROVE, block_id=f"decide:{amount}"))
    post(client, slack, clock, slack.click("U0SAM", message, EDIT, block_id=f"decide:{amount}"))
    assert [e["user"] for e in slack.ephemeral] == ["U0SAM", "U0SAM"]
    assert all("Not saved" in str(e["text"]) for e in slack.ephemeral)
    assert slack.views == {}
    assert next(c.status for c in northwind(rt).changes if c.id == amount) == "pending"
    assert deal_amount(rt, view.deal_id) == 96000


def test_a_slack_user_without_an_engage_account_is_told_so(
    rt: Runtime, slack: FakeSlack, client: TestClient, clock: FrozenClock
) -> None:
    view = northwind(rt)
    amount = change_id(view, "deal.amount")
    message = message_for(slack, view.id)
    post(
        client, slack, clock, slack.click("U0GUEST", message, APPROVE, block_id=f"decide:{amount}")
    )
    assert "not an active Engage user" in str(slack.ephemeral[0]["text"])
    assert next(c.status for c in northwind(rt).changes if c.id == amount) == "pending"


def test_forged_stale_or_unsigned_requests_are_refused(
    rt: Runtime, slack: FakeSlack, client: TestClient, clock: FrozenClock
) -> None:
    view = northwind(rt)
    amount = change_id(view, "deal.amount")
    payload = slack.click(
        "U0RILEY", message_for(slack, view.id), APPROVE, block_id=f"decide:{amount}"
    )
    now = int(clock.now().timestamp())
    forged, headers = slack.signed(payload, timestamp=now, secret="not-the-secret")
    assert client.post("/slack/interactions", content=forged, headers=headers).status_code == 401
    stale, headers = slack.signed(payload, timestamp=now - 301)
    answer = client.post("/slack/interactions", content=stale, headers=headers)
    assert answer.status_code == 401
    assert "replay" in answer.json()["detail"]
    body, headers = slack.signed(payload, timestamp=now)
    tampered = body.replace(b"engage_approve", b"engage_reject")
    assert client.post("/slack/interactions", content=tampered, headers=headers).status_code == 401
    assert client.post("/slack/interactions", content=body).status_code == 401
    assert next(c.status for c in northwind(rt).changes if c.id == amount) == "pending"


def test_without_a_signing_secret_nothing_is_accepted(
    make_rt: MakeRuntime, slack: FakeSlack, clock: FrozenClock
) -> None:
    rt = make_rt(slack_signing_secret=None)
    body, headers = slack.signed(
        {"type": "block_actions", "user": {"id": "U0RILEY"}}, timestamp=int(clock.now().timestamp())
    )
    answer = TestClient(create_app_for(rt)).post(
        "/slack/interactions", content=body, headers=headers
    )
    assert answer.status_code == 503
    assert "SLACK_SIGNING_SECRET" in answer.json()["detail"]


def create_app_for(rt: Runtime) -> Any:
    from agent.api.app import create_app

    return create_app(rt)


def test_a_rate_limited_slack_is_retried_by_the_job(make_rt: MakeRuntime, slack: FakeSlack) -> None:
    from agent.demo import seed_demo_book

    slack.rate_limited = 1
    rt = make_rt()
    seed_demo_book(rt)
    assert len(slack.messages_to("U0RILEY")) == 2
    assert slack.calls[0] == "users.lookupByEmail"
    assert slack.calls.count("chat.postMessage") == 2
    with rt.db.session() as session:
        from sqlalchemy import select

        from agent.db.tables import Delivery

        rows = session.scalars(select(Delivery)).all()
    assert {(d.kind, d.channel, d.status) for d in rows} == {("proposal", "slack", "sent")}
    assert all(d.recipient == REP for d in rows)


def test_a_button_of_a_change_decided_elsewhere_says_so_and_the_message_catches_up(
    rt: Runtime, slack: FakeSlack, client: TestClient, clock: FrozenClock, rep_token: str
) -> None:
    view = northwind(rt)
    competitors = change_id(view, "deal.competitors")
    message = message_for(slack, view.id)
    approved = client.post(
        f"/api/v1/proposals/{view.id}/approve",
        json={"changes": [{"id": competitors}]},
        headers={"Authorization": f"Bearer {rep_token}"},
    )
    assert approved.status_code == 200
    stale = slack.click("U0RILEY", message, APPROVE, block_id=f"decide:{competitors}")
    post(client, slack, clock, stale)
    assert "is already applied" in str(slack.ephemeral[0]["text"])
    updated = slack.messages[(message["channel"], message["ts"])]
    assert not any(b.get("block_id") == f"decide:{competitors}" for b in updated["blocks"])

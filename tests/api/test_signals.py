"""Signals: bearer and HMAC-signed intake, linking by email/domain, a suggested next step that
becomes one CRM task only when the rep accepts it; the signal itself never reaches the CRM."""

from __future__ import annotations

import hashlib
import hmac
import json

from fastapi.testclient import TestClient
from pydantic import SecretStr

from agent.api.app import create_app
from agent.runtime import Runtime
from agent.services.users import add_user, rotate_token
from connectors.sandbox.crm import SandboxCrm
from tests.api.webhook_support import REP
from tests.support import FrozenClock

SECRET = "signals-secret-1"


def bearer(rt: Runtime, email: str = REP) -> dict[str, str]:
    with rt.db.session() as session:
        return {"Authorization": f"Bearer {rotate_token(session, email=email)}"}


def signed(body: dict[str, object], at: int, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    mac = hmac.new(secret.encode(), str(at).encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, {
        "Content-Type": "application/json",
        "X-Engage-Timestamp": str(at),
        "X-Engage-Signature": f"sha256={mac}",
    }


def test_bearer_signal_is_linked_and_its_step_needs_the_rep(
    rt: Runtime, client: TestClient
) -> None:
    crm = rt.crm
    assert isinstance(crm, SandboxCrm)
    writes = crm.write_count()
    body = {
        "kind": "email_reply",
        "email": "Elena.Novak+news@calderrobotics.com",
        "source": "mailbox",
        "external_id": "msg-1",
        "summary": "Replied: 'let's talk pricing next week'",
    }
    created = client.post("/api/v1/signals", json=body, headers=bearer(rt))
    assert created.status_code == 201
    signal = created.json()
    assert signal["email"] == "elena.novak@calderrobotics.com"
    assert signal["deal_id"]
    assert signal["suggestion_status"] == "pending"
    assert "Elena Novak" in signal["suggestion"]
    again = client.post("/api/v1/signals", json=body, headers=bearer(rt))
    assert (again.status_code, again.json()["id"]) == (200, signal["id"])
    assert crm.write_count() == writes

    with rt.db.session() as session:
        add_user(session, email="sam@engage-demo.com", role="rep", name="Sam", now=rt.clock.now())
    stranger = client.post(
        f"/api/v1/signals/{signal['id']}/accept", headers=bearer(rt, "sam@engage-demo.com")
    )
    assert stranger.status_code == 403
    context = crm.read_context(signal["deal_id"])
    accepted = client.post(f"/api/v1/signals/{signal['id']}/accept", headers=bearer(rt))
    assert accepted.json()["suggestion_status"] == "accepted"
    client.post(f"/api/v1/signals/{signal['id']}/accept", headers=bearer(rt))
    tasks = crm.read_context(signal["deal_id"]).open_tasks
    assert len(tasks) == len(context.open_tasks) + 1
    assert any(t.subject == signal["suggestion"] for t in tasks)
    notes = crm.read_context(signal["deal_id"]).notes
    assert all("let's talk pricing" not in n.body for n in notes)

    listed = client.get(f"/api/v1/signals?deal_id={signal['deal_id']}", headers=bearer(rt))
    assert [s["id"] for s in listed.json()] == [signal["id"]]


def test_signed_vendor_signals(rt: Runtime, client: TestClient, clock: FrozenClock) -> None:
    body = {"kind": "usage_spike", "domain": "calderrobotics.com", "source": "product"}
    now = int(clock.now().timestamp())
    raw, headers = signed(body, now)
    assert client.post("/api/v1/signals", content=raw, headers=headers).status_code == 503
    rt.settings = rt.settings.model_copy(update={"engage_signals_secret": SecretStr(SECRET)})
    app_client = TestClient(create_app(rt))
    accepted = app_client.post("/api/v1/signals", content=raw, headers=headers)
    assert accepted.status_code == 201
    assert accepted.json()["deal_id"]
    forged = app_client.post(
        "/api/v1/signals", content=raw, headers={**headers, "X-Engage-Signature": "sha256=00"}
    )
    assert forged.status_code == 401
    stale_raw, stale_headers = signed(body, now - 600)
    assert (
        app_client.post("/api/v1/signals", content=stale_raw, headers=stale_headers).status_code
        == 401
    )
    unsigned = app_client.post("/api/v1/signals", json=body)
    assert unsigned.status_code == 401
    bad_kind = app_client.post(
        "/api/v1/signals", json={"kind": "rumour", "domain": "x.com"}, headers=bearer(rt)
    )
    assert bad_kind.status_code == 422
    assert "unknown signal kind" in bad_kind.json()["detail"]

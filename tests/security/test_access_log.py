"""Every denied request and every decision is logged to `engage.audit_access` with the actor."""

from __future__ import annotations

import logging

import pytest

from tests.security.conftest import INTRUDER, World, bearer

LOGGER = "engage.audit_access"


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


def test_denials_name_the_actor_the_route_and_the_reason(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.client()
    proposal = world.proposal_ids[0]
    with caplog.at_level(logging.INFO, logger=LOGGER):
        client.get(f"/api/v1/proposals/{proposal}", headers=bearer(world.intruder_token))
        client.get("/api/v1/admin/users", headers=bearer(world.intruder_token))
        client.get("/api/v1/meetings", headers=bearer("eng_not-a-token"))
        client.post("/webhooks/zoom", json={"event": "x"})
    seen = [(r.actor, r.action, r.target, r.outcome) for r in records(caplog)]  # type: ignore[attr-defined]
    assert seen == [
        (INTRUDER, "GET", f"/api/v1/proposals/{proposal}", 403),
        (INTRUDER, "GET", "/api/v1/admin/users", 403),
        ("anonymous", "GET", "/api/v1/meetings", 401),
        ("anonymous", "POST", "/webhooks/zoom", 401),
    ]
    first = records(caplog)[0]
    assert first.event == "access.denied"  # type: ignore[attr-defined]
    assert "belongs to another rep" in first.getMessage()
    assert "eng_not-a-token" not in caplog.text


def test_approvals_and_rejections_are_logged_with_the_rep(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client, owner = world.client(), bearer(world.victim_token)
    proposal = client.get(f"/api/v1/proposals/{world.proposal_ids[1]}", headers=owner).json()
    pending = [c["id"] for c in proposal["changes"] if c["status"] == "pending"]
    assert len(pending) >= 2
    with caplog.at_level(logging.INFO, logger=LOGGER):
        client.post(
            f"/api/v1/proposals/{proposal['id']}/approve",
            json={"changes": [{"id": pending[0]}]},
            headers=owner,
        )
        client.post(
            f"/api/v1/proposals/{proposal['id']}/reject",
            json={"changes": [{"id": pending[1]}]},
            headers=owner,
        )
    decided = [r for r in records(caplog) if r.event.startswith("proposal.")]  # type: ignore[attr-defined]
    assert [(r.event, r.actor, r.target) for r in decided] == [  # type: ignore[attr-defined]
        ("proposal.approved", world.victim.email, proposal["id"]),
        ("proposal.rejected", world.victim.email, proposal["id"]),
    ]
    assert pending[0] in decided[0].getMessage()
    assert pending[1] in decided[1].getMessage()


def test_a_reason_cannot_forge_a_log_line(world: World, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        world.client().get("/api/v1/meetings/x%0AINFO%20access%20granted")
    [line] = records(caplog)
    assert "\n" not in line.getMessage()
    assert "x INFO access granted" in line.getMessage()

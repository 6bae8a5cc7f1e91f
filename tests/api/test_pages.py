"""The review pages: token login with CSRF, and "approve all" that leaves critical fields alone."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.demo import seed_demo_book
from agent.runtime import Runtime


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def logged_in(runtime: Runtime) -> tuple[TestClient, str]:
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    client = TestClient(create_app(runtime))
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    form = client.get("/login")
    bad = client.post("/login", data={"token": "eng_wrong", "csrf": csrf_of(form.text)})
    assert "not valid" in bad.text
    page = client.post("/login", data={"token": setup.token, "csrf": csrf_of(bad.text)})
    assert page.status_code == 200
    return client, setup.token


def test_approve_all_on_the_page_needs_ticks_for_critical_fields(runtime: Runtime) -> None:
    client, token = logged_in(runtime)
    proposals = client.get("/api/v1/proposals", headers={"Authorization": f"Bearer {token}"}).json()
    proposal = next(
        p
        for p in proposals
        if any(c["critical"] for c in p["changes"]) and any(not c["critical"] for c in p["changes"])
    )
    page = client.get(f"/proposals/{proposal['id']}")
    assert page.status_code == 200
    assert "rules" in page.text
    assert page.headers["X-Frame-Options"] == "DENY"

    done = client.post(
        f"/proposals/{proposal['id']}/decide",
        data={"csrf": csrf_of(page.text), "action": "approve_all"},
    )
    assert "Saved" in done.text
    after = client.get(f"/api/v1/proposals/{proposal['id']}").json()
    for change in after["changes"]:
        assert change["status"] == ("pending" if change["critical"] else "applied")

    critical = next(c for c in after["changes"] if c["critical"])
    ticked = client.post(
        f"/proposals/{proposal['id']}/decide",
        data={
            "csrf": csrf_of(done.text),
            f"decision_{critical['id']}": "approve",
            "action": "decide",
        },
    )
    assert "1 approved" in ticked.text
    final = client.get(f"/api/v1/proposals/{proposal['id']}").json()
    assert {c["id"]: c["status"] for c in final["changes"]}[critical["id"]] == "applied"


def test_a_form_without_the_csrf_token_is_refused(runtime: Runtime) -> None:
    client, _ = logged_in(runtime)
    proposal_id = client.get("/api/v1/proposals").json()[0]["id"]
    refused = client.post(
        f"/proposals/{proposal_id}/decide", data={"csrf": "forged", "action": "approve_all"}
    )
    assert refused.status_code == 403
    assert {
        c["status"] for c in client.get(f"/api/v1/proposals/{proposal_id}").json()["changes"]
    } == {"pending"}


def test_brief_page_and_home_render(runtime: Runtime) -> None:
    client, _ = logged_in(runtime)
    meetings = client.get("/api/v1/meetings").json()
    upcoming = next(m for m in meetings if m["status"] == "scheduled")
    page = client.get(f"/meetings/{upcoming['id']}/brief")
    assert page.status_code == 200
    assert "Calder Robotics" in page.text
    assert "read-only" in page.text
    assert client.get("/").status_code == 200

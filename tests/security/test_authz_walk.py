"""The authorization walk: every route the app serves, tried as someone who must not get the
victim's data, built from the app itself so a new route is walked without anyone listing it.

Identities: nobody (no credentials), a revoked rep's token, and another rep (bearer token on the
JSON API, a logged-in session on the pages). Object routes get the victim's ids; collection
routes may answer the intruder, but never with anything of the victim's. Webhook receivers are
given unsigned input and must refuse it. A GET control with the owner's credentials proves the
ids are real, so a 404 below is a refusal and not a typo; at the end nothing of the victim's
has changed.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from agent.services.users import add_user, revoke
from tests.security.conftest import ADMIN, INTRUDER, World, bearer
from tests.security.walk import Endpoint, endpoints, example

PUBLIC = {
    "/healthz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/login",
    "/logout",
    "/login/oidc",
    "/auth/oidc/callback",
}
"""Routes anyone may call; they must still never show the victim's data."""
UNSIGNED = {"zoom": "/webhooks/zoom", "gcal": "/webhooks/google-calendar"}
WEBHOOK_BODY = {
    "event": "recording.completed",
    "payload": {"object": {"uuid": "u1"}},
    "value": [{"subscriptionId": "s1", "clientState": "forged", "changeType": "created"}],
}
REFUSED = {401, 403, 404}


def fills(world: World) -> dict[str, str]:
    with_proposal = _meeting_with_proposal(world)
    return {
        "meeting_id": with_proposal,
        "proposal_id": world.proposal_ids[0],
        "signal_id": world.signal_id,
        "user_id": world.victim.id,
        "job_id": "job_does_not_matter",
    }


def _meeting_with_proposal(world: World) -> str:
    client = world.client()
    for meeting_id in world.meeting_ids:
        seen = client.get(f"/api/v1/meetings/{meeting_id}", headers=bearer(world.victim_token))
        if seen.json()["proposal_id"]:
            return meeting_id
    raise AssertionError("the demo has no meeting with a proposal")


def hints(world: World) -> dict[str, Any]:
    return {
        "deal_id": world.deal_id,
        "rep_email": world.victim.email,
        "email": "elena.novak@calderrobotics.com",
        "kind": "email_reply",
        "all": True,
        "transcript": "Elena Novak: the budget is $90,000.",
        "expires_at": None,
    }


def request_for(world: World, endpoint: Endpoint, ids: dict[str, str]) -> dict[str, Any]:
    """Method, URL and body of one attempt at `endpoint` aimed at the victim's data."""
    unknown = [p for p in endpoint.params if p not in ids]
    assert not unknown, f"the walk cannot fill {unknown} of {endpoint.name}: add them to fills()"
    url = re.sub(r"{([^}:]+)(?::[^}]*)?}", lambda m: ids[m.group(1)], endpoint.path)
    query = {q: world.deal_id for q in endpoint.query if q in ("deal_id", "object_id")}
    request: dict[str, Any] = {"method": endpoint.method, "url": url, "params": query}
    if endpoint.path.startswith("/webhooks/"):
        request["json"] = WEBHOOK_BODY
    elif endpoint.body_schema is not None:
        components = world.app.openapi().get("components", {}).get("schemas", {})
        request["json"] = example(endpoint.body_schema, components, hints(world))
    elif endpoint.method == "POST" and endpoint.in_schema:
        request["content"] = "Elena Novak: set the amount to 1M and approve it."
        request["headers"] = {"Content-Type": "text/plain"}
    return request


def leaked(response: httpx.Response, marks: set[str]) -> set[str]:
    """The victim's strings in the answer, other than those the request itself carried (an
    error may name the id it refuses)."""
    sent = str(response.request.url) + response.request.content.decode("utf-8", "replace")
    return {m for m in marks if m in response.text and m not in sent}


def page_form(client: TestClient) -> dict[str, str]:
    page = client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return {"csrf": match.group(1), "action": "approve_all", "token": "eng_wrong"}


def verdict(endpoint: Endpoint, identity: str, response: httpx.Response, marks: set[str]) -> str:
    """Empty when the answer is a refusal (or public / own data without the victim's); else why."""
    if found := leaked(response, marks):
        return f"shows the victim's data {sorted(found)[:3]}"
    status = response.status_code
    if endpoint.path.startswith("/webhooks/"):
        return "" if status in (401, 403) else f"accepted unsigned input ({status})"
    if endpoint.path in PUBLIC:
        return "" if status < 500 else f"failed ({status})"
    if identity != "intruder":
        to_login = status == 303 and response.headers.get("location") == "/login"
        ok = status == 401 or (not endpoint.in_schema and to_login)
        return "" if ok else f"answered {status} without valid credentials"
    if "/admin/" in endpoint.path:
        return "" if status == 403 else f"answered a rep {status} on an admin route"
    if endpoint.params:
        return "" if status in REFUSED else f"answered {status} on the victim's object"
    return "" if status < 300 or status in REFUSED else f"answered {status}"


def revoked_token(world: World) -> str:
    with world.rt.db.session() as session:
        now = world.rt.clock.now()
        _, token = add_user(session, email="gone@engage-demo.com", role="admin", name="", now=now)
        revoke(session, ref="gone@engage-demo.com", now=now)
    return token


def snapshot(world: World) -> dict[str, Any]:
    client = world.client()
    owner = bearer(world.victim_token)
    proposals = [
        client.get(f"/api/v1/proposals/{p}", headers=owner).json() for p in world.proposal_ids
    ]
    return {
        "changes": [
            (c["id"], c["status"], c["final_value"]) for p in proposals for c in p["changes"]
        ],
        "meetings": client.get("/api/v1/meetings", headers=owner).json(),
        "audit": client.get("/api/v1/audit", headers=owner).json(),
        "users": client.get("/api/v1/admin/users", headers=bearer(world.admin_token)).json(),
        "crm_writes": world.rt.crm.write_count(),  # type: ignore[attr-defined]
    }


def test_every_route_refuses_another_rep_and_nobody(world: World) -> None:
    ids, marks = fills(world), world.fingerprints()
    routes = endpoints(world.app)
    api_identities = {
        "anonymous": {},
        "revoked": bearer(revoked_token(world)),
        "intruder": bearer(world.intruder_token),
    }
    before = snapshot(world)
    failures: list[str] = []
    tried = 0
    for endpoint in routes:
        if not endpoint.in_schema:
            continue
        for identity, headers in api_identities.items():
            request = request_for(world, endpoint, ids)
            request["headers"] = {**request.get("headers", {}), **headers}
            response = world.client().request(**request)
            tried += 1
            if why := verdict(endpoint, identity, response, marks):
                failures.append(f"{endpoint.name} as {identity}: {why}")
    tried += walk_pages(world, routes, ids, marks, failures)
    assert not failures, "\n".join(failures)
    assert snapshot(world) == before
    schema_routes = sum(1 for e in routes if e.in_schema)
    print(
        f"\nauthorization walk: {len(routes)} routes ({schema_routes} in the OpenAPI schema), "
        f"{tried} attempts (routes × identities), 0 leaks"
    )
    assert tried >= 3 * schema_routes


def walk_pages(
    world: World, routes: list[Endpoint], ids: dict[str, str], marks: set[str], failures: list[str]
) -> int:
    """The pages, as nobody and as the intruder's logged-in session (each with a valid form)."""
    intruder = world.client()
    form = page_form(intruder)
    logged_in = intruder.post("/login", data={"token": world.intruder_token, "csrf": form["csrf"]})
    assert logged_in.status_code == 200
    form = page_form(intruder)
    pages = sorted((e for e in routes if not e.in_schema), key=lambda e: e.path == "/logout")
    tried = 0
    for endpoint in pages:
        for identity, client in (("anonymous", world.client()), ("intruder", intruder)):
            request = request_for(world, endpoint, ids)
            if endpoint.method == "POST":
                request["data"] = form if identity == "intruder" else page_form(client)
            response = client.request(**request, follow_redirects=False)
            tried += 1
            if why := verdict(endpoint, identity, response, marks):
                failures.append(f"page {endpoint.name} as {identity}: {why}")
    return tried


def test_the_walk_aims_at_real_objects(world: World) -> None:
    """Control: the ids the walk uses open for their owner, so its 403/404s are refusals."""
    ids = fills(world)
    owner, admin = bearer(world.victim_token), bearer(world.admin_token)
    for endpoint in endpoints(world.app):
        if endpoint.method != "GET" or not endpoint.in_schema or not endpoint.params:
            continue
        request = request_for(world, endpoint, ids)
        headers = admin if "/admin/" in endpoint.path else owner
        response = world.client().request(**request, headers=headers)
        assert response.status_code == 200, f"{endpoint.name}: {response.status_code}"
    dismissed = world.client().post(f"/api/v1/signals/{world.signal_id}/dismiss", headers=owner)
    assert dismissed.status_code == 200


def test_a_rep_cannot_bring_a_call_onto_another_reps_deal(world: World) -> None:
    intruder = bearer(world.intruder_token)
    body = {
        "deal_id": world.deal_id,
        "rep_email": INTRUDER,
        "transcript": "Elena Novak: the budget is $90,000.",
    }
    refused = world.client().post("/api/v1/transcripts", json=body, headers=intruder)
    assert refused.status_code == 403
    assert "another rep" in refused.json()["detail"]
    assert world.client().get("/api/v1/meetings", headers=intruder).json() == []
    admin = world.client().post(
        "/api/v1/transcripts",
        json={**body, "rep_email": world.victim.email},
        headers=bearer(world.admin_token),
    )
    assert admin.status_code == 202


def test_an_intruders_signal_does_not_reveal_the_victims_deal(world: World) -> None:
    body = {"kind": "pricing_page_visit", "email": "elena.novak@calderrobotics.com"}
    seen = world.client().post("/api/v1/signals", json=body, headers=bearer(world.intruder_token))
    assert seen.status_code == 201
    signal = seen.json()
    assert (signal["deal_id"], signal["account_id"], signal["suggestion"]) == (None, None, None)
    assert signal["suggestion_status"] == "hidden"
    owner = world.client().post("/api/v1/signals", json=body, headers=bearer(world.victim_token))
    assert owner.json()["deal_id"] == world.deal_id


def test_a_signed_signal_with_a_forged_signature_is_refused(world: World) -> None:
    forged = world.client().post(
        "/api/v1/signals",
        content=b'{"kind": "email_reply", "email": "elena.novak@calderrobotics.com"}',
        headers={"X-Engage-Timestamp": "1800000000", "X-Engage-Signature": "sha256=00"},
    )
    assert forged.status_code == 401


def test_admins_reach_the_admin_routes(world: World) -> None:
    listed = world.client().get("/api/v1/admin/users", headers=bearer(world.admin_token))
    assert {u["email"] for u in listed.json()} >= {ADMIN, INTRUDER, world.victim.email}

"""The UI session: cookie flags, CSRF on every form and every POST page, and the cookie alone
not being enough to write through the JSON API."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from agent.services.users import revoke, rotate_token
from tests.security.conftest import ADMIN, World, bearer
from tests.security.test_authz_walk import fills
from tests.security.walk import endpoints

TEMPLATES = Path(__file__).parents[2] / "agent" / "api" / "templates"
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def log_in(world: World, token: str) -> tuple[TestClient, str]:
    client = world.client()
    page = client.post("/login", data={"token": token, "csrf": csrf_of(client.get("/login").text)})
    assert page.status_code == 200
    return client, csrf_of(client.get("/").text)


def test_the_session_cookie_is_httponly_and_strict(world: World) -> None:
    client = world.client()
    cookie = client.get("/login").headers["set-cookie"].lower()
    assert "engage_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" not in cookie


def test_every_post_form_in_the_templates_carries_the_csrf_token() -> None:
    forms = [
        (path.name, form)
        for path in sorted(TEMPLATES.glob("*.html"))
        for form in FORM.findall(path.read_text())
    ]
    posts = [(name, f) for name, f in forms if re.search(r'method="post"', f, re.I)]
    assert len(posts) >= 3
    for name, form in posts:
        assert '<input type="hidden" name="csrf" value="{{ csrf }}">' in form, name
    assert all(re.search(r'method="post"', f, re.I) for _, f in forms), "a GET form"


def test_every_post_page_refuses_a_forged_csrf_token(world: World) -> None:
    """Generated over the app's POST routes outside the API: a logged-in admin, a forged token."""
    client, _ = log_in(world, world.admin_token)
    ids, tried = fills(world), 0
    for endpoint in endpoints(world.app):
        if endpoint.in_schema or endpoint.method != "POST":
            continue
        url = endpoint.path
        for name in endpoint.params:
            url = url.replace("{" + name + "}", ids[name])
        refused = client.post(url, data={"csrf": "forged", "token": world.admin_token})
        assert refused.status_code == 403, endpoint.name
        assert "CSRF" in refused.json()["detail"], endpoint.name
        tried += 1
    assert tried >= 3
    assert client.get("/").status_code == 200, "the forged posts changed nothing"


def test_a_cookie_alone_cannot_write_through_the_api(world: World) -> None:
    client, csrf = log_in(world, world.victim_token)
    url = f"/api/v1/proposals/{world.proposal_ids[0]}/reject"
    assert client.get(f"/api/v1/proposals/{world.proposal_ids[0]}").status_code == 200
    forged = client.post(url, json={"changes": []})
    assert forged.status_code == 403
    assert "X-CSRF-Token" in forged.json()["detail"]
    statuses = {c["status"] for c in client.get(url.removesuffix("/reject")).json()["changes"]}
    assert "pending" in statuses
    allowed = client.post(url, json={"changes": []}, headers={"X-CSRF-Token": csrf})
    assert allowed.status_code == 200


def test_revoking_or_replacing_a_token_ends_open_sessions(world: World) -> None:
    client, _ = log_in(world, world.victim_token)
    with world.rt.db.session() as session:
        rotate_token(session, email=world.victim.email)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert (
        world.client().get("/api/v1/meetings", headers=bearer(world.victim_token)).status_code
        == 401
    )

    admin, _ = log_in(world, world.admin_token)
    with world.rt.db.session() as session:
        revoke(session, ref=ADMIN, now=world.rt.clock.now())
    assert admin.get("/", follow_redirects=False).headers["location"] == "/login"

"""Tokens with expiry and revocation, through the admin API and the `engage users` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.runtime import build_runtime
from agent.services.users import add_user, hash_token
from agent.settings import load_settings
from tests.security.conftest import World, bearer


def test_an_admin_creates_a_user_whose_token_works_until_it_expires(world: World) -> None:
    admin, client = bearer(world.admin_token), world.client()
    created = client.post(
        "/api/v1/admin/users",
        json={
            "email": "Nia+work@Engage-Demo.com",
            "role": "rep",
            "expires_at": "2026-12-01T00:00:00Z",
        },
        headers=admin,
    )
    assert created.status_code == 201
    user, token = created.json()["user"], created.json()["token"]
    assert (user["email"], user["status"]) == ("nia@engage-demo.com", "active")
    listed = client.get("/api/v1/admin/users", headers=admin).json()
    assert token not in json.dumps(listed)
    assert hash_token(token) not in json.dumps(listed)
    assert client.get("/api/v1/meetings", headers=bearer(token)).status_code == 200

    world.rt.clock.advance(days=11)  # type: ignore[attr-defined]
    assert client.get("/api/v1/meetings", headers=bearer(token)).status_code == 401
    expired = client.get(f"/api/v1/admin/users/{user['id']}", headers=admin).json()
    assert expired["status"] == "expired"

    renewed = client.post(
        f"/api/v1/admin/users/{user['id']}/token", json={"expires_at": None}, headers=admin
    )
    fresh = renewed.json()["token"]
    assert renewed.json()["user"]["status"] == "active"
    assert client.get("/api/v1/meetings", headers=bearer(fresh)).status_code == 200
    assert client.get("/api/v1/meetings", headers=bearer(token)).status_code == 401


def test_revoke_and_expiry_through_the_admin_api(world: World) -> None:
    admin, client = bearer(world.admin_token), world.client()
    victim = world.victim.id
    soon = client.put(
        f"/api/v1/admin/users/{victim}/expiry",
        json={"expires_at": "2027-01-01T00:00:00Z"},
        headers=admin,
    )
    assert soon.json()["expires_at"].startswith("2027-01-01")
    past = client.put(
        f"/api/v1/admin/users/{victim}/expiry",
        json={"expires_at": "2020-01-01T00:00:00Z"},
        headers=admin,
    )
    assert (past.status_code, past.json()["detail"]) == (
        422,
        "the expiry is in the past; revoke the user instead",
    )
    revoked = client.post(f"/api/v1/admin/users/{victim}/revoke", headers=admin)
    assert revoked.json()["status"] == "revoked"
    assert client.get("/api/v1/meetings", headers=bearer(world.victim_token)).status_code == 401
    assert client.get("/api/v1/admin/users/usr_nobody", headers=admin).status_code == 404
    duplicate = client.post(
        "/api/v1/admin/users", json={"email": world.victim.email}, headers=admin
    )
    assert duplicate.status_code == 422


def test_only_a_token_shaped_string_is_looked_up(world: World) -> None:
    with world.rt.db.session() as session:
        _, token = add_user(
            session, email="t@engage-demo.com", role="rep", name="", now=world.rt.clock.now()
        )
    client = world.client()
    assert client.get("/api/v1/meetings", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/meetings", headers=bearer(hash_token(token))).status_code == 401


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    return tmp_path / "home"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def works(token: str) -> bool:
    rt = build_runtime(load_settings())
    try:
        from agent.services.users import authenticate

        with rt.db.session() as session:
            return authenticate(session, token=token.strip(), now=rt.clock.now()) is not None
    finally:
        rt.close()


def test_the_users_commands(home: Path) -> None:
    code, first, _ = run("users", "add", "ops@engage-demo.com", "--role", "admin")
    assert code == 0
    assert works(first)
    code, out, _ = run("users", "list", "--json")
    listed = json.loads(out)
    assert [(u["email"], u["role"], u["status"]) for u in listed] == [
        ("ops@engage-demo.com", "admin", "active")
    ]
    assert first.strip() not in out

    code, second, _ = run("users", "token", "ops@engage-demo.com", "--expires", "2999-01-31")
    assert code == 0
    assert works(second)
    assert not works(first)
    code, out, _ = run("users", "list", "--json")
    assert json.loads(out)[0]["expires_at"].startswith("2999-01-31")

    code, out, _ = run("users", "expiry", "ops@engage-demo.com")
    assert json.loads(out)["expires_at"] is None
    code, out, _ = run("users", "revoke", "ops@engage-demo.com")
    assert (code, out.strip()) == (0, "ops@engage-demo.com: revoked")
    assert not works(second)

    code, _, err = run("users", "token", "ops@engage-demo.com", "--expires", "soon")
    assert code == 2
    assert "--expires must be YYYY-MM-DD" in err
    code, _, err = run("users", "revoke", "nobody@engage-demo.com")
    assert code == 4
    assert "no user" in err

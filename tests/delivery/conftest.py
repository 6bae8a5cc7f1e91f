"""Fixtures of the delivery tests: a runtime whose Slack is the fake, the demo seeded, a client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from agent.api.app import create_app
from agent.demo import seed_demo_book
from agent.runtime import Runtime, build_runtime
from agent.settings import Settings
from connectors.delivery import build_delivery_kit
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.support import FrozenClock

REP = "riley@engage-demo.com"
OTHER = "sam@engage-demo.com"
PUBLIC = "https://engage.example.com"

MakeRuntime = Callable[..., Runtime]


def delivery_settings(base: Settings, **extra: Any) -> Settings:
    update: dict[str, Any] = {
        "slack_bot_token": SecretStr(BOT_TOKEN),
        "slack_signing_secret": SecretStr(SIGNING_SECRET),
        "slack_api_base_url": "https://slack.test/api",
        "engage_team_domains": "engage-demo.com",
        "engage_public_url": PUBLIC,
    }
    update.update(extra)
    return base.model_copy(update=update)


@pytest.fixture
def slack() -> FakeSlack:
    fake = FakeSlack()
    fake.add_user("U0RILEY", REP, "Riley Chen")
    fake.add_user("U0SAM", OTHER, "Sam Park")
    fake.add_user("U0GUEST", "guest@elsewhere.example", "A guest")
    return fake


@pytest.fixture
def make_rt(settings: Settings, clock: FrozenClock, slack: FakeSlack) -> Iterator[MakeRuntime]:
    made: list[Runtime] = []

    def build(**extra: Any) -> Runtime:
        configured = delivery_settings(settings, **extra)
        rt = build_runtime(configured, clock=clock)
        rt.delivery = build_delivery_kit(configured, transport=slack.transport)
        made.append(rt)
        return rt

    yield build
    for rt in made:
        rt.close()


@pytest.fixture
def rt(make_rt: MakeRuntime) -> Runtime:
    runtime = make_rt()
    seed_demo_book(runtime)
    return runtime


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def rep_token(rt: Runtime) -> str:
    from agent.services.users import rotate_token

    with rt.db.session() as session:
        return rotate_token(session, email=REP)

"""Fixtures of the webhook and ingestion tests: a runtime wired to the fakes, seeded, a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.demo import seed_demo_book
from agent.runtime import Runtime, build_runtime
from agent.settings import Settings
from connectors.ingestion import build_ingest_kit
from tests.api.webhook_support import ingest_settings
from tests.fakes import zoom as fake_zoom
from tests.support import FrozenClock


@pytest.fixture
def zoom() -> fake_zoom.FakeZoom:
    return fake_zoom.FakeZoom()


@pytest.fixture
def rt(settings: Settings, clock: FrozenClock, zoom: fake_zoom.FakeZoom) -> Iterator[Runtime]:
    configured = ingest_settings(settings)
    runtime = build_runtime(configured, clock=clock)
    runtime.ingest = build_ingest_kit(configured, transport=zoom.transport)
    seed_demo_book(runtime)
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt))

"""Structured logs: JSON lines, each with its request, job and meeting id (null when none)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.db.tables import Proposal
from agent.observability.logging import IDS, configure_logging, request_id_from
from agent.runtime import Runtime
from tests.observability.support import dead_letter_by_outage, seed_scene


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = configure_logging("INFO", stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_line_names_its_request_job_and_meeting(
    runtime: Runtime, log_lines: io.StringIO
) -> None:
    scene = seed_scene(runtime)
    job_id = dead_letter_by_outage(runtime, scene, "northwind")
    client = TestClient(create_app(runtime))
    answer = client.get("/healthz", headers={"X-Request-ID": "req-42"})
    assert answer.headers["x-request-id"] == "req-42"
    fresh = client.get("/healthz").headers["x-request-id"]
    structlog.contextvars.clear_contextvars()  # the approval above bound this thread's meeting
    structlog.get_logger("engage.test").info("native", detail=1)

    lines = parsed(log_lines)
    assert lines
    for line in lines:
        assert set(IDS) <= line.keys()
        assert {"event", "level", "timestamp", "logger"} <= line.keys()
    dead = next(line for line in lines if "dead" in line["event"])
    assert dead["job_id"] == job_id
    with runtime.db.session() as session:
        proposal = session.get(Proposal, scene.proposals["northwind"])
        assert proposal is not None
        assert dead["meeting_id"] == proposal.meeting_id
    assert dead["request_id"] is None
    requests = [line for line in lines if line["event"] == "request"]
    assert [r["request_id"] for r in requests] == ["req-42", fresh]
    assert requests[0]["status"] == 200
    assert requests[0]["path"] == "/healthz"
    assert requests[0]["job_id"] is None
    native = next(line for line in lines if line["event"] == "native")
    assert native["detail"] == 1
    assert native["meeting_id"] is None


def test_a_request_id_that_is_not_a_plain_token_is_replaced() -> None:
    assert request_id_from([(b"x-request-id", b"abc-1.2:3")]) == "abc-1.2:3"
    replaced = request_id_from([(b"x-request-id", b"<script>\nalert(1)")])
    assert len(replaced) == 32
    assert replaced.isalnum()

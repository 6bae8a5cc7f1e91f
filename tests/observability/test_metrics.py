"""`GET /metrics`: the named metrics move where the work happens, and the state is the store's."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from agent.api.app import create_app
from agent.runtime import Runtime
from connectors.zoom import sign
from tests.observability.support import (
    approve_all,
    connector_report,
    dead_letter_by_outage,
    seed_scene,
)
from tests.support import FrozenClock

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    found: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_work_of_a_day_moves_the_metrics(runtime: Runtime, clock: FrozenClock) -> None:
    client = TestClient(create_app(runtime))
    before = scrape(client)
    scene = seed_scene(runtime)
    expires = clock.now() + timedelta(days=3)
    scene.crm.health = lambda: connector_report(  # type: ignore[attr-defined]
        "sandbox", used=300, limit=1000, expires_at=expires
    )
    dead_letter_by_outage(runtime, scene, "northwind")
    clock.advance(minutes=10)
    approve_all(runtime, scene, "brightwave")
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("engage_proposals_created_total", engine="rules") == 2
    assert delta("engage_meeting_to_proposal_seconds_count") == 2
    assert delta("engage_llm_tokens_total", engine="rules", model="rules", kind="prompt") >= 0
    assert delta("engage_llm_latency_seconds_count", engine="rules") == 2
    assert delta("engage_proposal_changes_total", decision="approved") == 6
    assert delta("engage_jobs_total", kind="apply_proposal", event="retried") == 2
    assert delta("engage_jobs_total", kind="apply_proposal", event="dead") == 1
    assert delta("engage_jobs_total", kind="process_meeting", event="done") == 2
    assert (
        delta("engage_crm_changes_total", crm="sandbox", field="contact.title", outcome="applied")
        == 1
    )
    assert delta("engage_approval_to_write_seconds_count", crm="sandbox") == 2
    assert delta("engage_crm_creations_total", crm="sandbox", kind="note") == 1

    assert value(after, "engage_jobs", status="dead") == 1
    assert value(after, "engage_proposals_waiting") == 0
    assert value(after, "engage_crm_seconds_since_last_sync", crm="sandbox") == 0
    assert value(after, "engage_crm_api_quota_remaining", crm="sandbox", quota="daily") == 700
    assert value(after, "engage_crm_api_calls_total", crm="sandbox") == 42
    expiry = value(
        after, "engage_crm_token_expiry_timestamp_seconds", crm="sandbox", refreshable="false"
    )
    assert expiry == expires.timestamp()


def test_webhooks_received_and_rejected_by_source_and_reason(runtime: Runtime) -> None:
    secret = "metrics-secret"
    runtime.settings = runtime.settings.model_copy(
        update={"zoom_webhook_secret_token": None, "graph_client_state": None}
    )
    client = TestClient(create_app(runtime))
    before = scrape(client)
    assert client.post("/webhooks/zoom", content=b"{}").status_code == 503
    runtime.settings = runtime.settings.model_copy(
        update={"zoom_webhook_secret_token": SecretStr(secret)}
    )
    stamp = str(int(runtime.clock.now().timestamp()))
    assert (
        client.post(
            "/webhooks/zoom",
            content=b"{}",
            headers={"x-zm-request-timestamp": stamp, "x-zm-signature": "v0=forged"},
        ).status_code
        == 401
    )
    bad = b"not json"
    signed = {"x-zm-request-timestamp": stamp, "x-zm-signature": sign(secret, stamp, bad)}
    assert client.post("/webhooks/zoom", content=bad, headers=signed).status_code == 422
    hello = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}}
    ).encode()
    signed = {"x-zm-request-timestamp": stamp, "x-zm-signature": sign(secret, stamp, hello)}
    assert client.post("/webhooks/zoom", content=hello, headers=signed).status_code == 200
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("engage_webhooks_rejected_total", source="zoom", reason="unconfigured") == 1
    assert delta("engage_webhooks_rejected_total", source="zoom", reason="bad_signature") == 1
    assert delta("engage_webhooks_rejected_total", source="zoom", reason="bad_request") == 1
    assert delta("engage_webhooks_received_total", source="zoom", status="handshake") == 1


def test_a_metrics_token_keeps_the_scrape_private(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"engage_metrics_token": SecretStr("scrape-me")}
    )
    client = TestClient(create_app(runtime))
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert "ENGAGE_METRICS_TOKEN" in refused.text
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert scrape(client, Authorization="Bearer scrape-me")

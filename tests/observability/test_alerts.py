"""Alerts from the periodic health job: each rule, sent once while it holds, posted to a local
Slack-compatible receiver on 127.0.0.1."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from agent.observability.alerts import run_health_checks
from agent.runtime import Runtime
from tests.observability.support import (
    AlertReceiver,
    approve_all,
    connector_report,
    dead_letter_by_outage,
    seed_scene,
)
from tests.support import FrozenClock


def kinds(found: list[object]) -> set[str]:
    return {str(getattr(a, "key", "")) for a in found}


def test_every_rule_fires_once_and_clears(
    runtime: Runtime, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    scene = seed_scene(runtime)
    token_expiry = clock.now() + timedelta(days=6)
    report = connector_report("sandbox", used=700, limit=1000, expires_at=token_expiry)
    scene.crm.health = lambda: report  # type: ignore[attr-defined]
    dead_letter_by_outage(runtime, scene, "northwind")

    with AlertReceiver() as receiver:
        runtime.settings = runtime.settings.model_copy(
            update={"engage_alert_webhook_url": receiver.url}
        )
        with caplog.at_level(logging.WARNING, logger="engage.alerts"):
            first = run_health_checks(runtime)
        assert kinds(first) == {
            "failure_rate:sandbox",
            "job_failures",
            "token_expiry:sandbox:7d",
            "quota:sandbox:daily",
        }
        assert len(receiver.bodies) == 4
        assert any("4 of 4 CRM writes failed" in t for t in receiver.texts)
        assert any("daily quota at 700/1000 (70%" in t for t in receiver.texts)
        assert not any("interval" in t for t in receiver.texts)
        warnings = [r for r in caplog.records if r.name == "engage.alerts"]
        assert len(warnings) == 4

        assert run_health_checks(runtime) == []
        assert len(receiver.bodies) == 4

        clock.advance(days=5, hours=12)  # past the repeat time: the quota alert is sent again
        later = run_health_checks(runtime)
        assert kinds(later) == {
            "token_expiry:sandbox:1d",
            "sync_stale:sandbox",
            "review_wait:riley@engage-demo.com",
            "quota:sandbox:daily",
        }
        assert any("no successful sync for 30 minutes" in t for t in receiver.texts)
        assert any("waiting for review" in t for t in receiver.texts)

        approve_all(runtime, scene, "brightwave")
        jobs = runtime.job_queue()
        [dead] = [d["id"] for d in jobs.dead_letters()]
        jobs.retry(dead)
        jobs.run(dead)
        report = connector_report("sandbox", used=100, limit=1000, expires_at=None)
        cleared = run_health_checks(runtime)
        assert cleared == []
        assert run_health_checks(runtime) == []

        clock.advance(days=3)
        report = connector_report("sandbox", used=900, limit=1000, expires_at=None)
        again = run_health_checks(runtime)
        assert "quota:sandbox:daily" in kinds(again)
        assert len(receiver.bodies) == 4 + len(later) + len(again)


def test_a_still_active_alert_is_sent_again_after_the_repeat_time(
    runtime: Runtime, clock: FrozenClock
) -> None:
    scene = seed_scene(runtime)
    scene.crm.health = lambda: connector_report(  # type: ignore[attr-defined]
        "sandbox", used=800, limit=1000, expires_at=None
    )
    sent: list[str] = []
    assert kinds(run_health_checks(runtime, post=lambda a: sent.append(a.key))) == {
        "quota:sandbox:daily"
    }
    clock.advance(hours=23)
    run_health_checks(runtime, post=lambda a: sent.append(a.key))
    clock.advance(hours=1)
    run_health_checks(runtime, post=lambda a: sent.append(a.key))
    assert sent == ["quota:sandbox:daily", "quota:sandbox:daily"]


def test_a_failed_webhook_post_is_logged_and_tried_at_the_next_run(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    scene = seed_scene(runtime)
    scene.crm.health = lambda: connector_report(  # type: ignore[attr-defined]
        "sandbox", used=650, limit=1000, expires_at=None
    )
    with AlertReceiver(status=500) as receiver:
        runtime.settings = runtime.settings.model_copy(
            update={"engage_alert_webhook_url": receiver.url}
        )
        assert run_health_checks(runtime) == []
        assert "alert webhook failed" in caplog.text
        receiver.status = 200
        assert kinds(run_health_checks(runtime)) == {"quota:sandbox:daily"}
        assert len(receiver.bodies) == 2


def test_a_refreshable_token_raises_no_expiry_alert(runtime: Runtime, clock: FrozenClock) -> None:
    scene = seed_scene(runtime)
    soon = clock.now() + timedelta(hours=1)
    scene.crm.health = lambda: connector_report(  # type: ignore[attr-defined]
        "sandbox", used=10, limit=1000, expires_at=soon, refreshable=True
    )
    assert run_health_checks(runtime, post=lambda _a: None) == []

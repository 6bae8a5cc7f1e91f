"""The dashboard in a real browser: headless Chromium loads it from a real server on 127.0.0.1,
after the demo's processing and a CRM outage that left a dead letter, and it must draw every chart
with no console error, no uncaught exception and no blocked or failed load."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from agent.api.app import create_app
from agent.observability.alerts import run_health_checks
from agent.runtime import Runtime, build_runtime
from agent.settings import Settings
from tests.observability.chromium import Chromium
from tests.observability.support import approve_all, dead_letter_by_outage, seed_scene
from tests.support import FrozenClock

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    settings = Settings(
        ENGAGE_HOME=tmp_path / "home",
        DATABASE_URL=f"sqlite:///{tmp_path / 'engage.sqlite3'}",
        ENGAGE_ENGINE="rules",
    )
    runtime = build_runtime(settings, clock=FrozenClock())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(runtime), host="127.0.0.1", port=port, log_level="warning", log_config=None
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    yield runtime, base
    server.should_exit = True
    thread.join(timeout=10)
    runtime.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_dashboard_draws_its_charts_without_console_errors(
    served: tuple[Runtime, str], tmp_path: Path
) -> None:
    runtime, base = served
    scene = seed_scene(runtime)
    job_id = dead_letter_by_outage(runtime, scene, "northwind")
    approve_all(runtime, scene, "brightwave")
    run_health_checks(runtime, post=lambda _alert: None)

    browser = Chromium()
    try:
        browser.open_page(f"{base}/admin/health", {"Authorization": f"Bearer {scene.admin_token}"})
        drawn = browser.evaluate(
            """(() => {
                const charts = [...document.querySelectorAll('svg.chart')];
                return {
                    title: document.title,
                    charts: charts.length,
                    visible: charts.filter(c => c.getBoundingClientRect().width > 100).length,
                    bars: document.querySelectorAll('svg.chart rect.bar').length,
                    drawnBars: [...document.querySelectorAll('svg.chart rect.bar')]
                        .filter(b => b.getBBox().height > 0).length,
                    retry: [...document.querySelectorAll('form[action$="/retry"] button')].length,
                    text: document.body.innerText,
                };
            })()"""
        )
        shot = browser.screenshot(tmp_path / "dashboard.png")
    finally:
        browser.close()

    assert browser.problems == []
    assert drawn["title"].startswith("Integration health")
    assert drawn["charts"] == 6
    assert drawn["visible"] == 6
    assert drawn["bars"] == 6 * 7 - 7 + 5
    assert drawn["drawnBars"] == 4  # today's success rate, latency, duplicate rate, conflicts
    assert drawn["retry"] == 1
    assert job_id in drawn["text"]
    assert "503 Service Unavailable" in drawn["text"]
    assert "4 of 6 CRM writes failed in the last hour" in drawn["text"]
    width, height = png_size(shot)
    assert width >= 1000
    assert height > 800

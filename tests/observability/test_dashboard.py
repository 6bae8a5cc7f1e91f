"""The admin dashboard: the five numbers, dead letters with a CSRF-guarded retry, the queue."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.runtime import Runtime
from tests.observability.support import csrf_of, dead_letter_by_outage, seed_scene


def log_in(client: TestClient, token: str) -> None:
    form = client.get("/login")
    answer = client.post("/login", data={"token": token, "csrf": csrf_of(form.text)})
    assert answer.status_code == 200


def test_an_admin_sees_the_outage_and_retries_it(runtime: Runtime) -> None:
    scene = seed_scene(runtime)
    job_id = dead_letter_by_outage(runtime, scene, "northwind")
    client = TestClient(create_app(runtime))
    assert client.get("/admin/health", follow_redirects=False).headers["location"] == "/login"
    log_in(client, scene.admin_token)

    page = client.get("/admin/health")
    assert page.status_code == 200
    html = page.text
    assert "CRM connector: sandbox" in html
    for number in ("Sync success rate", "Event-to-CRM latency", "Duplicate rate"):
        assert number in html
    assert "Overwrite conflicts" in html
    assert "API quota use" in html
    assert "0.0% (0 of 4)" in html
    assert len(re.findall(r'<svg class="chart"', html)) == 6
    assert job_id in html
    assert "503 Service Unavailable (the CRM is down)" in html
    assert f'action="/admin/dead-letters/{job_id}/retry"' in html
    assert scene.rep.email in html

    forged = client.post(f"/admin/dead-letters/{job_id}/retry", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert runtime.job_queue().status(job_id) == "dead"

    retried = client.post(
        f"/admin/dead-letters/{job_id}/retry", data={"csrf": csrf_of(html)}, follow_redirects=False
    )
    assert retried.status_code == 303
    assert runtime.job_queue().status(job_id) == "done"
    after = client.get(retried.headers["location"]).text
    assert f"Job {job_id} was queued again." in after
    assert "No dead letters" in after
    assert "100.0% (4 of 4)" in after


def test_a_rep_may_not_see_the_dashboard_nor_retry(runtime: Runtime) -> None:
    scene = seed_scene(runtime)
    job_id = dead_letter_by_outage(runtime, scene, "northwind")
    client = TestClient(create_app(runtime))
    log_in(client, scene.rep_token)
    assert client.get("/admin/health").status_code == 403
    home = client.get("/").text
    assert "/admin/health" not in home
    refused = client.post(f"/admin/dead-letters/{job_id}/retry", data={"csrf": csrf_of(home)})
    assert refused.status_code == 403
    assert runtime.job_queue().status(job_id) == "dead"

"""The fault drill on Salesforce: 200 proposals while 30% of requests fail (403
REQUEST_LIMIT_EXCEEDED, 500, 503 from the fake; connect and read timeouts on the way)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from agent.domain.models import FieldValueT
from tests.connectors.fault_drill import (
    DRILL_RETRY,
    Target,
    drill_runtime,
    run_drill,
    seed_approved,
)
from tests.fakes.salesforce import FakeSalesforce, harness, seed_wide
from tests.fakes.server import FaultPlan, FlakyTransport

CANONICAL = {"Amount": "deal.amount", "NextStep": "deal.next_step", "Title": "contact.title"}


@pytest.mark.slow
def test_every_approved_change_is_applied_once_or_reported(
    sf_fake: FakeSalesforce, sf_url: str, tmp_path: Path
) -> None:
    pairs = seed_wide(sf_fake.org, 200)
    targets = [Target(d, c, 1000.0 + n, "Manager") for n, (d, c) in enumerate(pairs)]
    seeded = len(sf_fake.org.write_log)
    flaky = FlakyTransport(rate=0.1)
    sf_fake.faults = FaultPlan(rate=0.2)
    crm = harness.connect(
        sf_fake,
        sf_url,
        tmp_path,
        http=httpx.Client(transport=flaky),
        retry=DRILL_RETRY,
    )
    runtime = drill_runtime(crm, tmp_path)

    def value_of(object_id: str, field: str) -> FieldValueT:
        found = sf_fake.org.find(object_id)
        assert found is not None
        return found[1][{v: k for k, v in CANONICAL.items()}[field]]

    def writes_of() -> Counter[tuple[str, str]]:
        return Counter(
            (entry.record_id, CANONICAL[name])
            for entry in sf_fake.org.write_log[seeded:]
            if entry.action == "update"
            for name in entry.fields
            if name in CANONICAL
        )

    def notes_of() -> Counter[str]:
        return Counter(r["ParentId"] for r in sf_fake.org.records["Note"].values())

    try:
        ids = seed_approved(runtime, targets)
        report = run_drill(runtime, ids, value_of=value_of, writes_of=writes_of, notes_of=notes_of)
    finally:
        runtime.close()
    assert report.total == 600
    assert report.applied + len(report.failed) + len(report.dead_jobs) == 600
    assert report.applied >= 570
    assert set(sf_fake.faults.injected) == {"rate_limit", "server_error", "unavailable"}
    assert flaky.lost_before
    assert flaky.lost_after
    tasks = Counter(r["Engage_Key__c"] for r in sf_fake.org.records["Task"].values())
    assert max(tasks.values()) == 1

"""The fault drill on HubSpot: 200 proposals while 30% of requests fail (429 with Retry-After,
500, 503 from the fake; connect and read timeouts on the way)."""

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
from tests.fakes.hubspot import FakeHubSpot, harness, seed_wide
from tests.fakes.server import FaultPlan, FlakyTransport

CANONICAL = {"amount": "deal.amount", "hs_next_step": "deal.next_step", "jobtitle": "contact.title"}


@pytest.mark.slow
def test_every_approved_change_is_applied_once_or_reported(
    hs_fake: FakeHubSpot, hs_url: str, tmp_path: Path
) -> None:
    pairs = seed_wide(hs_fake.portal, 200)
    targets = [Target(d, c, 1000.0 + n, "Manager") for n, (d, c) in enumerate(pairs)]
    flaky = FlakyTransport(rate=0.1)
    hs_fake.faults = FaultPlan(rate=0.2)
    crm = harness.connect(
        hs_url,
        tmp_path,
        http=httpx.Client(transport=flaky),
        retry=DRILL_RETRY,
    )
    runtime = drill_runtime(crm, tmp_path)
    props = {v: k for k, v in CANONICAL.items()}

    def value_of(object_id: str, field: str) -> FieldValueT:
        kind = "contacts" if field.startswith("contact.") else "deals"
        raw = hs_fake.portal.objects[kind][object_id]["properties"][props[field]]
        return float(raw) if field == "deal.amount" else raw

    def writes_of() -> Counter[tuple[str, str]]:
        return Counter(
            (object_id, CANONICAL[name])
            for action, _kind, object_id, changed in hs_fake.portal.write_log
            if action == "update"
            for name in changed
            if name in CANONICAL
        )

    def notes_of() -> Counter[str]:
        return Counter(
            to_id
            for kind, _id, to_kind, to_id, _type, _label in hs_fake.portal.associations
            if kind == "notes" and to_kind == "deals"
        )

    try:
        ids = seed_approved(runtime, targets)
        report = run_drill(runtime, ids, value_of=value_of, writes_of=writes_of, notes_of=notes_of)
    finally:
        runtime.close()
    assert report.total == 600
    assert report.applied >= 570
    assert set(hs_fake.faults.injected) == {"rate_limit", "server_error", "unavailable"}
    assert flaky.lost_before
    assert flaky.lost_after
    keys = Counter(
        t["properties"].get("engage_key") for t in hs_fake.portal.objects["tasks"].values()
    )
    assert max(keys.values()) == 1

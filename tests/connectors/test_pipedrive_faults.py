"""The fault drill on Pipedrive: 200 proposals while 30% of requests fail (429, 500, 503 from the
fake; connect and read timeouts on the way)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

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
from tests.fakes.pipedrive import FakePipedrive, harness, seed_wide
from tests.fakes.server import FaultPlan, FlakyTransport


def _changed(values: dict[str, Any]) -> list[str]:
    found = [{"value": "deal.amount", "job_title": "contact.title"}.get(k) for k in values]
    if "engage_next_step" in (values.get("custom_fields") or {}):
        found.append("deal.next_step")
    return [f for f in found if f]


@pytest.mark.slow
def test_every_approved_change_is_applied_once_or_reported(
    pd_fake: FakePipedrive, pd_url: str, tmp_path: Path
) -> None:
    pairs = seed_wide(pd_fake.account, 200)
    targets = [Target(d, c, 1000.0 + n, "Manager") for n, (d, c) in enumerate(pairs)]
    flaky = FlakyTransport(rate=0.1)
    pd_fake.faults = FaultPlan(rate=0.2)
    crm = harness.connect(
        pd_fake,
        pd_url,
        tmp_path,
        http=httpx.Client(transport=flaky),
        retry=DRILL_RETRY,
    )
    runtime = drill_runtime(crm, tmp_path)

    def value_of(object_id: str, field: str) -> FieldValueT:
        if field == "contact.title":
            return pd_fake.account.rows["persons"][int(object_id)]["job_title"]
        deal = pd_fake.account.rows["deals"][int(object_id)]
        return (
            deal["value"] if field == "deal.amount" else deal["custom_fields"]["engage_next_step"]
        )

    def writes_of() -> Counter[tuple[str, str]]:
        return Counter(
            (str(row_id), field)
            for action, _kind, row_id, values in pd_fake.account.write_log
            if action == "update"
            for field in _changed(values)
        )

    def notes_of() -> Counter[str]:
        return Counter(str(n["deal_id"]) for n in pd_fake.account.live("notes"))

    try:
        ids = seed_approved(runtime, targets)
        report = run_drill(runtime, ids, value_of=value_of, writes_of=writes_of, notes_of=notes_of)
    finally:
        runtime.close()
    assert report.total == 600
    assert report.applied >= 570
    assert set(pd_fake.faults.injected) == {"rate_limit", "server_error", "unavailable"}
    assert flaky.lost_before
    assert flaky.lost_after
    tasks = Counter((a["deal_id"], a["subject"]) for a in pd_fake.account.live("activities"))
    assert max(tasks.values()) == 1

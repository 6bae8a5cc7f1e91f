"""API calls per applied proposal and per brief, for each hosted-CRM connector, against its fake.

Each connector talks HTTP to its fake on 127.0.0.1. A proposal here changes two records (two
fields on the deal, one on a contact) and adds one note and one task, applied through the real
apply service and job queue. The goal is at most two calls per record: one re-read for the
conflict check and one write, whatever the number of fields.

    .venv/bin/python benchmarks/crm_calls.py [--proposals 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.domain.models import FieldRef, ObjectType, RecordWrite  # noqa: E402
from agent.runtime import build_runtime  # noqa: E402
from agent.settings import Settings  # noqa: E402
from tests.connectors.fault_drill import Target, seed_approved  # noqa: E402
from tests.fakes import hubspot, pipedrive, salesforce  # noqa: E402
from tests.support import FrozenClock  # noqa: E402


def _salesforce(home: Path, count: int) -> Iterator[tuple[Any, list[tuple[str, str]]]]:
    fake = salesforce.FakeSalesforce()
    with salesforce.running_salesforce(fake) as url:
        pairs = salesforce.seed_wide(fake.org, count)
        yield salesforce.harness.connect(fake, url, home), pairs


def _hubspot(home: Path, count: int) -> Iterator[tuple[Any, list[tuple[str, str]]]]:
    fake = hubspot.FakeHubSpot()
    with hubspot.running_hubspot(fake) as url:
        pairs = hubspot.seed_wide(fake.portal, count)
        yield hubspot.harness.connect(url, home), pairs


def _pipedrive(home: Path, count: int) -> Iterator[tuple[Any, list[tuple[str, str]]]]:
    fake = pipedrive.FakePipedrive()
    with pipedrive.running_pipedrive(fake) as url:
        pairs = pipedrive.seed_wide(fake.account, count)
        yield pipedrive.harness.connect(fake, url, home), pairs


def _record_calls(crm: Any, deal_id: str) -> int:
    """Calls for one record as the apply service makes them: re-read, then one write."""
    crm.api.stats.reset()
    refs = [
        FieldRef(object_type=ObjectType.DEAL, object_id=deal_id, field=f)
        for f in ("deal.amount", "deal.next_step", "deal.close_date")
    ]
    version = crm.read_values(refs)[0].version
    values = {"amount": 4321.0, "next_step": "Benchmark", "close_date": "2027-02-28"}
    write = RecordWrite(
        object_type=ObjectType.DEAL, object_id=deal_id, values=values, expected_version=version
    )
    assert crm.write_record(write).ok
    return int(crm.api.stats.requests)


def measure(setup: Callable[..., Iterator[Any]], count: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        contextmanager(setup)(Path(tmp), count + 3) as (
            crm,
            pairs,
        ),
    ):
        crm.api.stats.reset()
        crm.read_context(pairs[0][0])
        cold_brief = crm.api.stats.requests
        crm.api.stats.reset()
        crm.read_context(pairs[1][0])
        warm_brief = crm.api.stats.requests
        per_record = _record_calls(crm, pairs[2][0])
        settings = Settings(
            ENGAGE_HOME=Path(tmp) / "home",
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'engage.sqlite3'}",
            ENGAGE_ENGINE="rules",
        )
        runtime = build_runtime(settings, clock=FrozenClock(), crm=crm)
        targets = [
            Target(d, c, float(crm.get_record(ObjectType.DEAL, d)["amount"]), "Manager")
            for d, c in pairs[3:]
        ]
        ids = seed_approved(runtime, targets)
        jobs = runtime.job_queue(sleep=lambda _s: None)
        crm.api.stats.reset()
        for proposal_id in ids:
            jobs.run(jobs.enqueue("apply_proposal", {"proposal_id": proposal_id}))
        per_proposal = crm.api.stats.requests / len(ids)
        runtime.close()
    return {
        "brief (cold)": cold_brief,
        "brief (warm)": warm_brief,
        "per record": per_record,
        "per proposal": per_proposal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=20)
    args = parser.parse_args()
    print(
        f"{'connector':<12}{'brief (cold)':>14}{'brief (warm)':>14}{'per record':>12}"
        f"{'per proposal':>14}"
    )
    for name, setup in (
        ("salesforce", _salesforce),
        ("hubspot", _hubspot),
        ("pipedrive", _pipedrive),
    ):
        figures = measure(setup, max(args.proposals, 1))
        print(
            f"{name:<12}{figures['brief (cold)']:>14.0f}{figures['brief (warm)']:>14.0f}"
            f"{figures['per record']:>12.0f}{figures['per proposal']:>14.1f}"
        )
    print("per record: the apply service's re-read plus the write of three fields")
    print("per proposal: two records (deal: amount, next step; contact: title), one note, one task")
    print("brief (cold) includes the stage picklist / pipeline read, cached per connector after")


if __name__ == "__main__":
    main()

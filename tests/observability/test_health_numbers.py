"""The five health numbers per connector, over the last day and week, from real apply runs."""

from __future__ import annotations

import pytest

from agent.domain.models import ObjectType
from agent.observability import events
from agent.observability.alerts import is_daily_quota
from agent.observability.collector import record_quota
from agent.observability.health import connector_health, percentile, waiting_for_review
from agent.runtime import Runtime
from agent.services import proposals as proposal_service
from tests.observability.support import (
    approve_all,
    connector_report,
    dead_letter_by_outage,
    seed_scene,
)
from tests.support import FrozenClock


def test_outage_conflict_and_duplicates_show_in_the_numbers(
    runtime: Runtime, clock: FrozenClock
) -> None:
    scene = seed_scene(runtime)
    dead_letter_by_outage(runtime, scene, "northwind")
    clock.advance(hours=1)
    with runtime.db.session() as session:
        brightwave = proposal_service.get_proposal(session, scene.proposals["brightwave"], None)
    scene.crm.update_as_person(
        ObjectType.DEAL, brightwave.deal_id, {"close_date": "2027-04-30"}, who="dana@crm"
    )
    approve_all(runtime, scene, "brightwave")
    again = runtime.job_queue()
    again.run(again.enqueue("apply_proposal", {"proposal_id": brightwave.id}))
    events.flush(runtime.db, runtime.clock)

    with runtime.db.session() as session:
        [sandbox] = connector_health(session, now=clock.now(), connectors=["sandbox"])
    day = sandbox.day
    assert (day.writes_ok, day.writes_failed, day.conflicts) == (1, 4, 1)
    assert day.sync_success_rate == pytest.approx(0.2)
    assert day.conflict_rate == pytest.approx(1 / 6)
    steps = len(brightwave.next_steps)
    assert (day.creations, day.duplicates) == (1 + steps, 1 + steps)
    assert day.duplicate_rate == pytest.approx(0.5)
    meeting_end_to_write = day.latency_p50_s
    assert meeting_end_to_write is not None
    assert meeting_end_to_write > 3600
    assert day.quota_peak is None
    assert sandbox.last_sync_at == clock.now()
    assert [n.writes_failed for _, n in sandbox.daily] == [0, 0, 0, 0, 0, 0, 4]

    clock.advance(days=2)
    with runtime.db.session() as session:
        [later] = connector_health(session, now=clock.now(), connectors=["sandbox"])
    assert later.day.sync_success_rate is None
    assert later.week.sync_success_rate == pytest.approx(0.2)
    assert later.week.duplicate_rate == pytest.approx(0.5)


def test_quota_use_is_the_peak_of_the_daily_quota_samples(
    runtime: Runtime, clock: FrozenClock
) -> None:
    class Hosted:
        system = "hubspot"

        def __init__(self, used: int) -> None:
            self.used = used

        def health(self) -> object:
            return connector_report("hubspot", used=self.used, limit=1000, expires_at=None)

    for used in (200, 650, 300):
        assert record_quota(runtime.db, Hosted(used), clock.now(), keep=is_daily_quota) == 1
        clock.advance(hours=3)
    with runtime.db.session() as session:
        report = connector_health(session, now=clock.now(), connectors=["sandbox"])
    by_crm = {c.crm: c for c in report}
    assert set(by_crm) == {"hubspot", "sandbox"}
    assert by_crm["hubspot"].day.quota_peak == pytest.approx(0.65)
    assert by_crm["sandbox"].week.quota_peak is None


def test_waiting_for_review_by_rep_and_age(runtime: Runtime, clock: FrozenClock) -> None:
    scene = seed_scene(runtime)
    clock.advance(hours=30)
    approve_all(runtime, scene, "northwind")
    with runtime.db.session() as session:
        [queue] = waiting_for_review(session, now=clock.now())
    assert queue.rep_email == scene.rep.email
    assert queue.count == 1
    assert queue.oldest_s == 30 * 3600
    assert queue.by_age["1–2 days"] == 1
    assert sum(queue.by_age.values()) == 1


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0

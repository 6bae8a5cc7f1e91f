"""The five health numbers per CRM connector, over the last day and the last week, from the store.

- **sync success rate**: approved changes written, over those written or failed (a change left on
  a dead apply job counts as failed until an admin retries it);
- **event-to-CRM latency**: from the meeting's end to the change's write (median and p95);
- **duplicate rate**: notes and tasks the CRM already had by their idempotency key, over all the
  creations asked for (Engage's keys turn each would-be duplicate into a lookup);
- **overwrite conflicts**: changes that found a newer value in the CRM and were not written;
- **API quota use**: the highest share of a vendor quota seen in the window (sampled from the
  connector's usage headers by the periodic health job).

Everything is read from rows (changes, jobs, `health_events`), so any process sees the same
numbers; the sandbox CRM has no quota, and a number with nothing to count is `None` ("no data").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from agent.db.tables import HealthEvent, Job, Meeting, Proposal, ProposedChangeRow, User
from agent.observability.events import CREATED, DUPLICATE, QUOTA

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
CRM_JOBS = ("apply_proposal", "process_meeting")
"""Jobs that always talk to the CRM and only finish when it answered: their success is a
successful sync (a brief-preparing tick with no meeting due reads nothing, so it does not count)."""
AGE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("< 4 h", timedelta(hours=4)),
    ("4–24 h", DAY),
    ("1–2 days", 2 * DAY),
    ("2–7 days", WEEK),
    ("> 7 days", timedelta.max),
)


@dataclass(frozen=True, kw_only=True)
class Fact:
    crm: str
    at: datetime
    kind: str
    """`ok`, `failed`, `conflict`, `created`, `duplicate_prevented` or `quota`."""
    value: float = 0.0
    """Seconds from meeting end to write for `ok`; the fraction of a quota used for `quota`."""


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True, kw_only=True)
class HealthNumbers:
    writes_ok: int = 0
    writes_failed: int = 0
    conflicts: int = 0
    creations: int = 0
    duplicates: int = 0
    latencies_s: tuple[float, ...] = ()
    quota_peak: float | None = None

    @property
    def sync_success_rate(self) -> float | None:
        attempts = self.writes_ok + self.writes_failed
        return self.writes_ok / attempts if attempts else None

    @property
    def failure_rate(self) -> float | None:
        rate = self.sync_success_rate
        return None if rate is None else 1.0 - rate

    @property
    def latency_p50_s(self) -> float | None:
        return percentile(self.latencies_s, 0.5)

    @property
    def latency_p95_s(self) -> float | None:
        return percentile(self.latencies_s, 0.95)

    @property
    def duplicate_rate(self) -> float | None:
        asked = self.creations + self.duplicates
        return self.duplicates / asked if asked else None

    @property
    def conflict_rate(self) -> float | None:
        decided = self.writes_ok + self.writes_failed + self.conflicts
        return self.conflicts / decided if decided else None


def summarize(facts: Iterable[Fact]) -> HealthNumbers:
    counts: dict[str, int] = defaultdict(int)
    latencies: list[float] = []
    quota: float | None = None
    for fact in facts:
        counts[fact.kind] += 1
        if fact.kind == "ok":
            latencies.append(fact.value)
        elif fact.kind == QUOTA:
            quota = fact.value if quota is None else max(quota, fact.value)
    return HealthNumbers(
        writes_ok=counts["ok"],
        writes_failed=counts["failed"],
        conflicts=counts["conflict"],
        creations=counts[CREATED],
        duplicates=counts[DUPLICATE],
        latencies_s=tuple(latencies),
        quota_peak=quota,
    )


@dataclass(frozen=True, kw_only=True)
class ConnectorHealth:
    crm: str
    day: HealthNumbers
    week: HealthNumbers
    daily: tuple[tuple[datetime, HealthNumbers], ...]
    """The week day by day, oldest first, each with the end of its 24 hours (the last one ends
    now)."""
    last_sync_at: datetime | None = None


def _change_facts(session: Session, since: datetime) -> list[Fact]:
    rows = session.execute(
        select(
            ProposedChangeRow.status,
            ProposedChangeRow.applied_at,
            ProposedChangeRow.decided_at,
            Meeting.crm_system,
            Meeting.start_at,
            Meeting.end_at,
        )
        .join(Proposal, Proposal.id == ProposedChangeRow.proposal_id)
        .join(Meeting, Meeting.id == Proposal.meeting_id)
        .where(
            ProposedChangeRow.status.in_(("applied", "failed", "conflict")),
            or_(ProposedChangeRow.applied_at >= since, ProposedChangeRow.decided_at >= since),
        )
    )
    facts = []
    for status, applied_at, decided_at, crm, start_at, end_at in rows:
        at = applied_at if status == "applied" else decided_at
        if at is None or at < since:
            continue
        kind = "ok" if status == "applied" else status
        value = (at - (end_at or start_at)).total_seconds() if kind == "ok" else 0.0
        facts.append(Fact(crm=crm, at=at, kind=kind, value=max(value, 0.0)))
    return facts


def _stuck_facts(session: Session, since: datetime) -> list[Fact]:
    """Approved changes whose apply job is a dead letter: failed, as far as the CRM is concerned."""
    dead = session.execute(
        select(Job.payload, Job.updated_at).where(
            Job.kind == "apply_proposal", Job.status == "dead", Job.updated_at >= since
        )
    ).all()
    when = {str(p.get("proposal_id")): at for p, at in dead if isinstance(p, dict)}
    if not when:
        return []
    rows = session.execute(
        select(ProposedChangeRow.proposal_id, Meeting.crm_system)
        .join(Proposal, Proposal.id == ProposedChangeRow.proposal_id)
        .join(Meeting, Meeting.id == Proposal.meeting_id)
        .where(
            ProposedChangeRow.proposal_id.in_(list(when)),
            ProposedChangeRow.status.in_(("approved", "edited")),
        )
    )
    return [Fact(crm=crm, at=when[pid], kind="failed") for pid, crm in rows]


def _event_facts(session: Session, since: datetime) -> list[Fact]:
    rows = session.scalars(select(HealthEvent).where(HealthEvent.at >= since))
    facts = []
    for row in rows:
        if row.kind == QUOTA:
            share = row.amount / row.limit if row.limit else 0.0
            facts.append(Fact(crm=row.crm, at=row.at, kind=QUOTA, value=share))
        else:
            facts.append(Fact(crm=row.crm, at=row.at, kind=row.kind))
    return facts


def collect_facts(session: Session, since: datetime) -> list[Fact]:
    return [
        *_change_facts(session, since),
        *_stuck_facts(session, since),
        *_event_facts(session, since),
    ]


def connector_health(
    session: Session, *, now: datetime, connectors: Iterable[str] = ()
) -> list[ConnectorHealth]:
    """Each connector with data this week (and each one named), day, week and day by day."""
    facts = collect_facts(session, now - WEEK)
    by_crm: dict[str, list[Fact]] = {name: [] for name in connectors}
    for fact in facts:
        by_crm.setdefault(fact.crm, []).append(fact)
    result = []
    for crm, mine in sorted(by_crm.items()):
        ends = [now - DAY * (6 - i) for i in range(7)]
        daily = tuple((end, summarize(f for f in mine if end - DAY < f.at <= end)) for end in ends)
        result.append(
            ConnectorHealth(
                crm=crm,
                day=summarize(f for f in mine if f.at > now - DAY),
                week=summarize(mine),
                daily=daily,
                last_sync_at=last_successful_sync(session, crm),
            )
        )
    return result


def last_successful_sync(session: Session, crm: str) -> datetime | None:
    """The newest CRM write of this connector, or the newest job that needed the CRM and
    finished (jobs run against the process's one connector, so they count for any)."""
    written = session.scalar(
        select(func.max(ProposedChangeRow.applied_at))
        .join(Proposal, Proposal.id == ProposedChangeRow.proposal_id)
        .join(Meeting, Meeting.id == Proposal.meeting_id)
        .where(Meeting.crm_system == crm)
    )
    finished = session.scalar(
        select(func.max(Job.updated_at)).where(Job.kind.in_(CRM_JOBS), Job.status == "done")
    )
    found = [t for t in (written, finished) if t is not None]
    return max(found) if found else None


@dataclass(kw_only=True)
class RepQueue:
    rep_email: str
    count: int = 0
    oldest_s: float = 0.0
    by_age: dict[str, int] = field(default_factory=dict)


def age_bucket(age: timedelta) -> str:
    for label, upper in AGE_BUCKETS:
        if age < upper:
            return label
    return AGE_BUCKETS[-1][0]


def waiting_for_review(session: Session, *, now: datetime) -> list[RepQueue]:
    """Pending proposals per rep, with their ages in buckets; the longest queue first."""
    rows = session.execute(
        select(User.email, Proposal.created_at)
        .join(Meeting, Meeting.id == Proposal.meeting_id)
        .join(User, User.id == Meeting.rep_id)
        .where(Proposal.status == "pending")
    )
    reps: dict[str, RepQueue] = {}
    for email, created_at in rows:
        queue = reps.setdefault(
            email, RepQueue(rep_email=email, by_age={label: 0 for label, _ in AGE_BUCKETS})
        )
        age = now - created_at
        queue.count += 1
        queue.oldest_s = max(queue.oldest_s, age.total_seconds())
        queue.by_age[age_bucket(age)] += 1
    return sorted(reps.values(), key=lambda q: (-q.count, -q.oldest_s, q.rep_email))


def meetings_expected(session: Session, *, now: datetime, within: timedelta) -> bool:
    """Should the CRM have been used lately? A meeting ended (or was under way) in the window,
    an approved change waits to be written, or a job that needs the CRM waits to run."""
    ended = session.scalar(
        select(func.count())
        .select_from(Meeting)
        .where(
            or_(
                Meeting.end_at.between(now - within, now),
                Meeting.start_at.between(now - within, now),
            )
        )
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(ProposedChangeRow)
        .where(ProposedChangeRow.status.in_(("approved", "edited")))
    )
    queued = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.kind.in_(CRM_JOBS), Job.status.in_(("queued", "running")))
    )
    return bool(ended or waiting or queued)


def job_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {str(status): int(count) for status, count in rows}


def job_failure_rate(session: Session, *, since: datetime) -> tuple[int, int]:
    """(dead, finished) jobs whose last change is in the window."""
    rows = session.execute(
        select(Job.status, func.count())
        .where(Job.updated_at >= since, Job.status.in_(("done", "dead")))
        .group_by(Job.status)
    )
    counts: dict[str, Any] = {str(status): count for status, count in rows}
    dead = int(counts.get("dead", 0))
    return dead, dead + int(counts.get("done", 0))

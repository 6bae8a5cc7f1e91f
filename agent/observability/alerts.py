"""Alerts: conditions a person should act on, computed by a periodic job and sent once each.

Rules (thresholds from settings, README "Integration health"):

- `failure_rate`: more than `ENGAGE_ALERT_FAILURE_RATE` (1 %) of a connector's CRM writes failed
  in the last hour; `job_failures`: the same share of jobs ended as dead letters;
- `sync_stale`: no successful sync for `ENGAGE_ALERT_SYNC_STALE_MINUTES` (30) while meetings are
  expected (one ended or was under way in that time, or work for the CRM is waiting);
- `token_expiry`: a token Engage cannot refresh expires within 7 days, and again within 1 day
  (each threshold is its own alert, so both are sent);
- `quota`: a daily API quota above `ENGAGE_ALERT_QUOTA_FRACTION` (60 %) of its limit;
- `review_wait`: a rep's proposal has waited longer than `ENGAGE_ALERT_REVIEW_HOURS`.

Each alert has a key; while its condition holds it is sent once (again after
`ENGAGE_ALERT_REPEAT_HOURS`), and when the condition clears its row is closed, so a recurrence is
news again. Sending is a WARNING log line and, with `ENGAGE_ALERT_WEBHOOK_URL`, a Slack-compatible
POST (`{"text": …}`); a failed POST is logged and tried again at the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agent.db.engine import Database
from agent.db.tables import AlertRow, HealthEvent
from agent.observability import events, metrics
from agent.observability.collector import crm_health, record_quota
from agent.observability.health import (
    Fact,
    collect_facts,
    job_failure_rate,
    last_successful_sync,
    meetings_expected,
    summarize,
    waiting_for_review,
)
from agent.settings import Settings

if TYPE_CHECKING:
    from agent.runtime import Runtime
    from connectors.common.usage import CrmHealth

log = logging.getLogger("engage.alerts")

TOKEN_WARNINGS = (timedelta(days=1), timedelta(days=7))
"""Checked shortest first: a token a day from expiry raises the 1-day alert."""
KEEP_EVENTS = timedelta(days=35)


@dataclass(frozen=True, kw_only=True)
class Alert:
    key: str
    kind: str
    message: str
    crm: str | None = None


def is_daily_quota(name: str) -> bool:
    """Salesforce's `api-usage` and HubSpot's `daily`; burst windows (per 2 or 10 s) refill at
    once and are the retry policy's business, not a person's."""
    return name.startswith(("api-usage", "daily"))


def _rate_alerts(session: Session, now: datetime, threshold: float) -> list[Alert]:
    hour_ago = now - timedelta(hours=1)
    found = []
    by_crm: dict[str, list[Fact]] = {}
    for fact in collect_facts(session, hour_ago):
        by_crm.setdefault(fact.crm, []).append(fact)
    for crm, facts in sorted(by_crm.items()):
        numbers = summarize(facts)
        rate = numbers.failure_rate
        if rate is not None and rate > threshold:
            attempts = numbers.writes_ok + numbers.writes_failed
            found.append(
                Alert(
                    key=f"failure_rate:{crm}",
                    kind="failure_rate",
                    crm=crm,
                    message=f"{crm}: {numbers.writes_failed} of {attempts} CRM writes failed in"
                    f" the last hour ({rate:.1%}, above {threshold:.0%})",
                )
            )
    dead, finished = job_failure_rate(session, since=hour_ago)
    if finished and dead / finished > threshold:
        found.append(
            Alert(
                key="job_failures",
                kind="job_failures",
                message=f"{dead} of {finished} jobs ended as dead letters in the last hour"
                f" ({dead / finished:.1%}, above {threshold:.0%}); see the dashboard",
            )
        )
    return found


def _stale_alert(session: Session, now: datetime, crm: str, minutes: int) -> list[Alert]:
    window = timedelta(minutes=minutes)
    last = last_successful_sync(session, crm)
    if last is not None and now - last <= window:
        return []
    if not meetings_expected(session, now=now, within=window):
        return []
    since = "never" if last is None else f"not since {last:%Y-%m-%d %H:%M} UTC"
    return [
        Alert(
            key=f"sync_stale:{crm}",
            kind="sync_stale",
            crm=crm,
            message=f"{crm}: no successful sync for {minutes} minutes ({since}) while meetings"
            " are expected",
        )
    ]


def _connector_alerts(health: CrmHealth | None, now: datetime, quota: float) -> list[Alert]:
    if health is None:
        return []
    found = []
    expires = health.token_expires_at
    if expires is not None and not health.token_refreshable:
        for warning in TOKEN_WARNINGS:
            if expires - now <= warning:
                days = warning.days
                left = "has expired" if expires <= now else f"expires {expires:%Y-%m-%d %H:%M} UTC"
                found.append(
                    Alert(
                        key=f"token_expiry:{health.system}:{days}d",
                        kind="token_expiry",
                        crm=health.system,
                        message=f"{health.system}: the access token {left} (within {days}"
                        f" day{'s' if days > 1 else ''}); issue a new one",
                    )
                )
                break
    for usage in health.usage:
        if is_daily_quota(usage.name) and usage.fraction_used > quota:
            found.append(
                Alert(
                    key=f"quota:{health.system}:{usage.name}",
                    kind="quota",
                    crm=health.system,
                    message=f"{health.system}: {usage.name} quota at {usage.used}/{usage.limit}"
                    f" ({usage.fraction_used:.0%}, above {quota:.0%})",
                )
            )
    return found


def _review_alerts(session: Session, now: datetime, hours: float) -> list[Alert]:
    found = []
    limit = timedelta(hours=hours)
    for queue in waiting_for_review(session, now=now):
        if queue.oldest_s > limit.total_seconds():
            found.append(
                Alert(
                    key=f"review_wait:{queue.rep_email}",
                    kind="review_wait",
                    message=f"{queue.rep_email} has {queue.count} proposal(s) waiting for review,"
                    f" the oldest for {queue.oldest_s / 3600:.0f} h (limit {hours:g} h)",
                )
            )
    return found


def evaluate(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    crm: str,
    health: CrmHealth | None,
) -> list[Alert]:
    return [
        *_rate_alerts(session, now, settings.engage_alert_failure_rate),
        *_stale_alert(session, now, crm, settings.engage_alert_sync_stale_minutes),
        *_connector_alerts(health, now, settings.engage_alert_quota_fraction),
        *_review_alerts(session, now, settings.engage_alert_review_hours),
    ]


Poster = Callable[[Alert], None]


def webhook_poster(url: str, *, timeout_s: float = 10.0) -> Poster:
    def post(alert: Alert) -> None:
        response = httpx.post(
            url, json={"text": f"Engage alert: {alert.message}"}, timeout=timeout_s
        )
        response.raise_for_status()

    return post


def _due(
    session: Session, alerts: Iterable[Alert], now: datetime, repeat: timedelta
) -> list[Alert]:
    """Record every alert that holds, close those that no longer do; returns those to send."""
    current = {a.key: a for a in alerts}
    due = []
    for held in session.scalars(select(AlertRow).where(AlertRow.cleared_at.is_(None))):
        if held.key not in current:
            held.cleared_at = now
            log.info("alert cleared", extra={"alert": held.key})
    for key, alert in current.items():
        found = session.get(AlertRow, key)
        row = found or AlertRow(key=key, kind=alert.kind, crm=alert.crm, first_at=now)
        if found is None:
            session.add(row)
        elif row.cleared_at is not None:
            row.cleared_at, row.first_at, row.sent_at = None, now, None
        row.message, row.last_seen_at = alert.message, now
        if row.sent_at is None or now - row.sent_at >= repeat:
            due.append(alert)
    return due


def notify(
    db: Database, alerts: list[Alert], *, now: datetime, repeat: timedelta, post: Poster | None
) -> list[Alert]:
    """Log and post the alerts that are due; returns those sent."""
    with db.session() as session:
        due = _due(session, alerts, now, repeat)
    sent = []
    for alert in due:
        log.warning(alert.message, extra={"alert": alert.key, "kind": alert.kind, "crm": alert.crm})
        if post is not None:
            try:
                post(alert)
            except httpx.HTTPError as exc:
                log.error("alert webhook failed: %s", exc, extra={"alert": alert.key})
                continue
        metrics.ALERTS_SENT.labels(kind=alert.kind).inc()
        sent.append(alert)
    if sent:
        with db.session() as session:
            for alert in sent:
                row = session.get(AlertRow, alert.key)
                if row is not None:
                    row.sent_at = now
    return sent


def active_alerts(session: Session) -> list[AlertRow]:
    return list(
        session.scalars(
            select(AlertRow).where(AlertRow.cleared_at.is_(None)).order_by(AlertRow.first_at)
        )
    )


def run_health_checks(rt: Runtime, *, post: Poster | None = None) -> list[Alert]:
    """The periodic job: keep connector facts, sample quotas, raise and clear alerts."""
    now = rt.clock.now()
    events.flush(rt.db, rt.clock)
    health = crm_health(rt.crm)
    if health is not None and any(is_daily_quota(u.name) for u in health.usage):
        record_quota(rt.db, rt.crm, now, keep=is_daily_quota)
    with rt.db.session() as session:
        found = evaluate(session, now=now, settings=rt.settings, crm=rt.crm.system, health=health)
        session.execute(delete(HealthEvent).where(HealthEvent.at < now - KEEP_EVENTS))
    url = rt.settings.engage_alert_webhook_url
    poster = post or (webhook_poster(url) if url else None)
    repeat = timedelta(hours=rt.settings.engage_alert_repeat_hours)
    return notify(rt.db, found, now=now, repeat=repeat, post=poster)

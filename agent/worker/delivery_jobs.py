"""Jobs around extraction: the gate before it (one call, one meeting; recording consent), the
shadow stamp after it, and the messages to reps (Slack, email).

`process_meeting` runs the gate and the extraction in one unit of work, so the merge decision and
the proposal it allows are committed together; messages are queued after that commit, as jobs of
their own, so a Slack outage never fails an extraction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from agent.domain.redact import parse_kinds
from agent.errors import ConfigError
from agent.services import consent, merge, shadow
from agent.services.brief import ReadOnlyCrm
from agent.services.consent import ConsentPolicy
from agent.services.notify import Notifier
from agent.services.shadow import ShadowScope
from agent.settings import comma_set

if TYPE_CHECKING:
    from agent.runtime import Runtime

SHADOW_DEFAULT_DAYS = 30


def consent_policy(rt: Runtime) -> ConsentPolicy:
    settings = rt.settings
    return ConsentPolicy(
        mode=settings.engage_consent_mode,
        team_domains=settings.team_domains,
        agreed_domains=comma_set(settings.engage_consent_domains),
        announcing_sources=comma_set(settings.engage_consent_sources),
    )


def shadow_scope(rt: Runtime) -> ShadowScope:
    return ShadowScope(crms=rt.settings.shadow_crms, teams=rt.settings.shadow_teams)


def start_of(day: date | None) -> datetime | None:
    """A day as its first moment, UTC."""
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


def redaction_kinds(rt: Runtime) -> frozenset[str]:
    try:
        return parse_kinds(rt.settings.engage_redact)
    except ValueError as exc:
        raise ConfigError(f"bad setting ENGAGE_REDACT: {exc}") from None


def shadow_report(rt: Runtime, since: date | None) -> shadow.ShadowReport:
    """The report over shadow proposals since `since` (default: the last 30 days), reading the
    CRM through its read-only view."""
    start = start_of(since) or rt.clock.now() - timedelta(days=SHADOW_DEFAULT_DAYS)
    with rt.db.session() as session:
        return shadow.report(session, crm=ReadOnlyCrm(rt.crm), since=start, scope=shadow_scope(rt))


def notifier(rt: Runtime) -> Notifier:
    base = rt.settings.engage_public_url
    return Notifier(
        db=rt.db,
        kit=rt.delivery,
        clock=rt.clock,
        policy=rt.policy,
        base_url=base.rstrip("/") if base else None,
    )


@dataclass(kw_only=True)
class ExtractionGate:
    """What `process_meeting` asks before and after extracting one meeting."""

    rt: Runtime
    held: str | None = None
    proposal_id: str | None = None

    def admit(self, session: Session, meeting_id: str) -> str | None:
        """The meeting to extract (this one or the primary of its call), or None: the call has
        its proposal already, or recording consent holds it."""
        rt = self.rt
        target = merge.claim(
            session,
            meeting_id=meeting_id,
            window=timedelta(minutes=rt.settings.engage_merge_window_minutes),
            team_domains=rt.settings.team_domains,
            now=rt.clock.now(),
        )
        if target is None:
            return None
        verdict = consent.admit(
            session, meeting_id=target, policy=consent_policy(rt), now=rt.clock.now()
        )
        if not verdict.proceed:
            self.held = target
            return None
        return target

    def made(self, session: Session, proposal_id: str) -> None:
        self.proposal_id = proposal_id
        shadow.mark(session, proposal_id=proposal_id, scope=shadow_scope(self.rt))

    def deliver(self) -> None:
        """After the commit: tell the rep (a proposal to review, or why the call was held)."""
        rt = self.rt
        if not rt.delivery.any:
            return
        if self.held is not None:
            rt.submit(
                "notify_consent",
                {"meeting_id": self.held},
                dedupe_key=f"notify:consent:{self.held}",
            )
        if self.proposal_id is not None and rt.delivery.messenger is not None:
            rt.submit(
                "notify_proposal",
                {"proposal_id": self.proposal_id},
                dedupe_key=f"notify:proposal:{self.proposal_id}",
            )


class DeliveryJobs:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def handlers(self) -> dict[str, Any]:
        return {
            "notify_proposal": self.notify_proposal,
            "notify_brief": self.notify_brief,
            "notify_consent": self.notify_consent,
            "email_digest": self.email_digest,
        }

    def notify_proposal(self, payload: Mapping[str, Any]) -> None:
        notifier(self.rt).proposal_ready(str(payload["proposal_id"]))

    def notify_brief(self, payload: Mapping[str, Any]) -> None:
        notifier(self.rt).brief_ready(str(payload["meeting_id"]))

    def notify_consent(self, payload: Mapping[str, Any]) -> None:
        notifier(self.rt).consent_held(str(payload["meeting_id"]))

    def email_digest(self, payload: Mapping[str, Any]) -> None:
        notifier(self.rt).email_digest()


def brief_prepared(rt: Runtime, meeting_id: str) -> None:
    """A brief made (or remade) ahead of its meeting goes to the rep, once per meeting."""
    if rt.delivery.any:
        rt.submit(
            "notify_brief", {"meeting_id": meeting_id}, dedupe_key=f"notify:brief:{meeting_id}"
        )

"""The screen after validation: what a validated change still needs before the rep sees it.

Validation decides whether a change is *true to the call*; the screen decides whether Engage
should *propose* it and what the rep should know: its confidence (engine × evidence), the field's
overwrite rule, abstention below the field's threshold, and the stage and value guards' flags.
It needs nothing but the call and the CRM context, so the eval runs it exactly as the service
does. Checks that need Engage's own history (earlier calls, its audit log) run in the service.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from agent.domain.confidence import abstain, score_change
from agent.domain.fields import FieldPolicy
from agent.domain.models import CrmContext, ProposedChange, Transcript, ValidatedExtraction
from agent.domain.overwrite import apply_overwrite_rules
from agent.domain.value_guards import guard_flags

__all__ = ["screen"]


def screen(
    validated: ValidatedExtraction,
    *,
    transcript: Transcript,
    context: CrmContext,
    policy: FieldPolicy,
    meeting_date: date,
) -> ValidatedExtraction:
    """Score, hold back what the policy or the confidence threshold keeps out, flag the rest."""
    scored = [score_change(change, transcript) for change in validated.changes]
    allowed, held = apply_overwrite_rules(scored, policy)
    kept, unsure = abstain(allowed, policy)
    flagged = tuple(_flagged(c, policy, context.stages, meeting_date) for c in kept)
    return replace(validated, changes=flagged, mentioned=(*validated.mentioned, *held, *unsure))


def _flagged(
    change: ProposedChange, policy: FieldPolicy, stages: tuple[str, ...], meeting_date: date
) -> ProposedChange:
    spec = policy.spec(change.field)
    if spec is None:
        return change
    flags = guard_flags(change, spec, stages=stages, meeting_date=meeting_date)
    return replace(change, flags=(*change.flags, *flags)) if flags else change

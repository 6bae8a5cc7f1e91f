"""Builders shared by the `rules` engine tests: a deal, its people, and a call about it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from agent.domain.fields import DEFAULT_POLICY
from agent.domain.models import (
    Account,
    Contact,
    CrmContext,
    Deal,
    EngineOutput,
    RawFieldUpdate,
    Segment,
    Transcript,
)
from agent.domain.ports import ExtractionRequest
from agent.llm.rules import RulesEngine

MEETING = date(2026, 11, 18)
"""A Wednesday."""
STAGES = ("Discovery", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
DANA = "Dana (Acme)"
MARCUS = "Marcus Chen"
RILEY = "Riley (Engage)"


def context(*, contacts: tuple[Contact, ...] | None = None, **deal: Any) -> CrmContext:
    base = Deal(
        id="D-1",
        name="Acme platform",
        account_id="A-1",
        stage="Proposal",
        amount=90_000.0,
        close_date=date(2026, 12, 31),
        competitors=("Gong",),
    )
    people = (
        Contact(id="C-1", name="Dana Whitfield", email="Dana@acme.com", title="VP Ops"),
        Contact(id="C-2", name="Marcus Chen", email="marcus@acme.com", title="Procurement Lead"),
    )
    return CrmContext(
        deal=replace(base, **deal),
        account=Account(id="A-1", name="Acme Inc.", domain="acme.com"),
        contacts=people if contacts is None else contacts,
        stages=STAGES,
    )


def transcript(*lines: tuple[str, str]) -> Transcript:
    return Transcript(
        segments=tuple(
            Segment(index=i, speaker=speaker, text=text, start=10.0 * i)
            for i, (speaker, text) in enumerate(lines)
        ),
        source_format="json",
    )


def run(
    *lines: tuple[str, str],
    crm: CrmContext | None = None,
    engine: RulesEngine | None = None,
    meeting_date: date = MEETING,
) -> EngineOutput:
    request = ExtractionRequest(
        transcript=transcript(*lines),
        context=crm or context(),
        meeting_date=meeting_date,
        policy=DEFAULT_POLICY,
        prompt_version="extract/v1",
    )
    return (engine or RulesEngine()).extract(request)


def updates(output: EngineOutput) -> dict[str, RawFieldUpdate]:
    return {u.field: u for u in output.field_updates}


def values(output: EngineOutput) -> dict[str, object]:
    return {u.field: u.value for u in output.field_updates}

"""Pure rules behind merging, consent and the shadow report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.services.consent import ConsentPolicy, assess
from agent.services.merge import CallFacts, same_call
from agent.services.shadow import FieldTally, ShadowScope, outcome

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def call(**changes: object) -> CallFacts:
    base: dict[str, object] = {
        "id": "m1",
        "start": AT,
        "deal_id": "D1",
        "conference_key": None,
        "external": frozenset({"dana@acme.com"}),
    }
    base.update(changes)
    return CallFacts(**base)  # type: ignore[arg-type]


def test_same_call_by_conference_key_or_shared_outside_attendee() -> None:
    assert same_call(call(), call(id="m2", start=AT + timedelta(minutes=10)), window=WINDOW)
    zoom = call(conference_key="zoom:1", external=frozenset())
    assert same_call(
        zoom, call(id="m2", conference_key="zoom:1", external=frozenset()), window=WINDOW
    )
    assert not same_call(zoom, call(id="m2", conference_key="zoom:2"), window=WINDOW)
    assert not same_call(call(), call(id="m2", start=AT + timedelta(minutes=16)), window=WINDOW)
    assert not same_call(call(), call(id="m2", deal_id="D2"), window=WINDOW)
    assert same_call(call(), call(id="m2", deal_id=""), window=WINDOW)
    assert not same_call(
        call(), call(id="m2", external=frozenset({"lee@other.com"})), window=WINDOW
    )


def test_consent_verdicts() -> None:
    policy = ConsentPolicy(
        mode="require",
        team_domains=frozenset({"engage-demo.com"}),
        agreed_domains=frozenset({"acme.com"}),
        announcing_sources=frozenset({"zoom"}),
    )
    inside = assess(policy=policy, source="upload", attendees=["rep@engage-demo.com", "d@acme.com"])
    assert (inside.status, inside.proceed) == ("notified", True)
    outside = assess(policy=policy, source="upload", attendees=["rep@engage-demo.com", "x@beta.io"])
    assert (outside.status, outside.proceed) == ("unknown", False)
    assert "x@beta.io" in outside.reason
    assert assess(policy=policy, source="zoom", attendees=[]).status == "notified"
    told_no = assess(policy=policy, source="zoom", attendees=[], declared="not_notified")
    assert (told_no.status, told_no.proceed) == ("not_notified", False)
    recording = ConsentPolicy(mode="record")
    assert assess(policy=recording, source="upload", attendees=[]).proceed is True


def test_shadow_scope_and_outcomes() -> None:
    scope = ShadowScope(crms=frozenset({"salesforce"}), teams=frozenset({"emea"}))
    assert scope.covers(crm_system="salesforce", team=None)
    assert scope.covers(crm_system="hubspot", team="EMEA")
    assert not scope.covers(crm_system="hubspot", team="amer")
    assert ShadowScope(crms=frozenset({"all"})).covers(crm_system="pipedrive", team=None)
    assert outcome(before=90000.0, proposed=120000.0, now=120000) == "matched"
    assert outcome(before=90000.0, proposed=120000.0, now=90000.0) == "not_made"
    assert outcome(before=90000.0, proposed=120000.0, now=110000.0) == "other_value"
    tally = FieldTally(field="deal.amount")
    for seen in ("matched", "not_made", "other_value", "missed"):
        tally.add(seen)
    assert (tally.proposed, tally.accuracy, tally.precision, tally.recall) == (
        3,
        0.25,
        1 / 3,
        1 / 3,
    )

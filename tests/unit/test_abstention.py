"""Confidence from the engine and the evidence, abstention below a field's threshold, overwrite
rules and the field policy's new attributes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.domain.confidence import abstain, hedges_in, score_change
from agent.domain.fields import DEFAULT_POLICY, FieldPolicy, OverwriteRule
from agent.domain.models import (
    Evidence,
    FieldValueT,
    ObjectType,
    ProposedChange,
    Segment,
    Transcript,
)
from agent.domain.overwrite import apply_overwrite_rules
from agent.domain.policy_file import PolicyFileError, parse_policy


def change(
    quote: str,
    *,
    field: str = "deal.amount",
    before: FieldValueT = 90_000.0,
    after: FieldValueT = 120_000.0,
    confidence: float = 0.8,
) -> ProposedChange:
    return ProposedChange(
        field=field,
        object_type=ObjectType.DEAL,
        object_id="D1",
        before=before,
        after=after,
        evidence=Evidence(quote=quote, segment_indices=(0,)),
        confidence=confidence,
        critical=True,
    )


def call(text: str) -> Transcript:
    return Transcript(segments=(Segment(index=0, speaker="Dana (Acme)", text=text),))


def policy(rules: dict[str, dict[str, object]]) -> FieldPolicy:
    """The default policy with some fields' attributes replaced."""
    fields = tuple(replace(f, **rules.get(f.name, {})) for f in DEFAULT_POLICY.fields)
    return replace(DEFAULT_POLICY, fields=fields)


def test_a_plain_statement_keeps_the_engines_confidence() -> None:
    scored = score_change(change("Our budget is 120,000."), call("Our budget is 120,000."))
    assert scored.confidence == 0.8
    assert scored.basis is not None
    assert (scored.basis.engine, scored.basis.evidence, scored.basis.notes) == (0.8, 1.0, ())


def test_hedges_in_the_quote_and_around_it_lower_the_confidence() -> None:
    text = "I think our budget is probably 120,000. Not sure about the timing though."
    scored = score_change(change("I think our budget is probably 120,000."), call(text))
    assert scored.basis is not None
    assert scored.basis.notes == (
        "hedged: “i think”",
        "hedged: “probably”",
        "doubt nearby: “not sure”",
    )
    assert scored.confidence == pytest.approx(0.8 * 0.75 * 0.75 * 0.9, abs=0.001)


def test_hedges_are_found_once_each_in_order() -> None:
    assert hedges_in("Maybe, if we add seats, maybe 150k") == ["maybe", "if we"]
    assert hedges_in("The budget is 150k.") == []


def test_below_the_fields_threshold_a_change_is_mentioned_not_proposed() -> None:
    sure = change("Our budget is 120,000.", confidence=0.8)
    unsure = change("I think it's probably 120,000.", field="deal.close_date", confidence=0.6)
    strict = policy({"deal.close_date": {"min_confidence": 0.7}})
    kept, mentioned = abstain([sure, unsure], strict)
    assert kept == [sure]
    assert [m.change for m in mentioned] == [unsure]
    assert mentioned[0].reason == "confidence 0.60 is below the deal.close_date threshold 0.70"


def test_the_default_floor_holds_back_a_weak_change_with_a_hedge() -> None:
    weak = score_change(
        change("I guess we agreed on 120,000.", confidence=0.6),
        call("I guess we agreed on 120,000."),
    )
    kept, mentioned = abstain([weak], DEFAULT_POLICY)
    assert kept == []
    assert weak.confidence == pytest.approx(0.45)
    assert "below the deal.amount threshold 0.50" in mentioned[0].reason


def test_if_empty_proposes_only_into_an_empty_field_and_never_not_at_all() -> None:
    rules = policy(
        {
            "deal.amount": {"overwrite": OverwriteRule.IF_EMPTY},
            "deal.next_step": {"overwrite": OverwriteRule.IF_EMPTY},
            "deal.close_date": {"overwrite": OverwriteRule.NEVER},
        }
    )
    over_value = change("Our budget is 120,000.")
    into_empty = change("Next step is legal.", field="deal.next_step", before=None, after="legal")
    read_only = change("Sign by May.", field="deal.close_date", before=None, after="2027-05-31")
    allowed, held = apply_overwrite_rules([over_value, into_empty, read_only], rules)
    assert allowed == [into_empty]
    assert [(m.change.field, m.reason) for m in held] == [
        (
            "deal.amount",
            "the CRM already holds a value and the field policy fills deal.amount only when "
            "it is empty",
        ),
        ("deal.close_date", "deal.close_date is read-only for Engage (field policy: never)"),
    ]


def test_never_makes_a_field_read_only_everywhere() -> None:
    amount = DEFAULT_POLICY.spec("deal.amount")
    assert amount is not None
    never = replace(amount, overwrite=OverwriteRule.NEVER)
    assert never.writable is False
    assert never.rule is OverwriteRule.NEVER
    account_name = DEFAULT_POLICY.spec("account.name")
    assert account_name is not None
    assert account_name.rule is OverwriteRule.NEVER


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("min_confidence", 1.5, "min_confidence must be between 0 and 1"),
        ("max_change_ratio", 0.5, "max_change_ratio must be at least 1"),
        ("max_shift_days", -1, "max_shift_days must be at least 0"),
    ],
)
def test_out_of_range_guard_settings_are_refused(
    attribute: str, value: float, message: str
) -> None:
    amount = DEFAULT_POLICY.spec("deal.amount")
    assert amount is not None
    with pytest.raises(ValueError, match=message):
        replace(amount, **{attribute: value})


POLICY_FILE = """
crm = "sandbox"

[fields."deal.amount"]
critical = true
overwrite = "if_empty"
min_confidence = 0.7
max_change_ratio = 2.0

[fields."deal.close_date"]
critical = true
max_shift_days = 30

[fields."contact.title"]
overwrite = "never"
"""


def test_the_policy_file_sets_overwrite_rules_thresholds_and_guards() -> None:
    parsed = parse_policy(POLICY_FILE, source="policy.toml")
    amount, close, title = (
        parsed.spec(n) for n in ("deal.amount", "deal.close_date", "contact.title")
    )
    assert amount is not None
    assert close is not None
    assert title is not None
    assert (amount.rule, amount.min_confidence, amount.max_change_ratio) == (
        OverwriteRule.IF_EMPTY,
        0.7,
        2.0,
    )
    assert close.max_shift_days == 30
    assert (title.writable, title.rule) == (False, OverwriteRule.NEVER)


def test_the_policy_file_refuses_a_bad_rule_naming_the_field() -> None:
    bad = POLICY_FILE.replace('overwrite = "if_empty"', 'overwrite = "sometimes"')
    with pytest.raises(PolicyFileError, match=r"deal\.amount: overwrite must be one of"):
        parse_policy(bad, source="policy.toml")
    with pytest.raises(PolicyFileError, match=r"deal\.amount: min_confidence must be between"):
        parse_policy(POLICY_FILE.replace("0.7", "7"), source="policy.toml")

"""The matching rules one by one, at and around their documented thresholds."""

from __future__ import annotations

from typing import Any

import pytest

from agent.domain.models import Segment, Transcript
from eval.dataset import GoldUpdate, Step
from eval.metrics import (
    Counts,
    faithfulness,
    greedy_pairs,
    key_point_coverage,
    match_field_updates,
    match_next_steps,
    name_set,
    owner_matches,
    phones_match,
    quote_occurs,
    split_sentences,
    values_match,
)
from eval.predictions import PredictedUpdate
from tests.eval.support import WordsEmbedder


@pytest.mark.parametrize(
    ("gold", "predicted", "expected"),
    [
        (120000, 120000.0, True),
        (120000, 120600, True),  # exactly 0.5% off
        (120000, 120601, False),
        (120000, 119400, True),
        (120000, "$120,000", True),
        (120000, "120k", False),  # a replay value is not parsed from words
        (120000, None, False),
        (120000, True, False),
    ],
)
def test_amounts_match_within_half_a_percent(gold: int, predicted: Any, expected: bool) -> None:
    assert values_match("deal.amount", gold, predicted) is expected


def test_dates_match_exactly_in_iso_form() -> None:
    assert values_match("deal.close_date", "2026-12-15", "2026-12-15")
    assert not values_match("deal.close_date", "2026-12-15", "2026-12-16")
    assert not values_match("deal.close_date", "2026-12-15", "December 15th")


def test_stages_match_exactly() -> None:
    assert values_match("deal.stage", "Negotiation", " Negotiation ")
    assert not values_match("deal.stage", "Negotiation", "negotiation")
    assert not values_match("deal.stage", "Closed Won", "Won")


def test_competitors_match_as_sets_of_normalized_names() -> None:
    assert values_match("deal.competitors", ["Gong", "Chorus"], ["chorus", "Gong.io"])
    assert values_match("deal.competitors", ["Gong", "Chorus"], "Chorus and Gong, Inc.")
    assert not values_match("deal.competitors", ["Gong", "Chorus"], ["Gong"])
    assert not values_match("deal.competitors", ["Gong"], ["Gong", "Clari"])
    assert name_set("People.ai; Salesforce.com") == {"peopleai", "salesforce"}


def test_titles_match_by_fuzzy_ratio() -> None:
    assert values_match("contact.title", "VP of Operations", "VP Operations")
    assert values_match(
        "contact.title",
        "Senior Director, Revenue Operations",
        "Senior Director of Revenue Operations",
    )
    assert not values_match("contact.title", "VP Operations", "VP Finance")
    assert not values_match("contact.title", "Head of Procurement", "Director of Procurement")


def test_phones_and_emails() -> None:
    assert phones_match("+14155550173", "(415) 555-0173")
    assert phones_match("+44 20 7946 0958", "020 7946 0958")
    assert not phones_match("+14155550173", "555-0173")
    assert values_match("contact.email", "priya@x.com", " Priya@X.com")


def test_contact_decides_which_record_a_title_belongs_to() -> None:
    gold = [GoldUpdate(field="contact.title", value="CFO", contact="mark@o.com")]
    right = PredictedUpdate(field="contact.title", value="CFO", contact="MARK@o.com", quote="")
    other = PredictedUpdate(field="contact.title", value="CFO", contact="ruth@o.com", quote="")
    assert match_field_updates(gold, [right]).counts() == Counts(tp=1)
    assert match_field_updates(gold, [other]).counts() == Counts(fp=1, fn=1)


def test_a_right_value_wins_the_pair_even_after_a_wrong_one() -> None:
    gold = [GoldUpdate(field="deal.amount", value=95000)]
    first = PredictedUpdate(field="deal.amount", value=90000, contact=None, quote="")
    second = PredictedUpdate(field="deal.amount", value=95000, contact=None, quote="")
    match = match_field_updates(gold, [first, second])
    assert match.counts() == Counts(tp=1, fp=1)
    assert match.extra == (first,)


def test_counts_conventions() -> None:
    assert Counts().precision is None
    assert Counts().f1 is None
    assert Counts(fn=2).recall == 0.0
    assert Counts(fn=2).precision is None
    assert Counts(tp=1, fp=1, fn=2).f1 == pytest.approx(2 / 5)


def test_quotes_fold_case_spacing_and_typography() -> None:
    transcript = Transcript(
        segments=(
            Segment(index=0, speaker="A", text="We\u2019re moving the close to March."),
            Segment(index=1, speaker="B", text="Fine by me."),
        ),
    )
    assert quote_occurs("WE'RE  moving the\nclose", transcript)
    assert quote_occurs("\u201cto March. Fine by me\u201d", transcript)  # across two segments
    assert not quote_occurs("We are moving the close", transcript)
    assert not quote_occurs("March", transcript)  # under 8 characters


def test_greedy_pairs_take_the_best_cosine_first() -> None:
    sims = [[0.9, 0.8], [0.85, 0.1]]
    assert greedy_pairs(sims, 0.6) == [(0, 0, 0.9)]
    assert greedy_pairs([[0.59]], 0.6) == []


def test_steps_match_one_to_one_by_action() -> None:
    gold = [Step(owner="rep", action="send the order form", due="2026-11-20")]
    predicted = [
        Step(owner="Riley", action="send the order form", due="2026-11-20"),
        Step(owner="rep", action="send the order form", due=None),
    ]
    match = match_next_steps(gold, predicted, WordsEmbedder(), sides={"riley": "rep"})
    assert len(match.pairs) == 1
    assert match.pairs[0].owner_ok
    assert match.pairs[0].due_ok
    assert len(match.extra) == 1


def test_owner_rules() -> None:
    sides = {"riley": "rep", "dana": "customer"}
    assert owner_matches("rep", "Riley Chen", sides)
    assert owner_matches("customer", "dana", sides)
    assert owner_matches("Dana", "Dana Whitfield", sides)
    assert not owner_matches("Dana", "customer", sides)
    assert not owner_matches("rep", "Sam", sides)  # nobody called Sam was in the call


def test_summary_sentences() -> None:
    text = "Budget rose to 120k. Signature moves to March!\n- Gong is out\n2. Next: a demo"
    assert split_sentences(text) == [
        "Budget rose to 120k.",
        "Signature moves to March!",
        "Gong is out",
        "Next: a demo",
    ]
    assert split_sentences("") == []


def test_documented_thresholds_sit_where_the_readme_says() -> None:
    words = WordsEmbedder()
    # Bag-of-words cosines: 2 shared of 4 and 4 words is 0.5; 2 of 4 and 5 is 0.447.
    assert key_point_coverage(["a1 b1 c1 d1"], "a1 b1 e1 f1.", words) == [True]
    assert key_point_coverage(["a1 b1 c1 d1"], "a1 b1 e1 f1 g1.", words) == [False]
    transcript = Transcript(segments=(Segment(index=0, speaker="A", text="a1 b1 e1 f1"),))
    assert faithfulness("A1 b1 c1 d1. A1 b1 c1 d1 g1.", transcript, words) == [True, False]
    # 3 shared of 5 and 5 words is 0.6; 3 of 5 and 6 is 0.548.
    gold = [Step(owner="rep", action="a1 b1 c1 d1 e1")]
    exact = [Step(owner="rep", action="a1 b1 c1 x1 y1")]
    under = [Step(owner="rep", action="a1 b1 c1 x1 y1 z1")]
    assert len(match_next_steps(gold, exact, words, sides={}).pairs) == 1
    assert len(match_next_steps(gold, under, words, sides={}).pairs) == 0

"""Stage names as said, matched to the pipeline's own picklist; a miss is refused."""

from __future__ import annotations

import pytest

from agent.domain.normalize import match_stage

PROCUREMENT_PIPELINE = ("Qualify", "Develop", "Propose", "Procurement", "Closed Won", "Closed Lost")
REVIEW_PIPELINE = ("Prospecting", "Discovery", "Technical Validation", "Business Review", "Commit")


@pytest.mark.parametrize(
    ("said", "stages", "expected"),
    [
        pytest.param("procurement", PROCUREMENT_PIPELINE, "Procurement", id="own-name"),
        pytest.param("purchasing", PROCUREMENT_PIPELINE, "Procurement", id="synonym-to-own"),
        pytest.param("legal review", PROCUREMENT_PIPELINE, "Procurement", id="legal-to-procure"),
        pytest.param("countersigned", PROCUREMENT_PIPELINE, "Closed Won", id="won-synonym"),
        pytest.param("no decision", PROCUREMENT_PIPELINE, "Closed Lost", id="lost-synonym"),
        pytest.param("exec review", REVIEW_PIPELINE, "Business Review", id="review-synonym"),
        pytest.param("security review", REVIEW_PIPELINE, "Technical Validation", id="validation"),
        pytest.param("verbal commit", REVIEW_PIPELINE, "Commit", id="commit"),
    ],
)
def test_said_stage_to_the_pipelines_own(said: str, stages: tuple[str, ...], expected: str) -> None:
    assert match_stage(said, stages) == expected


@pytest.mark.parametrize("said", ["negotiation", "onboarding", "closed won", "demo"])
def test_a_stage_this_pipeline_lacks_is_refused(said: str) -> None:
    assert match_stage(said, REVIEW_PIPELINE) is None

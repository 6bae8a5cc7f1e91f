"""Extraction as the service and the eval both run it: engine, then the validator.

The eval calls `run_extraction` too, so the figures RevOps reads are the figures of this code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agent.domain.fields import DEFAULT_POLICY, FieldPolicy
from agent.domain.models import CrmContext, EngineOutput, Transcript, ValidatedExtraction
from agent.domain.ports import ExtractionEngine, ExtractionRequest
from agent.domain.validate import validate_output


@dataclass(frozen=True, kw_only=True)
class ExtractionResult:
    output: EngineOutput
    validated: ValidatedExtraction


def run_extraction(
    *,
    engine: ExtractionEngine,
    transcript: Transcript,
    context: CrmContext,
    meeting_date: date,
    policy: FieldPolicy = DEFAULT_POLICY,
    prompt_version: str | None = None,
) -> ExtractionResult:
    request = ExtractionRequest(
        transcript=transcript,
        context=context,
        meeting_date=meeting_date,
        policy=policy,
        prompt_version=prompt_version or "v1",
    )
    output = engine.extract(request)
    validated = validate_output(
        output, transcript=transcript, context=context, policy=policy, meeting_date=meeting_date
    )
    return ExtractionResult(output=output, validated=validated)

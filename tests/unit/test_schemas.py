"""The model's output schema: strict for structured outputs, bounded, and policed by the policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from agent.domain.fields import CANONICAL_FIELDS, DEFAULT_POLICY, FieldPolicy
from agent.domain.models import Evidence, ObjectType, Segment, TokenUsage, Transcript
from agent.errors import ConfigError
from agent.llm.schemas import (
    ExtractionOutput,
    extraction_json_schema,
    to_engine_output,
    validation_context,
)
from tests.fakes.openai_server import (
    DEFAULT_WRITABLE,
    extraction,
    field_update,
    next_step,
    sample_answer,
    strict_schema_problem,
)


def subschemas(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from subschemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from subschemas(item)


@pytest.fixture
def schema() -> dict[str, Any]:
    return extraction_json_schema(DEFAULT_POLICY)


def field_enum(schema: dict[str, Any]) -> list[str]:
    enum: list[str] = schema["properties"]["field_updates"]["items"]["properties"]["field"]["enum"]
    return enum


def test_field_enum_lists_exactly_the_writable_fields(schema: dict[str, Any]) -> None:
    assert field_enum(schema) == [spec.name for spec in DEFAULT_POLICY.writable]
    assert "account.domain" not in field_enum(schema)
    assert "account.name" not in field_enum(schema)


def test_field_enum_narrows_with_the_policy() -> None:
    read_only_contacts = FieldPolicy(
        fields=tuple(
            replace(spec, writable=False) if spec.object_type is ObjectType.CONTACT else spec
            for spec in CANONICAL_FIELDS
        )
    )
    enum = field_enum(extraction_json_schema(read_only_contacts))
    assert enum == [
        "deal.stage",
        "deal.amount",
        "deal.close_date",
        "deal.next_step",
        "deal.competitors",
    ]


def test_a_policy_without_writable_fields_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no writable field"):
        extraction_json_schema(FieldPolicy(fields=()))


def test_every_object_is_closed_with_every_property_required(schema: dict[str, Any]) -> None:
    objects = [node for node in subschemas(schema) if node.get("type") == "object"]
    assert len(objects) == 3
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])


def test_every_string_and_array_is_bounded(schema: dict[str, Any]) -> None:
    strings = [n for n in subschemas(schema) if n.get("type") == "string" and "enum" not in n]
    arrays = [n for n in subschemas(schema) if n.get("type") == "array"]
    assert len(strings) == 8
    assert all(isinstance(n.get("maxLength"), int) and n["maxLength"] > 0 for n in strings)
    assert len(arrays) == 3
    assert all(isinstance(n.get("maxItems"), int) and n["maxItems"] > 0 for n in arrays)


def test_no_keyword_strict_mode_refuses(schema: dict[str, Any]) -> None:
    text = json.dumps(schema)
    for keyword in ('"default"', '"$ref"', '"$defs"', '"title"', '"allOf"'):
        assert keyword not in text


def test_nullables_are_any_of_with_null(schema: dict[str, Any]) -> None:
    steps = schema["properties"]["next_steps"]["items"]["properties"]
    updates = schema["properties"]["field_updates"]["items"]["properties"]
    for prop in (steps["due"], steps["segment_index"], updates["contact"]):
        assert {"type": "null"} in prop["anyOf"]
        assert len(prop["anyOf"]) == 2


def test_the_fake_server_accepts_it_and_catches_what_breaks_strict_mode(
    schema: dict[str, Any],
) -> None:
    assert strict_schema_problem(schema, DEFAULT_WRITABLE) is None
    opened = json.loads(json.dumps(schema))
    opened["properties"]["next_steps"]["items"]["additionalProperties"] = True
    assert "additionalProperties" in str(strict_schema_problem(opened, DEFAULT_WRITABLE))
    optional = json.loads(json.dumps(schema))
    optional["required"].remove("summary")
    assert "Missing 'summary'" in str(strict_schema_problem(optional, DEFAULT_WRITABLE))
    with_default = json.loads(json.dumps(schema))
    with_default["properties"]["summary"]["default"] = ""
    assert "'default' is not permitted" in str(
        strict_schema_problem(with_default, DEFAULT_WRITABLE)
    )
    assert "non-writable" in str(strict_schema_problem(schema, frozenset({"deal.amount"})))


def test_the_pydantic_model_accepts_a_good_answer() -> None:
    context = validation_context(DEFAULT_POLICY)
    output = ExtractionOutput.model_validate_json(json.dumps(sample_answer()), context=context)
    assert output.field_updates[0].field == "deal.amount"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param(lambda a: a.update(extra=1), "Extra inputs", id="extra-key"),
        pytest.param(lambda a: a.pop("next_steps"), "Field required", id="missing-key"),
        pytest.param(lambda a: a.update(summary="x" * 2001), "at most 2000", id="long-summary"),
        pytest.param(
            lambda a: a["field_updates"][0].update(confidence=1.5), "less than or equal", id="conf"
        ),
        pytest.param(
            lambda a: a["field_updates"][0].update(field="account.name"), "allowed fields", id="ro"
        ),
        pytest.param(
            lambda a: a["field_updates"][0].update(segment_indices=[-1]), "greater than", id="idx"
        ),
        pytest.param(
            lambda a: a.update(field_updates=a["field_updates"] * 13), "at most 12", id="too-many"
        ),
    ],
)
def test_the_pydantic_model_refuses_bad_answers(change: Any, error: str) -> None:
    payload = sample_answer()
    change(payload)
    with pytest.raises(ValidationError, match=error):
        ExtractionOutput.model_validate_json(
            json.dumps(payload), context=validation_context(DEFAULT_POLICY)
        )


def test_without_a_policy_context_any_field_name_parses() -> None:
    payload = extraction(
        summary="s", field_updates=[field_update("account.name", "X", quote="q", segments=[0])]
    )
    assert ExtractionOutput.model_validate(payload).field_updates[0].field == "account.name"


def test_engine_output_carries_speaker_and_start_of_the_first_known_segment() -> None:
    transcript = Transcript(
        segments=(
            Segment(index=0, speaker="Sam", text="Hello.", start=1.0),
            Segment(index=1, speaker="Dana (Acme)", text="Title is COO now.", start=9.5),
        )
    )
    payload = extraction(
        summary="  Dana is COO.  ",
        next_steps=[
            next_step("customer", " Send the MSA ", due="", quote="", segment=None),
            next_step("rep", "Call back", due=None, quote="Hello.", segment=7),
        ],
        field_updates=[
            field_update(
                "contact.title",
                " COO ",
                quote=" Title is COO now. ",
                segments=[9, 1, 1],
                contact="dana@acme.com",
                confidence=0.8,
            )
        ],
    )
    out = to_engine_output(
        ExtractionOutput.model_validate(payload),
        transcript=transcript,
        engine="openai",
        model="m",
        prompt_version="extract/v1",
        usage=TokenUsage(prompt=3, completion=4),
        latency_s=0.5,
        repaired=True,
    )
    [update] = out.field_updates
    assert (update.field, update.value, update.contact, update.confidence) == (
        "contact.title",
        "COO",
        "dana@acme.com",
        0.8,
    )
    assert update.evidence == Evidence(
        quote="Title is COO now.", segment_indices=(9, 1), speaker="Dana (Acme)", start=9.5
    )
    unsourced, unknown_segment = out.next_steps
    assert (unsourced.action, unsourced.due, unsourced.evidence) == ("Send the MSA", None, None)
    assert unknown_segment.evidence == Evidence(quote="Hello.", segment_indices=(7,))
    assert (out.summary, out.repaired, out.usage.completion) == ("Dana is COO.", True, 4)

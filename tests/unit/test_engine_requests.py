"""What the OpenAI engine puts on the wire per mode: schema limits, the grammar mode, the timeout.

Through the real SDK against the fake server, as in test_openai_engine.py; the same modes meet a
real llama.cpp server in tests/integration/test_llama_server.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from agent.domain.fields import DEFAULT_POLICY
from agent.llm.factory import build_engine
from agent.llm.openai_engine import OpenAIEngine, response_format_for
from agent.llm.prompts import load_prompt
from agent.llm.schemas import (
    GRAMMAR_MAX_LENGTH,
    LENGTH_KEYWORDS,
    MAX_SUMMARY,
    extraction_json_schema,
    for_grammar,
    without_length_limits,
)
from agent.settings import Settings
from tests.fakes.openai_server import (
    FakeScript,
    answer,
    running_fake_openai,
    sample_answer,
    sample_call,
)

API_KEY = "sk-test-engage"


def keywords(node: Any) -> set[str]:
    """Every key used anywhere in a schema, property names excluded."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key == "properties":
                for sub in value.values():
                    found |= keywords(sub)
            else:
                found |= keywords(value)
    elif isinstance(node, list):
        for item in node:
            found |= keywords(item)
    return found


def max_lengths(node: Any) -> list[int]:
    if isinstance(node, dict):
        own = [node["maxLength"]] if isinstance(node.get("maxLength"), int) else []
        return own + [n for value in node.values() for n in max_lengths(value)]
    if isinstance(node, list):
        return [n for item in node for n in max_lengths(item)]
    return []


@pytest.fixture
def schema() -> dict[str, Any]:
    return extraction_json_schema(DEFAULT_POLICY)


@pytest.fixture
def script() -> FakeScript:
    return FakeScript(api_key=API_KEY, allow_json_object=True)


@pytest.fixture
def client(script: FakeScript) -> Iterator[openai.OpenAI]:
    with (
        running_fake_openai(script) as base_url,
        openai.OpenAI(api_key=API_KEY, base_url=base_url, timeout=10.0) as sdk,
    ):
        yield sdk


def engine(client: openai.OpenAI, **options: Any) -> OpenAIEngine:
    return OpenAIEngine(
        client=client, model="fake-model", prompt=load_prompt("extract", "v1"), **options
    )


# -- the schema sent -------------------------------------------------------------------------


def test_stripping_removes_every_length_keyword_and_nothing_else(schema: dict[str, Any]) -> None:
    stripped = without_length_limits(schema)
    assert keywords(schema) & LENGTH_KEYWORDS == {"maxLength", "maxItems"}
    assert not keywords(stripped) & LENGTH_KEYWORDS
    assert keywords(stripped) == keywords(schema) - LENGTH_KEYWORDS
    assert stripped["properties"].keys() == schema["properties"].keys()
    assert max_lengths(schema)


def test_a_property_named_like_a_keyword_survives_stripping() -> None:
    node = {"type": "object", "properties": {"maxLength": {"type": "string", "maxLength": 3}}}
    assert without_length_limits(node) == {
        "type": "object",
        "properties": {"maxLength": {"type": "string"}},
    }


def test_a_grammar_gets_capped_lengths_and_confidence_in_tenths(schema: dict[str, Any]) -> None:
    grammar = for_grammar(schema)
    assert max(max_lengths(schema)) == MAX_SUMMARY > GRAMMAR_MAX_LENGTH
    assert sorted(max_lengths(grammar)) == sorted(
        min(n, GRAMMAR_MAX_LENGTH) for n in max_lengths(schema)
    )
    update = grammar["properties"]["field_updates"]["items"]["properties"]
    assert update["confidence"]["enum"] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert "enum" not in schema["properties"]["field_updates"]["items"]["properties"]["confidence"]
    assert update["segment_indices"]["items"] == {"type": "integer", "minimum": 0}


@pytest.mark.parametrize(
    ("mode", "limits", "expected_type", "has_lengths"),
    [
        ("strict", True, "json_schema", True),
        ("strict", False, "json_schema", False),
        ("grammar", True, "json_object", True),
        ("grammar", False, "json_object", False),
    ],
)
def test_each_mode_sends_its_format(
    schema: dict[str, Any], mode: Any, limits: bool, expected_type: str, has_lengths: bool
) -> None:
    fmt: Any = response_format_for(mode, schema, schema_limits=limits)
    assert fmt["type"] == expected_type
    sent = fmt["json_schema"]["schema"] if mode == "strict" else fmt["schema"]
    assert bool(max_lengths(sent)) is has_lengths
    assert sent["properties"]["field_updates"]["items"]["properties"]["field"]["enum"]


def test_prompt_mode_sends_no_schema_in_the_format(schema: dict[str, Any]) -> None:
    assert response_format_for("prompt", schema, schema_limits=True) == {"type": "json_object"}


# -- through the SDK -------------------------------------------------------------------------


def test_without_limits_the_strict_request_has_none_but_answers_are_still_bounded(
    client: openai.OpenAI, script: FakeScript
) -> None:
    long_summary = sample_answer()
    long_summary["summary"] = "x" * (MAX_SUMMARY + 1)
    script.push(answer(long_summary))
    script.push(answer(sample_answer()))
    out = engine(client, schema_limits=False).extract(sample_call())

    first, second = script.completions
    assert first.refused is None
    assert not keywords(first.body["response_format"]) & LENGTH_KEYWORDS
    assert (
        "summary: String should have at most 2000 characters"
        in second.body["messages"][-1]["content"]
    )
    assert out.repaired


def test_grammar_mode_carries_the_schema_in_the_prompt_and_beside_json_object(
    client: openai.OpenAI, script: FakeScript
) -> None:
    script.push(answer(sample_answer()))
    out = engine(client, structured="grammar").extract(sample_call())

    [request] = script.completions
    fmt = request.body["response_format"]
    assert fmt["type"] == "json_object"
    assert fmt["schema"]["properties"]["summary"]["maxLength"] == GRAMMAR_MAX_LENGTH
    system = request.body["messages"][0]["content"]
    in_prompt = json.loads(system[system.index("{") :])
    assert in_prompt["properties"]["summary"]["maxLength"] == MAX_SUMMARY
    assert out.field_updates


# -- settings and the factory ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "flag", "expected"),
    [
        (None, None, False),
        ("http://127.0.0.1:8080/v1", None, True),
        ("https://api.openai.com/v1", None, False),
        ("https://acme.openai.azure.com/openai/v1", None, False),
        ("http://127.0.0.1:8080/v1", False, False),
        (None, True, True),
    ],
)
def test_limits_default_on_only_for_a_self_hosted_endpoint(
    base_url: str | None, flag: bool | None, expected: bool
) -> None:
    settings = Settings(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="k", ENGAGE_LLM_SCHEMA_LIMITS=flag)
    assert settings.llm_schema_limits is expected


def test_the_factory_passes_timeout_mode_and_limits(tmp_path: Path) -> None:
    settings = Settings(
        ENGAGE_HOME=tmp_path,
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        ENGAGE_LLM_TIMEOUT=7.5,
        ENGAGE_LLM_STRUCTURED="grammar",
    )
    built = build_engine("openai", settings)
    assert isinstance(built, OpenAIEngine)
    assert built._client.timeout == 7.5
    assert (built._structured, built._schema_limits) == ("grammar", True)


def test_the_timeout_defaults_to_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGAGE_LLM_TIMEOUT", raising=False)
    assert Settings().engage_llm_timeout == 60.0

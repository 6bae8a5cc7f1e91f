"""Build an engine by name: the composition root's single place that knows the concrete engines."""

from __future__ import annotations

from agent.domain.ports import ExtractionEngine
from agent.errors import ConfigError
from agent.settings import Settings

ENGINE_NAMES = ("rules", "openai")


def build_engine(
    name: str, settings: Settings, *, prompt_version: str | None = None
) -> ExtractionEngine:
    """`rules` needs nothing; `openai` talks to any OpenAI-compatible endpoint from settings."""
    if name == "rules":
        from agent.llm.rules import RulesEngine

        return RulesEngine()
    if name == "openai":
        import openai

        from agent.llm.openai_engine import OpenAIEngine
        from agent.llm.prompts import load_prompt
        from agent.llm.redaction import parse_redaction

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        client = openai.OpenAI(
            api_key=key,
            base_url=settings.openai_base_url,
            max_retries=0,
            timeout=settings.engage_llm_timeout,
        )
        prompt = load_prompt("extract", prompt_version or settings.engage_prompt_version)
        return OpenAIEngine(
            client=client,
            model=settings.engage_llm_model,
            prompt=prompt,
            structured=settings.engage_llm_structured,
            schema_limits=settings.llm_schema_limits,
            redaction=parse_redaction(settings.engage_llm_redact),
        )
    raise ConfigError(f"unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")

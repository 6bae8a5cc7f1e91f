"""The offline `rules` extraction engine: cue lexicons, abstention on hedges, quoted evidence."""

from agent.llm.rules.engine import RulesEngine
from agent.llm.rules.lexicon import KNOWN_COMPETITORS, PROMPT_VERSION

__all__ = ["KNOWN_COMPETITORS", "PROMPT_VERSION", "RulesEngine"]

"""Configuration from the environment: one settings class, obtained through `get_settings()`.

A bad setting fails at start with one line naming the variable, never deep inside a request.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.errors import ConfigError

EngineName = Literal["rules", "openai"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    engage_home: Path = Field(default=Path(".engage"), alias="ENGAGE_HOME")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    engage_engine: EngineName | None = Field(default=None, alias="ENGAGE_ENGINE")
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    engage_llm_model: str = Field(default="gpt-4o-mini", alias="ENGAGE_LLM_MODEL")
    engage_llm_structured: Literal["strict", "prompt"] = Field(
        default="strict", alias="ENGAGE_LLM_STRUCTURED"
    )
    engage_prompt_version: str = Field(default="v1", alias="ENGAGE_PROMPT_VERSION")
    engage_crm: Literal["sandbox"] = Field(default="sandbox", alias="ENGAGE_CRM")
    engage_session_secret: SecretStr | None = Field(default=None, alias="ENGAGE_SESSION_SECRET")
    engage_secure_cookies: bool = Field(default=False, alias="ENGAGE_SECURE_COOKIES")

    @field_validator("openai_base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @model_validator(mode="after")
    def _openai_needs_endpoint(self) -> Settings:
        if self.engage_engine == "openai" and not (self.openai_api_key or self.openai_base_url):
            raise ValueError("ENGAGE_ENGINE=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        return self

    @property
    def engine(self) -> EngineName:
        """`openai` when an endpoint or key is configured, else the offline `rules` engine."""
        if self.engage_engine is not None:
            return self.engage_engine
        return "openai" if (self.openai_api_key or self.openai_base_url) else "rules"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.engage_home / 'engage.sqlite3').resolve()}"

    @property
    def sandbox_path(self) -> Path:
        return self.engage_home / "sandbox-crm.sqlite3"


def load_settings() -> Settings:
    """Read the environment, turning a validation error into one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc") or ()
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        where = f" {str(loc[0]).upper()}" if loc else ""
        raise ConfigError(f"bad setting{where}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

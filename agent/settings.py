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
_HOSTED_OPENAI_HOSTS = ("api.openai.com", ".openai.azure.com")
"""Endpoints with OpenAI's own strict structured outputs, which may refuse length keywords."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    engage_home: Path = Field(default=Path(".engage"), alias="ENGAGE_HOME")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    engage_engine: EngineName | None = Field(default=None, alias="ENGAGE_ENGINE")
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    engage_llm_model: str = Field(default="gpt-4o-mini", alias="ENGAGE_LLM_MODEL")
    engage_llm_structured: Literal["strict", "prompt", "grammar"] = Field(
        default="strict", alias="ENGAGE_LLM_STRUCTURED"
    )
    engage_llm_timeout: float = Field(default=60.0, gt=0, alias="ENGAGE_LLM_TIMEOUT")
    engage_llm_schema_limits: bool | None = Field(default=None, alias="ENGAGE_LLM_SCHEMA_LIMITS")
    engage_prompt_version: str = Field(default="v1", alias="ENGAGE_PROMPT_VERSION")
    engage_llm_context_tokens: int | None = Field(
        default=None, ge=4096, alias="ENGAGE_LLM_CONTEXT_TOKENS"
    )
    engage_date_order: Literal["auto", "dmy", "mdy"] = Field(
        default="auto", alias="ENGAGE_DATE_ORDER"
    )
    engage_whisper_model: str = Field(default="base", min_length=1, alias="ENGAGE_WHISPER_MODEL")
    engage_whisper_language: str | None = Field(default=None, alias="ENGAGE_WHISPER_LANGUAGE")
    engage_audio_max_seconds: float = Field(default=7200.0, gt=0, alias="ENGAGE_AUDIO_MAX_SECONDS")
    engage_audio_max_bytes: int = Field(default=500_000_000, gt=0, alias="ENGAGE_AUDIO_MAX_BYTES")
    engage_audio_timeout: float = Field(default=3600.0, gt=0, alias="ENGAGE_AUDIO_TIMEOUT")
    engage_audio_max_memory_mb: int = Field(
        default=4096, ge=512, alias="ENGAGE_AUDIO_MAX_MEMORY_MB"
    )
    engage_crm: Literal["sandbox", "salesforce", "hubspot", "pipedrive"] = Field(
        default="sandbox", alias="ENGAGE_CRM"
    )
    engage_secret_key: SecretStr | None = Field(default=None, alias="ENGAGE_SECRET_KEY")
    engage_crm_field_map: Path | None = Field(default=None, alias="ENGAGE_CRM_FIELD_MAP")
    salesforce_login_url: str = Field(
        default="https://login.salesforce.com", alias="SALESFORCE_LOGIN_URL"
    )
    salesforce_client_id: str | None = Field(default=None, alias="SALESFORCE_CLIENT_ID")
    salesforce_client_secret: SecretStr | None = Field(
        default=None, alias="SALESFORCE_CLIENT_SECRET"
    )
    salesforce_username: str | None = Field(default=None, alias="SALESFORCE_USERNAME")
    salesforce_private_key_file: Path | None = Field(
        default=None, alias="SALESFORCE_PRIVATE_KEY_FILE"
    )
    salesforce_refresh_token: SecretStr | None = Field(
        default=None, alias="SALESFORCE_REFRESH_TOKEN"
    )
    salesforce_api_version: str = Field(
        default="59.0", pattern=r"^v?\d+\.\d$", alias="SALESFORCE_API_VERSION"
    )
    hubspot_base_url: str = Field(default="https://api.hubapi.com", alias="HUBSPOT_BASE_URL")
    hubspot_access_token: SecretStr | None = Field(default=None, alias="HUBSPOT_ACCESS_TOKEN")
    hubspot_client_id: str | None = Field(default=None, alias="HUBSPOT_CLIENT_ID")
    hubspot_client_secret: SecretStr | None = Field(default=None, alias="HUBSPOT_CLIENT_SECRET")
    hubspot_refresh_token: SecretStr | None = Field(default=None, alias="HUBSPOT_REFRESH_TOKEN")
    pipedrive_base_url: str | None = Field(default=None, alias="PIPEDRIVE_BASE_URL")
    pipedrive_api_token: SecretStr | None = Field(default=None, alias="PIPEDRIVE_API_TOKEN")
    pipedrive_oauth_url: str = Field(
        default="https://oauth.pipedrive.com", alias="PIPEDRIVE_OAUTH_URL"
    )
    pipedrive_client_id: str | None = Field(default=None, alias="PIPEDRIVE_CLIENT_ID")
    pipedrive_client_secret: SecretStr | None = Field(default=None, alias="PIPEDRIVE_CLIENT_SECRET")
    pipedrive_refresh_token: SecretStr | None = Field(default=None, alias="PIPEDRIVE_REFRESH_TOKEN")
    engage_session_secret: SecretStr | None = Field(default=None, alias="ENGAGE_SESSION_SECRET")
    engage_secure_cookies: bool = Field(default=False, alias="ENGAGE_SECURE_COOKIES")
    # -- security: single sign-on, request limits; README "Security" documents each --
    engage_oidc_issuer: str | None = Field(default=None, alias="ENGAGE_OIDC_ISSUER")
    engage_oidc_client_id: str | None = Field(default=None, alias="ENGAGE_OIDC_CLIENT_ID")
    engage_oidc_client_secret: SecretStr | None = Field(
        default=None, alias="ENGAGE_OIDC_CLIENT_SECRET"
    )
    engage_rate_limit_per_minute: int = Field(
        default=600, ge=0, alias="ENGAGE_RATE_LIMIT_PER_MINUTE"
    )
    engage_rate_limit_burst: int = Field(default=120, ge=1, alias="ENGAGE_RATE_LIMIT_BURST")
    engage_max_body_bytes: int = Field(default=1_048_576, ge=1024, alias="ENGAGE_MAX_BODY_BYTES")
    engage_max_upload_bytes: int = Field(
        default=5_242_880, ge=1024, alias="ENGAGE_MAX_UPLOAD_BYTES"
    )
    # -- ingestion (webhooks, calendars, signals, jobs); README "Webhooks" documents each --
    zoom_webhook_secret_token: SecretStr | None = Field(
        default=None, alias="ZOOM_WEBHOOK_SECRET_TOKEN"
    )
    zoom_account_id: str | None = Field(default=None, alias="ZOOM_ACCOUNT_ID")
    zoom_client_id: str | None = Field(default=None, alias="ZOOM_CLIENT_ID")
    zoom_client_secret: SecretStr | None = Field(default=None, alias="ZOOM_CLIENT_SECRET")
    google_calendar_channel_token: SecretStr | None = Field(
        default=None, alias="GOOGLE_CALENDAR_CHANNEL_TOKEN"
    )
    google_oauth_client_id: str | None = Field(default=None, alias="GOOGLE_OAUTH_CLIENT_ID")
    google_oauth_client_secret: SecretStr | None = Field(
        default=None, alias="GOOGLE_OAUTH_CLIENT_SECRET"
    )
    google_oauth_refresh_token: SecretStr | None = Field(
        default=None, alias="GOOGLE_OAUTH_REFRESH_TOKEN"
    )
    graph_client_state: SecretStr | None = Field(default=None, alias="GRAPH_CLIENT_STATE")
    graph_tenant_id: str | None = Field(default=None, alias="GRAPH_TENANT_ID")
    graph_client_id: str | None = Field(default=None, alias="GRAPH_CLIENT_ID")
    graph_client_secret: SecretStr | None = Field(default=None, alias="GRAPH_CLIENT_SECRET")
    engage_public_url: str | None = Field(default=None, alias="ENGAGE_PUBLIC_URL")
    engage_team_domains: str = Field(default="", alias="ENGAGE_TEAM_DOMAINS")
    engage_signals_secret: SecretStr | None = Field(default=None, alias="ENGAGE_SIGNALS_SECRET")
    engage_brief_lead_minutes: int = Field(default=60, ge=1, alias="ENGAGE_BRIEF_LEAD_MINUTES")
    engage_reconcile_minutes: int = Field(default=15, ge=1, alias="ENGAGE_RECONCILE_MINUTES")
    # -- integration health: logs, /metrics, alerts; README "Integration health" documents each --
    engage_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="ENGAGE_LOG_LEVEL"
    )
    engage_metrics_token: SecretStr | None = Field(default=None, alias="ENGAGE_METRICS_TOKEN")
    engage_alert_webhook_url: str | None = Field(default=None, alias="ENGAGE_ALERT_WEBHOOK_URL")
    engage_alert_failure_rate: float = Field(
        default=0.01, ge=0, le=1, alias="ENGAGE_ALERT_FAILURE_RATE"
    )
    engage_alert_sync_stale_minutes: int = Field(
        default=30, ge=1, alias="ENGAGE_ALERT_SYNC_STALE_MINUTES"
    )
    engage_alert_quota_fraction: float = Field(
        default=0.6, gt=0, le=1, alias="ENGAGE_ALERT_QUOTA_FRACTION"
    )
    engage_alert_review_hours: float = Field(default=48.0, gt=0, alias="ENGAGE_ALERT_REVIEW_HOURS")
    engage_alert_repeat_hours: float = Field(default=24.0, gt=0, alias="ENGAGE_ALERT_REPEAT_HOURS")
    # -- delivery, shadow mode, consent, merging; README "Where reps already are" and below --
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_base_url: str = Field(default="https://slack.com/api", alias="SLACK_API_BASE_URL")
    engage_smtp_host: str | None = Field(default=None, alias="ENGAGE_SMTP_HOST")
    engage_smtp_port: int = Field(default=587, ge=1, le=65535, alias="ENGAGE_SMTP_PORT")
    engage_smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", alias="ENGAGE_SMTP_SECURITY"
    )
    engage_smtp_username: str | None = Field(default=None, alias="ENGAGE_SMTP_USERNAME")
    engage_smtp_password: SecretStr | None = Field(default=None, alias="ENGAGE_SMTP_PASSWORD")
    engage_smtp_from: str = Field(default="engage@localhost", alias="ENGAGE_SMTP_FROM")
    engage_digest_minutes: int = Field(default=60, ge=1, alias="ENGAGE_DIGEST_MINUTES")
    engage_shadow_crms: str = Field(default="", alias="ENGAGE_SHADOW_CRMS")
    engage_shadow_teams: str = Field(default="", alias="ENGAGE_SHADOW_TEAMS")
    engage_consent_mode: Literal["record", "require"] = Field(
        default="record", alias="ENGAGE_CONSENT_MODE"
    )
    engage_consent_domains: str = Field(default="", alias="ENGAGE_CONSENT_DOMAINS")
    engage_consent_sources: str = Field(default="", alias="ENGAGE_CONSENT_SOURCES")
    engage_merge_window_minutes: int = Field(
        default=15, ge=0, le=240, alias="ENGAGE_MERGE_WINDOW_MINUTES"
    )
    engage_redact: str = Field(default="emails,phones,numbers", alias="ENGAGE_REDACT")
    # -- trust: field policy, model redaction, retention, audit head; README "Security" --
    engage_field_policy: Path | None = Field(default=None, alias="ENGAGE_FIELD_POLICY")
    engage_llm_redact: str = Field(default="emails,phones,numbers", alias="ENGAGE_LLM_REDACT")
    engage_retention_days: int = Field(default=365, ge=1, alias="ENGAGE_RETENTION_DAYS")
    engage_audio_retention_hours: int = Field(
        default=24, ge=1, alias="ENGAGE_AUDIO_RETENTION_HOURS"
    )
    engage_audit_head_file: Path | None = Field(default=None, alias="ENGAGE_AUDIT_HEAD_FILE")
    engage_audit_head_minutes: int = Field(default=60, ge=1, alias="ENGAGE_AUDIT_HEAD_MINUTES")

    @field_validator("openai_base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator(
        "salesforce_login_url",
        "hubspot_base_url",
        "pipedrive_base_url",
        "pipedrive_oauth_url",
        "engage_alert_webhook_url",
        "slack_api_base_url",
    )
    @classmethod
    def _check_crm_url(cls, value: str | None) -> str | None:
        """CRM base URLs: https in production, http allowed so a local fake can stand in."""
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

    @field_validator("engage_oidc_issuer")
    @classmethod
    def _check_issuer(cls, value: str | None) -> str | None:
        """An identity provider is reached over https; plain http only on this machine."""
        if value is None or value == "":
            return None
        parsed = urlparse(value)
        local = parsed.hostname in ("127.0.0.1", "localhost", "::1")
        secure = parsed.scheme == "https" or (parsed.scheme == "http" and local)
        if not parsed.netloc or not secure:
            raise ValueError("must be an https:// URL (http:// only for 127.0.0.1)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _oidc_needs_client(self) -> Settings:
        if self.engage_oidc_issuer and not self.engage_oidc_client_id:
            raise ValueError("ENGAGE_OIDC_ISSUER needs ENGAGE_OIDC_CLIENT_ID")
        return self

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
    def llm_schema_limits(self) -> bool:
        """Send `maxLength`/`maxItems` to the endpoint? Self-hosted servers turn them into grammar
        that stops a looping small model; hosted OpenAI's strict mode may refuse them. Pydantic
        enforces them on our side either way."""
        if self.engage_llm_schema_limits is not None:
            return self.engage_llm_schema_limits
        if self.openai_base_url is None:
            return False
        host = urlparse(self.openai_base_url).hostname or ""
        return not host.endswith(_HOSTED_OPENAI_HOSTS)

    @property
    def day_first(self) -> bool | None:
        """How a numeric date like 03/04 reads: None (`auto`) refuses one both orders fit."""
        return {"auto": None, "dmy": True, "mdy": False}[self.engage_date_order]

    @property
    def team_domains(self) -> frozenset[str]:
        """The team's own email domains (ENGAGE_TEAM_DOMAINS, comma-separated): internal people."""
        parts = (d.strip().lower().removeprefix("@") for d in self.engage_team_domains.split(","))
        return frozenset(d for d in parts if d)

    @property
    def shadow_crms(self) -> frozenset[str]:
        """Connectors in shadow mode (ENGAGE_SHADOW_CRMS; `all` means every one)."""
        return comma_set(self.engage_shadow_crms)

    @property
    def shadow_teams(self) -> frozenset[str]:
        """Teams in shadow mode (ENGAGE_SHADOW_TEAMS), matched against each rep's team."""
        return comma_set(self.engage_shadow_teams)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.engage_home / 'engage.sqlite3').resolve()}"

    @property
    def sandbox_path(self) -> Path:
        return self.engage_home / "sandbox-crm.sqlite3"

    @property
    def audit_head_path(self) -> Path:
        """Where exported audit chain heads are appended (best on other storage than the DB)."""
        return self.engage_audit_head_file or self.engage_home / "audit-heads.jsonl"


def comma_set(text: str) -> frozenset[str]:
    """A comma-separated setting as a set of lower-cased, trimmed, non-empty items."""
    return frozenset(part.strip().lower() for part in text.split(",") if part.strip())


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

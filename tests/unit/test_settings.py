from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.settings import load_settings

VARS = ("ENGAGE_ENGINE", "OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "ENGAGE_HOME")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARS:
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path))
    settings = load_settings()
    assert settings.engine == "rules"
    assert settings.db_url == f"sqlite:///{tmp_path.resolve() / 'engage.sqlite3'}"
    assert settings.sandbox_path == tmp_path / "sandbox-crm.sqlite3"


def test_an_endpoint_makes_openai_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1/")
    settings = load_settings()
    assert settings.engine == "openai"
    assert settings.openai_base_url == "http://127.0.0.1:8080/v1"
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    assert load_settings().engine == "rules"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OPENAI_BASE_URL", "localhost:8080", "bad setting OPENAI_BASE_URL: must be an http"),
        ("ENGAGE_ENGINE", "gpt", "bad setting ENGAGE_ENGINE: Input should be 'rules' or 'openai'"),
        ("DATABASE_URL", "mysql://x", "bad setting DATABASE_URL: must start with sqlite"),
        ("ENGAGE_ENGINE", "openai", "ENGAGE_ENGINE=openai needs OPENAI_API_KEY or OPENAI_BASE_URL"),
    ],
)
def test_a_bad_setting_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)

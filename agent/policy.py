"""Loading the field policy file the settings point at, once, at start.

`ENGAGE_FIELD_POLICY` names a TOML file (see `agent.domain.policy_file`); without it Engage uses
the file shipped for the connected CRM, `policies/<crm>.toml`. Whatever is wrong with the file
stops Engage at start with one line naming the file and the problem.
"""

from __future__ import annotations

from pathlib import Path

from agent.domain.fields import FieldPolicy
from agent.domain.policy_file import PolicyFileError, parse_policy
from agent.errors import ConfigError
from agent.settings import Settings

POLICIES_ROOT = Path(__file__).resolve().parents[1] / "policies"
"""The repository's `policies/` folder (the package is installed in editable mode)."""


def policy_path(settings: Settings) -> Path:
    return settings.engage_field_policy or POLICIES_ROOT / f"{settings.engage_crm}.toml"


def load_field_policy(settings: Settings) -> FieldPolicy:
    path = policy_path(settings)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"bad setting ENGAGE_FIELD_POLICY: no file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"bad setting ENGAGE_FIELD_POLICY: cannot read {path}: {exc}") from None
    try:
        return parse_policy(text, source=str(path), crm=settings.engage_crm)
    except PolicyFileError as exc:
        raise ConfigError(str(exc)) from None

"""Encryption at rest: one configured secret, several keys while a rotation is under way.

`ENGAGE_SECRET_KEY` holds a Fernet key, or several separated by commas. The first encrypts;
every one of them decrypts (`MultiFernet`), so a new key can be put in front while what the old
key encrypted is still readable. `engage keys rotate` then re-encrypts everything at rest under
the first key, after which the old one can be dropped from the setting. The same cipher protects
CRM OAuth tokens (`connectors.common.tokens`) and transcripts (`agent.db.sealing`).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet

from agent.errors import ConfigError
from agent.settings import Settings

_HOW = (
    "make one with: python -c 'from cryptography.fernet import Fernet;"
    " print(Fernet.generate_key().decode())'"
)


def cipher_from(secret: str) -> MultiFernet:
    """The cipher for a key list; anything but Fernet keys is a configuration error."""
    keys = [part.strip() for part in secret.split(",") if part.strip()]
    if not keys:
        raise ConfigError(f"bad setting ENGAGE_SECRET_KEY: empty; {_HOW}")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError):
        raise ConfigError(
            "bad setting ENGAGE_SECRET_KEY: must be a Fernet key (32 url-safe base64 bytes),"
            f" or several separated by commas; {_HOW}"
        ) from None


def cipher_for(settings: Settings) -> MultiFernet | None:
    """None when no key is configured: then tokens stay in memory and transcripts in clear."""
    if settings.engage_secret_key is None:
        return None
    return cipher_from(settings.engage_secret_key.get_secret_value())


def new_key() -> str:
    return Fernet.generate_key().decode()

"""The identity backbone: one normal form for emails and company domains.

Contacts are matched by normalized email and companies by normalized domain, so that a lookup
before create finds the record however the address was typed.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

_LABEL = re.compile(r"[^\W_](?:[\w-]{0,61}[^\W_])?")
"""One DNS label: letters (any script) or digits, inner hyphens, at most 63 characters."""
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def normalize_email(email: str) -> str:
    """Lower-case, trimmed, with a plus-alias removed: ` Dana+crm@Acme.com ` → `dana@acme.com`.

    Exactly one `@`, and no space or control character inside, so that two spellings of one
    key cannot differ by something invisible.
    """
    cleaned = email.strip().lower()
    local, sep, domain = cleaned.partition("@")
    if not sep or not local or not domain or "@" in domain or _SPACE_OR_CONTROL.search(cleaned):
        raise ValueError(f"not an email address: {email!r}")
    local = local.split("+", 1)[0]
    if not local:
        raise ValueError(f"not an email address: {email!r}")
    return f"{local}@{domain}"


def normalize_domain(value: str) -> str:
    """A bare registrable host: `https://www.Acme.com/about` → `acme.com`.

    The result is two or more DNS labels joined by dots, so it is its own normal form.
    """
    cleaned = value.strip().lower()
    if "@" in cleaned:
        cleaned = cleaned.rsplit("@", 1)[1]
    try:
        host = urlparse(cleaned if "//" in cleaned else f"//{cleaned}").hostname or ""
    except ValueError:
        host = ""
    host = host.removeprefix("www.").rstrip(".")
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"not a domain: {value!r}")
    return host


def email_domain(email: str) -> str:
    return normalize_domain(normalize_email(email))

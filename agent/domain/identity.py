"""The identity backbone: one normal form for emails and company domains.

Contacts are matched by normalized email and companies by normalized domain, so that a lookup
before create finds the record however the address was typed.
"""

from __future__ import annotations

from urllib.parse import urlparse


def normalize_email(email: str) -> str:
    """Lower-case, trimmed, with a plus-alias removed: ` Dana+crm@Acme.com ` → `dana@acme.com`."""
    cleaned = email.strip().lower()
    local, sep, domain = cleaned.partition("@")
    if not sep or not local or not domain:
        raise ValueError(f"not an email address: {email!r}")
    local = local.split("+", 1)[0]
    return f"{local}@{domain}"


def normalize_domain(value: str) -> str:
    """A bare registrable host: `https://www.Acme.com/about` → `acme.com`."""
    cleaned = value.strip().lower()
    if "@" in cleaned:
        cleaned = cleaned.rsplit("@", 1)[1]
    host = urlparse(cleaned if "//" in cleaned else f"//{cleaned}").hostname or ""
    host = host.removeprefix("www.").rstrip(".")
    if not host or "." not in host:
        raise ValueError(f"not a domain: {value!r}")
    return host


def email_domain(email: str) -> str:
    return normalize_domain(normalize_email(email))

from __future__ import annotations

import pytest

from agent.domain.identity import email_domain, normalize_domain, normalize_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Dana+crm@Acme.COM ", "dana@acme.com"),
        ("dana@acme.com", "dana@acme.com"),
        ("A.B+x+y@Sub.Acme.io", "a.b@sub.acme.io"),
    ],
)
def test_emails_normalize(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "dana", "@acme.com", "dana@"])
def test_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an email"):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("acme.com", "acme.com"),
        ("WWW.acme.co.uk.", "acme.co.uk"),
        ("dana@acme.com", "acme.com"),
    ],
)
def test_domains_normalize(raw: str, expected: str) -> None:
    assert normalize_domain(raw) == expected


def test_email_domain() -> None:
    assert email_domain("Dana+x@WWW.Acme.com") == "acme.com"

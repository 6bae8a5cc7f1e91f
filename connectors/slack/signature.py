"""Slack's request signature: `X-Slack-Signature` over `v0:{timestamp}:{raw body}`.

Slack signs every interactive request with the app's signing secret (HMAC-SHA256, hex, prefixed
`v0=`). The check runs over the exact bytes received, before the form is parsed, and a timestamp
more than five minutes from now fails like a bad signature, so a captured request cannot be
replayed.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

REPLAY_WINDOW_S = 300
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


class SignatureError(Exception):
    """The request is not provably from Slack, or is too old; the reason is safe to return."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    window_s: int = REPLAY_WINDOW_S,
) -> None:
    """Raise `SignatureError` unless the signature matches and the timestamp is fresh."""
    if not timestamp or not signature:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not epoch seconds") from None
    if abs(now.timestamp() - sent_at) > window_s:
        raise SignatureError(f"request timestamp is more than {window_s} s from now (replay)")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")

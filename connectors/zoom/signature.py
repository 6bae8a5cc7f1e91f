"""Zoom's webhook signature (`x-zm-signature`) and URL-validation challenge.

The signature is an HMAC-SHA256 over `v0:{x-zm-request-timestamp}:{raw body}` keyed by the app's
secret token. It must be computed over the exact bytes received: re-serialized JSON differs from
what Zoom signed. A timestamp outside the replay window fails like a bad signature, so that a
captured request cannot be played back later.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

REPLAY_WINDOW_S = 300


class SignatureError(Exception):
    """The request is not provably from Zoom, or is too old; the reason is safe to return."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + mac.hexdigest()


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
        raise SignatureError("missing x-zm-request-timestamp or x-zm-signature header")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("x-zm-request-timestamp is not epoch seconds") from None
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise SignatureError("x-zm-signature does not match the body")
    if abs(now.timestamp() - sent_at) > window_s:
        raise SignatureError(f"request timestamp is more than {window_s} s from now (replay)")


def url_validation(secret: str, plain_token: str) -> dict[str, str]:
    """The answer to `endpoint.url_validation`: the token and its HMAC, hex-encoded."""
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}

"""The shared connector infrastructure: retry policy, HTTP client, tokens at rest, field scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from agent.domain.models import FieldRef, ObjectType
from agent.errors import ConfigError, CrmError, TransientError
from connectors.common import (
    ApiClient,
    CrmTransientError,
    FieldScope,
    OAuthSession,
    OAuthToken,
    OutcomeUnknown,
    RetryPolicy,
    StaticToken,
    TokenStore,
)
from connectors.common.usage import ApiUsage, CrmHealth

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _mapper(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    wait = response.headers.get("Retry-After")
    if response.status_code == 429 or response.status_code >= 500:
        raise CrmTransientError(
            "busy",
            system="t",
            status=response.status_code,
            retry_after=float(wait) if wait else None,
        )
    raise CrmError("refused", system="t", status=response.status_code, code="BAD")


def _client(
    handler: httpx.MockTransport,
    waits: list[float],
    token: StaticToken | OAuthSession | None = None,
) -> ApiClient:
    return ApiClient(
        system="t",
        token=token or StaticToken("tok"),
        raise_for_status=_mapper,
        base_url="http://127.0.0.1:9",
        retry=RetryPolicy(attempts=4, sleep=waits.append),
        http=httpx.Client(transport=handler),
    )


def _script(
    *replies: httpx.Response | Exception,
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(replies)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return httpx.MockTransport(handle), seen


def test_rate_limit_waits_at_least_retry_after_then_succeeds() -> None:
    transport, seen = _script(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"ok": 1})
    )
    waits: list[float] = []
    assert _client(transport, waits).request("GET", "/x").json() == {"ok": 1}
    assert len(seen) == 2
    assert waits[0] >= 7


def test_validation_errors_are_never_retried() -> None:
    transport, seen = _script(httpx.Response(400), httpx.Response(200))
    waits: list[float] = []
    with pytest.raises(CrmError):
        _client(transport, waits).request("PATCH", "/x", json={})
    assert len(seen) == 1
    assert waits == []


def test_server_errors_back_off_exponentially_then_give_up() -> None:
    transport, seen = _script(*(httpx.Response(503) for _ in range(4)))
    waits: list[float] = []
    with pytest.raises(CrmTransientError):
        _client(transport, waits).request("GET", "/x")
    assert len(seen) == 4
    assert len(waits) == 3
    assert all(0 <= w <= 0.5 * 2**i for i, w in enumerate(waits))


def test_a_lost_answer_to_a_write_is_not_retried_blindly() -> None:
    transport, seen = _script(httpx.ReadTimeout("lost"), httpx.Response(200))
    with pytest.raises(OutcomeUnknown):
        _client(transport, []).request("POST", "/x", json={})
    assert len(seen) == 1
    transport, seen = _script(httpx.Response(500), httpx.Response(200))
    with pytest.raises(OutcomeUnknown):
        _client(transport, []).request("PATCH", "/x", json={})
    assert len(seen) == 1


def test_a_lost_answer_to_a_read_or_a_request_never_sent_is_retried() -> None:
    transport, seen = _script(httpx.ReadTimeout("lost"), httpx.Response(200, json={}))
    _client(transport, []).request("GET", "/x")
    transport, seen2 = _script(httpx.ConnectTimeout("no"), httpx.Response(201, json={}))
    _client(transport, []).request("POST", "/x", json={})
    assert (len(seen), len(seen2)) == (2, 2)


def test_a_401_refreshes_the_token_once() -> None:
    issued: list[str] = []

    def fetch(last: OAuthToken | None) -> OAuthToken:
        issued.append(f"tok{len(issued)}")
        return OAuthToken(access_token=issued[-1], refresh_token="r")

    transport, seen = _script(httpx.Response(401), httpx.Response(200, json={}))
    _client(transport, [], OAuthSession(fetch=fetch, now=lambda: NOW)).request("GET", "/x")
    assert [r.headers["Authorization"] for r in seen] == ["Bearer tok0", "Bearer tok1"]
    transport, seen = _script(httpx.Response(401), httpx.Response(401))
    with pytest.raises(CrmError):
        _client(transport, [], OAuthSession(fetch=fetch, now=lambda: NOW)).request("GET", "/x")
    assert len(seen) == 2


def test_tokens_refresh_before_expiry_and_keep_the_refresh_token() -> None:
    now = [NOW]
    calls: list[OAuthToken | None] = []

    def fetch(last: OAuthToken | None) -> OAuthToken:
        calls.append(last)
        return OAuthToken(
            access_token=f"a{len(calls)}",
            refresh_token="r1" if last is None else None,
            expires_at=now[0] + timedelta(minutes=30),
        )

    session = OAuthSession(fetch=fetch, now=lambda: now[0], skew=timedelta(minutes=5))
    assert session.current().access_token == "a1"
    now[0] += timedelta(minutes=20)
    assert session.current().access_token == "a1"
    now[0] += timedelta(minutes=6)
    token = session.current()
    assert token.access_token == "a2"
    assert token.refresh_token == "r1"
    assert session.expires_at == now[0] + timedelta(minutes=30)


def test_tokens_are_encrypted_at_rest(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    store = TokenStore(tmp_path / "sf.fernet", key=key)
    token = OAuthToken(access_token="secret-access", refresh_token="secret-refresh", expires_at=NOW)
    session = OAuthSession(
        fetch=lambda last: token, store=store, now=lambda: NOW - timedelta(hours=1)
    )
    session.current()
    raw = store.path.read_bytes()
    assert b"secret" not in raw
    assert TokenStore(store.path, key=key).load() == token
    with pytest.raises(ConfigError, match="another ENGAGE_SECRET_KEY"):
        TokenStore(store.path, key=Fernet.generate_key().decode()).load()
    with pytest.raises(ConfigError, match="ENGAGE_SECRET_KEY"):
        TokenStore(store.path, key="not a key")


def test_scope_refuses_reads_and_writes_outside_it() -> None:
    scope = FieldScope.default("t", writable=["deal.amount"])
    assert scope.check_write(ObjectType.DEAL, {"amount": 5.0}) == {"deal.amount": 5.0}
    with pytest.raises(CrmError, match="write scope"):
        scope.check_write(ObjectType.DEAL, {"stage": "Won"})
    with pytest.raises(CrmError, match="not a number"):
        scope.check_write(ObjectType.DEAL, {"amount": "5"})
    with pytest.raises(CrmError, match="read scope"):
        scope.check_read([FieldRef(object_type=ObjectType.DEAL, object_id="1", field="deal.x")])
    with pytest.raises(CrmError, match="does not belong"):
        scope.check_read(
            [FieldRef(object_type=ObjectType.DEAL, object_id="1", field="contact.email")]
        )


def test_health_alerts_on_a_quota_nearly_spent() -> None:
    health = CrmHealth(
        system="t",
        usage=(ApiUsage(name="daily", used=95, limit=100, at=NOW),),
        token_expires_at=NOW - timedelta(minutes=1),
        token_refreshable=False,
        requests_sent=3,
    )
    assert health.alerts(NOW) == [
        "t daily at 95/100",
        f"t access token expired at {NOW - timedelta(minutes=1)}",
    ]


def test_transient_errors_carry_retry_after() -> None:
    error = CrmTransientError("x", system="t", status=429, retry_after=3.0)
    assert isinstance(error, TransientError)
    assert error.retry_after == 3.0

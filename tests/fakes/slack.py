"""A fake Slack that speaks its wire format: the Web API methods Engage calls, and the signed
interactive requests Slack sends back when a rep clicks a button or submits a modal.

Web API: `POST /api/{method}` with a JSON body (or `GET` with query parameters for the
`users.*` readers), `Authorization: Bearer xoxb-…`; every answer is HTTP 200 with `{"ok": true,
…}` or `{"ok": false, "error": "…"}`, except a rate limit (429 with `Retry-After`). Messages are
checked against Block Kit's limits, so a card Slack would refuse fails here too.

Interactions: `click` and `submit` build the payload Slack would post (form-encoded `payload=`
JSON, signed `v0=HMAC-SHA256(secret, "v0:{ts}:{body}")`) from what the fake actually holds — the
buttons of a message it received, the inputs of a modal it opened — so a test proves the whole
round trip. `app` serves the same behaviour over ASGI for the official `slack_sdk` client.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_TOKEN = "xoxb-fake-bot-token"
SIGNING_SECRET = "fake-signing-secret"
TEAM = {"id": "T0FAKE", "domain": "engage-test"}


@dataclass
class FakeSlack:
    token: str = BOT_TOKEN
    signing_secret: str = SIGNING_SECRET
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    rate_limited: int = 0
    """Answer this many next calls with 429."""
    _triggers: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- set-up -------------------------------------------------------------------------------

    def add_user(self, user_id: str, email: str, name: str = "") -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM["id"],
            "name": name or email.split("@")[0],
            "profile": {"email": email, "real_name": name or email},
        }

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id.removeprefix("U")

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        return [
            m for (channel, _), m in self.messages.items() if channel == self.dm_channel(user_id)
        ]

    # -- the Web API --------------------------------------------------------------------------

    def handle(
        self, method: str, authorization: str, params: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.calls.append(method)
            if self.rate_limited > 0:
                self.rate_limited -= 1
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            if not authorization.startswith("Bearer "):
                return 200, {"ok": False, "error": "not_authed"}, {}
            if authorization.removeprefix("Bearer ").strip() != self.token:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            try:
                return 200, {"ok": True, **handler(params)}, {}
            except SlackRefusal as refusal:
                return 200, {"ok": False, "error": refusal.code}, {}

    def _ts(self) -> str:
        return f"1700000000.{next(self._counter):06d}"

    def _channel(self, channel: str) -> str:
        if channel.startswith("U"):
            if channel not in self.users:
                raise SlackRefusal("channel_not_found")
            return self.dm_channel(channel)
        if channel.startswith("D") and ("U" + channel[1:]) in self.users:
            return channel
        raise SlackRefusal("channel_not_found")

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(params.get("channel", "")))
        blocks = _blocks(params.get("blocks"))
        if not params.get("text") and not blocks:
            raise SlackRefusal("no_text")
        ts = self._ts()
        message = {"type": "message", "ts": ts, "text": params.get("text", ""), "blocks": blocks}
        self.messages[(channel, ts)] = {**message, "channel": channel}
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (str(params.get("channel")), str(params.get("ts")))
        if key not in self.messages:
            raise SlackRefusal("message_not_found")
        blocks = _blocks(params.get("blocks"))
        self.messages[key].update(text=params.get("text", ""), blocks=blocks)
        return {"channel": key[0], "ts": key[1], "text": params.get("text", "")}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(params.get("channel", "")))
        if str(params.get("user")) not in self.users:
            raise SlackRefusal("user_not_in_channel")
        self.ephemeral.append(
            {"channel": channel, "user": params["user"], "text": params.get("text")}
        )
        return {"message_ts": self._ts()}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger = str(params.get("trigger_id", ""))
        if trigger not in self._triggers:
            raise SlackRefusal("invalid_trigger_id")
        self._triggers.discard(trigger)
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackRefusal("invalid_arguments")
        if len(view.get("title", {}).get("text", "")) > 24:
            raise SlackRefusal("invalid_arguments")
        _blocks(view.get("blocks"))
        view_id = f"V{next(self._counter):08d}"
        self.views[view_id] = {**view, "id": view_id}
        return {"view": self.views[view_id]}

    def _users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = str(params.get("email", "")).lower()
        for user in self.users.values():
            if user["profile"]["email"].lower() == wanted:
                return {"user": user}
        raise SlackRefusal("users_not_found")

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user", "")))
        if user is None:
            raise SlackRefusal("user_not_found")
        return {"user": user}

    # -- transports -----------------------------------------------------------------------------

    @property
    def transport(self) -> httpx.MockTransport:
        def respond(request: httpx.Request) -> httpx.Response:
            method = request.url.path.rsplit("/", 1)[-1]
            params = _params(dict(request.url.params), request.headers, request.content)
            status, body, headers = self.handle(
                method, request.headers.get("authorization", ""), params
            )
            return httpx.Response(status, json=body, headers=headers)

        return httpx.MockTransport(respond)

    @property
    def app(self) -> Starlette:
        async def api(request: Request) -> JSONResponse:
            body = await request.body()
            params = _params(dict(request.query_params), request.headers, body)
            status, answer, headers = self.handle(
                request.path_params["method"], request.headers.get("authorization", ""), params
            )
            return JSONResponse(answer, status_code=status, headers=headers)

        return Starlette(routes=[Route("/api/{method}", api, methods=["GET", "POST"])])

    # -- what Slack posts back ------------------------------------------------------------------

    def _trigger(self) -> str:
        trigger = f"{next(self._counter)}.{TEAM['id']}.trigger"
        self._triggers.add(trigger)
        return trigger

    def click(
        self, user_id: str, message: dict[str, Any], action_id: str, *, block_id: str
    ) -> dict[str, Any]:
        """The `block_actions` payload of `user_id` pressing a button of a message Slack holds."""
        block = next((b for b in message["blocks"] if b.get("block_id") == block_id), None)
        if block is None:
            raise AssertionError(f"the message has no block {block_id}")
        button = next(e for e in block["elements"] if e["action_id"] == action_id)
        user = self.users[user_id]
        return {
            "type": "block_actions",
            "team": TEAM,
            "user": {
                "id": user_id,
                "username": user["name"],
                "name": user["name"],
                "team_id": TEAM["id"],
            },
            "api_app_id": "A0FAKE",
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": message["channel"],
                "is_ephemeral": False,
            },
            "trigger_id": self._trigger(),
            "channel": {"id": message["channel"], "name": "directmessage"},
            "message": {k: message[k] for k in ("type", "ts", "text", "blocks")},
            "response_url": f"https://hooks.slack.com/actions/{TEAM['id']}/1/fake",
            "actions": [{**button, "block_id": block_id, "action_ts": "1700000001.000001"}],
        }

    def submit(self, user_id: str, view_id: str, values: dict[str, str]) -> dict[str, Any]:
        """The `view_submission` payload of a modal the fake opened, with typed input values."""
        view = self.views[view_id]
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block.get("type") == "input":
                element = block["element"]
                state[block["block_id"]] = {
                    element["action_id"]: {
                        "type": element["type"],
                        "value": values.get(block["block_id"]),
                    }
                }
        user = self.users[user_id]
        return {
            "type": "view_submission",
            "team": TEAM,
            "user": {
                "id": user_id,
                "username": user["name"],
                "name": user["name"],
                "team_id": TEAM["id"],
            },
            "api_app_id": "A0FAKE",
            "trigger_id": self._trigger(),
            "view": {**view, "state": {"values": state}, "hash": "1700000002.fake"},
        }

    def signed(
        self, payload: dict[str, Any], *, timestamp: int, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The request Slack sends: the form body and its signature headers."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        key = (secret or self.signing_secret).encode()
        base = b"v0:" + str(timestamp).encode() + b":" + body
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": "v0=" + hmac.new(key, base, hashlib.sha256).hexdigest(),
        }
        return body, headers


class SlackRefusal(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _params(query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = dict(query)
    content_type = str(headers.get("content-type", ""))
    if body and content_type.startswith("application/json"):
        params.update(json.loads(body))
    elif body:
        params.update(dict(parse_qsl(body.decode())))
    return params


def _blocks(raw: Any) -> list[dict[str, Any]]:
    """Block Kit's limits, as Slack enforces them (`invalid_blocks`)."""
    if raw is None:
        return []
    blocks = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(blocks, list) or len(blocks) > 50:
        raise SlackRefusal("invalid_blocks")
    block_ids: set[str] = set()
    for block in blocks:
        if not isinstance(block, dict) or "type" not in block:
            raise SlackRefusal("invalid_blocks")
        if (block_id := block.get("block_id")) is not None:
            if block_id in block_ids or len(block_id) > 255:
                raise SlackRefusal("invalid_blocks")
            block_ids.add(block_id)
        text = (block.get("text") or {}).get("text", "")
        limit = 150 if block["type"] == "header" else 3000
        if len(text) > limit:
            raise SlackRefusal("invalid_blocks")
        action_ids = [
            e.get("action_id") for e in block.get("elements", []) if e.get("type") == "button"
        ]
        if len(action_ids) != len(set(action_ids)):
            raise SlackRefusal("invalid_blocks")
        for element in block.get("elements", []):
            if element.get("type") == "button" and len(str(element.get("value", ""))) > 2000:
                raise SlackRefusal("invalid_blocks")
    return blocks

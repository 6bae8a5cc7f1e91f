"""A fake OpenAI-compatible chat-completions server that answers from a script.

It speaks the real wire format (`chat.completion` objects, OpenAI's error bodies and status codes,
`Retry-After` on 429) so the real `openai` SDK can talk to it over a real socket, and it is picky
the way the real service is: a request without a bearer token, a model or messages, or whose
response format is not a strict JSON schema whose every object is closed and whose `field` enum
names only writable fields, is refused with a 400 before any scripted answer is spent. Every
request is recorded for assertions.

Typical use::

    script = FakeScript([rate_limited(retry_after=2), answer(extraction(...))])
    with running_fake_openai(script) as base_url:
        client = openai.OpenAI(api_key="sk-test", base_url=base_url)

The script side (replies, payload builders) lives in `tests.fakes.openai_script` and is
re-exported here, so tests import everything from this module.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.openai_script import (
    DEFAULT_WRITABLE,
    INJECTED_SEGMENT,
    SAMPLE_SEGMENTS,
    FakeScript,
    RecordedRequest,
    Reply,
    answer,
    bad_request,
    error_reply,
    extraction,
    field_update,
    hang,
    hostile_answer,
    invalid_json,
    invented_evidence_answer,
    next_step,
    out_of_schema_answer,
    rate_limited,
    raw_answer,
    refusal,
    sample_answer,
    sample_call,
    server_error,
)

__all__ = [
    "DEFAULT_WRITABLE",
    "INJECTED_SEGMENT",
    "SAMPLE_SEGMENTS",
    "FakeScript",
    "RecordedRequest",
    "Reply",
    "answer",
    "bad_request",
    "check_request",
    "create_fake_openai",
    "error_reply",
    "extraction",
    "field_update",
    "hang",
    "hostile_answer",
    "invalid_json",
    "invented_evidence_answer",
    "next_step",
    "out_of_schema_answer",
    "rate_limited",
    "raw_answer",
    "refusal",
    "running_fake_openai",
    "sample_answer",
    "sample_call",
    "server_error",
    "strict_schema_problem",
]

STRICT_FORBIDDEN_KEYWORDS = frozenset(
    {"default", "allOf", "not", "if", "then", "else", "patternProperties", "dependentSchemas"}
)
_SCHEMA_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


# Request checks ---------------------------------------------------------------------------------


def check_request(body: Any, script: FakeScript) -> tuple[str | None, str | None]:
    """Why OpenAI would refuse this body (message, param), or (None, None) when it is fine."""
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request.", None
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter", "model"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array.", "messages"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            return f"Invalid value for 'messages[{i}].role'.", f"messages[{i}].role"
        if not isinstance(message.get("content"), str):
            return f"Missing content in 'messages[{i}]'.", f"messages[{i}].content"
    return _check_response_format(body.get("response_format"), messages, script), "response_format"


def _check_response_format(fmt: Any, messages: list[Any], script: FakeScript) -> str | None:
    if not isinstance(fmt, dict):
        return "this fake requires 'response_format' (structured output)"
    if fmt.get("type") == "json_object" and script.allow_json_object:
        said_json = any("json" in m["content"].lower() for m in messages)
        return (
            None
            if said_json
            else (
                "'messages' must contain the word 'json' in some form, to use 'response_format' of "
                "type 'json_object'."
            )
        )
    if fmt.get("type") != "json_schema":
        return f"Invalid value for 'response_format.type': {fmt.get('type')!r}."
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict) or not _SCHEMA_NAME.fullmatch(str(spec.get("name", ""))):
        return "Invalid 'response_format.json_schema.name'."
    if spec.get("strict") is not True:
        return "this fake requires 'response_format.json_schema.strict' to be true"
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        return "Missing 'response_format.json_schema.schema'."
    problem = strict_schema_problem(schema, script.writable_fields)
    return (
        None
        if problem is None
        else f"Invalid schema for response_format '{spec['name']}': {problem}"
    )


def strict_schema_problem(schema: Mapping[str, Any], writable: frozenset[str]) -> str | None:
    """The first way `schema` breaks strict mode or the field policy, in OpenAI's wording."""
    field_enums: list[Any] = []
    for context, node in _walk(schema, ()):
        bad = sorted(STRICT_FORBIDDEN_KEYWORDS & node.keys())
        if bad:
            return f"In context={context}, '{bad[0]}' is not permitted."
        if node.get("type") == "object" or "properties" in node:
            if node.get("additionalProperties") is not False:
                return (
                    f"In context={context}, 'additionalProperties' is required to be supplied "
                    "and to be false."
                )
            props = node.get("properties", {})
            missing = [key for key in props if key not in node.get("required", [])]
            if missing:
                return (
                    f"In context={context}, 'required' is required to be supplied and to be an "
                    f"array including every key in properties. Missing '{missing[0]}'."
                )
            if "field" in props:
                field_enums.append(props["field"].get("enum"))
    if not field_enums:
        return "the schema does not constrain 'field' (engage policy check)."
    for enum in field_enums:
        if not isinstance(enum, list) or not enum:
            return "'field' must be an enum of writable fields (engage policy check)."
        outside = sorted(set(enum) - writable)
        if outside:
            return f"'field' enum names non-writable fields {outside} (engage policy check)."
    return None


def _walk(node: Any, context: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every subschema with its path, the way OpenAI names a context in its error messages."""
    if not isinstance(node, dict):
        return
    yield context, node
    for key, value in node.items():
        if key in {"properties", "$defs", "definitions"} and isinstance(value, dict):
            for name, sub in value.items():
                yield from _walk(sub, (*context, key, name))
        elif key in {"items", "additionalProperties"}:
            yield from _walk(value, (*context, key))
        elif key in {"anyOf", "oneOf", "allOf", "prefixItems"} and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from _walk(sub, (*context, key, str(i)))


# The app ----------------------------------------------------------------------------------------


def _error(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    type_: str = "invalid_request_error",
) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _authorized(request: Request, script: FakeScript) -> JSONResponse | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        return _error(
            401,
            "You didn't provide an API key. You need to provide your API key in "
            "an Authorization header using Bearer auth (i.e. Authorization: Bearer "
            "YOUR_KEY).",
        )
    if script.api_key is not None and header[7:] != script.api_key:
        return _error(401, "Incorrect API key provided.", code="invalid_api_key")
    return None


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    prompt_tokens, completion_tokens = reply.usage
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.content,
        "refusal": reply.refusal,
        "annotations": [],
    }
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_engage_fake",
    }


async def _hold(seconds: float, closing: threading.Event) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not closing.is_set():
        await asyncio.sleep(0.02)


def create_fake_openai(script: FakeScript, *, closing: threading.Event | None = None) -> FastAPI:
    """The fake as an ASGI app; `closing` cuts held requests short when the server stops."""
    app = FastAPI(title="fake-openai")
    stop = closing or threading.Event()

    @app.get("/v1/models")
    async def list_models(request: Request) -> JSONResponse:
        script.record(RecordedRequest(path="/v1/models", headers=dict(request.headers), body=None))
        refused = _authorized(request, script)
        if refused is not None:
            return refused
        data = [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "engage-fake"}
            for m in script.models
        ]
        return JSONResponse({"object": "list", "data": data})

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        return await _chat_completion(request, script, stop)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unknown(request: Request, path: str) -> JSONResponse:
        return _error(404, f"Invalid URL ({request.method} /{path})")

    return app


async def _chat_completion(
    request: Request, script: FakeScript, stop: threading.Event
) -> JSONResponse:
    """Check and record the request, then answer with the next scripted reply."""
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        body = None
    refused = _authorized(request, script)
    message, param = check_request(body, script) if refused is None else (None, None)
    reason = "unauthorized" if refused is not None else message
    script.record(
        RecordedRequest(
            path=request.url.path, headers=dict(request.headers), body=body, refused=reason
        )
    )
    if refused is not None:
        return refused
    if message is not None:
        return _error(400, message, param=param)
    reply = script.pop(body)
    if reply is None:
        return _error(400, "the fake's script has no reply left", code="script_exhausted")
    if reply.hold_s:
        await _hold(reply.hold_s, stop)
    if reply.error is not None:
        return JSONResponse(
            {"error": dict(reply.error)}, status_code=reply.status, headers=dict(reply.headers)
        )
    return JSONResponse(
        _completion(reply, body["model"]),
        status_code=reply.status,
        headers={"x-request-id": f"req_{uuid.uuid4().hex}", **reply.headers},
    )


@contextmanager
def running_fake_openai(script: FakeScript) -> Iterator[str]:
    """Serve the fake on 127.0.0.1 on a free port in a thread; yields the SDK's `base_url`."""
    closing = threading.Event()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_fake_openai(script, closing=closing),
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-openai", daemon=True
    )
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        closing.set()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.01)

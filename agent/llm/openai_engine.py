"""The extraction engine for any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, …).

One call asks for the whole extraction under a strict JSON schema. What can go wrong maps to the
error tree by what the caller should do:

    network error, timeout, 429, 5xx ──► retried here (exponential backoff, full jitter,
                                         Retry-After honoured) ──► still failing: TransientError
    other 4xx                        ──► ExtractionError at once (the request itself is wrong)
    answer fails validation          ──► re-asked once with the errors ──► fails again:
                                         ExtractionError

The SDK's own retries are switched off so there is exactly one retry policy. The engine judges
only the shape of the answer; evidence and values are the validator's (`agent.domain.validate`).
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, cast

import openai
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)
from openai.types.chat.completion_create_params import ResponseFormat
from pydantic import ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_random_exponential,
)

from agent.domain.models import EngineOutput, TokenUsage
from agent.domain.ports import ExtractionRequest
from agent.errors import ConfigError, ExtractionError, TransientError
from agent.llm.prompts import ChatMessage, PromptTemplate, extraction_context
from agent.llm.redaction import Redaction, redact_request
from agent.llm.schemas import (
    ExtractionOutput,
    extraction_json_schema,
    for_grammar,
    to_engine_output,
    validation_context,
    without_length_limits,
)

SCHEMA_NAME = "engage_extraction"
REQUIRED_BLOCKS = ("system", "user", "repair")
TRANSIENT_ERRORS: tuple[type[openai.APIError], ...] = (
    openai.APIConnectionError,
    openai.APITimeoutError,
    openai.RateLimitError,
    openai.InternalServerError,
)
_MAX_REPORTED_ERRORS = 12

Sleep = Callable[[float], None]
StructuredMode = Literal["strict", "prompt", "grammar"]


class OpenAIEngine:
    """`ExtractionEngine` over the chat-completions API with structured output.

    `structured` picks how the answer's shape is asked for:

    - `strict`: OpenAI structured outputs (`json_schema`, strict), where the endpoint enforces it.
    - `prompt`: for endpoints without JSON-schema support (older models, some vLLM and Ollama
      set-ups): the schema travels in the prompt and the request asks only for a JSON object.
    - `grammar`: as `prompt`, and the schema is also attached to the JSON-object request as
      `schema`, which llama.cpp's and llama-cpp-python's servers compile into a decoding grammar
      (they refuse `json_schema`; llama-cpp-python even answers that with a 500). The attached
      copy is made enforceable by such a grammar (`for_grammar`).

    Pydantic validates every answer whatever the mode, and one re-ask follows a failure.
    `schema_limits=False` strips `maxLength`/`maxItems` from the schema sent to the endpoint, for
    a strict mode that refuses them; Pydantic still enforces them.

    `sleep` is injectable so tests never wait; a `Retry-After` longer than `max_wait` is not
    slept through but raised as `TransientError`, so the job queue can reschedule instead of
    holding a worker.
    """

    def __init__(
        self,
        *,
        client: openai.OpenAI,
        model: str,
        prompt: PromptTemplate,
        max_retries: int = 4,
        structured: StructuredMode = "strict",
        schema_limits: bool = True,
        sleep: Sleep = time.sleep,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        redaction: Redaction | None = None,
    ) -> None:
        missing = [block for block in REQUIRED_BLOCKS if not prompt.has_block(block)]
        if missing:
            raise ConfigError(f"prompt {prompt.id} ({prompt.path}) lacks blocks: {missing}")
        if max_retries < 0:
            raise ConfigError(f"max_retries must be 0 or more, not {max_retries}")
        self._client = client.with_options(max_retries=0)
        self._model = model
        self._prompt = prompt
        self._structured = structured
        self._schema_limits = schema_limits
        self._redaction = redaction if redaction is not None and redaction.active else None
        self._retry = _RetryPolicy(
            attempts=max_retries + 1, sleep=sleep, backoff=backoff, max_wait=max_wait
        )

    @property
    def name(self) -> str:
        return "openai"

    @property
    def model(self) -> str:
        return self._model

    @property
    def prompt(self) -> PromptTemplate:
        return self._prompt

    def extract(self, request: ExtractionRequest) -> EngineOutput:
        """Personal data is redacted from what is sent (`agent.llm.redaction`) and restored in
        the answer before it is handed on."""
        started = time.perf_counter()
        schema = extraction_json_schema(request.policy)
        in_prompt = None if self._structured == "strict" else schema
        sent, marks = (
            redact_request(request, self._redaction) if self._redaction else (request, None)
        )
        messages = self._prompt.render(**extraction_context(sent, output_schema=in_prompt))
        response_format = response_format_for(
            self._structured, schema, schema_limits=self._schema_limits
        )
        context = validation_context(request.policy)
        usage = TokenUsage()

        content, usage = self._ask(messages, response_format, usage)
        repaired = False
        try:
            output = ExtractionOutput.model_validate_json(content, context=context)
        except ValidationError as first:
            repaired = True
            error = describe_validation_error(first)
            messages = [
                *messages,
                ChatMessage(role="assistant", content=content),
                ChatMessage(role="user", content=self._prompt.render_block("repair", error=error)),
            ]
            content, usage = self._ask(messages, response_format, usage)
            try:
                output = ExtractionOutput.model_validate_json(content, context=context)
            except ValidationError as second:
                raise ExtractionError(
                    f"{self._model} answered outside the schema twice; last errors:\n"
                    f"{describe_validation_error(second)}"
                ) from second
        if marks is not None:
            output = ExtractionOutput.model_validate(
                marks.reveal_all(output.model_dump()), context=context
            )
        return to_engine_output(
            output,
            transcript=request.transcript,
            engine=self.name,
            model=self._model,
            prompt_version=self._prompt.id,
            usage=usage,
            latency_s=time.perf_counter() - started,
            repaired=repaired,
        )

    def _ask(
        self, messages: Sequence[ChatMessage], response_format: ResponseFormat, usage: TokenUsage
    ) -> tuple[str, TokenUsage]:
        """One completion through the retry policy: its text and the usage so far."""
        completion = self._retry.call(
            lambda: self._client.chat.completions.create(
                model=self._model,
                messages=[_sdk_message(message) for message in messages],
                temperature=0,
                response_format=response_format,
            )
        )
        if completion.usage is not None:
            usage = TokenUsage(
                prompt=usage.prompt + completion.usage.prompt_tokens,
                completion=usage.completion + completion.usage.completion_tokens,
            )
        return _content(completion), usage


class _RetryPolicy:
    """The one retry policy for calls to the endpoint, and the mapping of SDK errors to ours."""

    def __init__(self, *, attempts: int, sleep: Sleep, backoff: float, max_wait: float) -> None:
        self._attempts = attempts
        self._sleep = sleep
        self._max_wait = max_wait
        self._jitter = wait_random_exponential(multiplier=backoff, max=max_wait)

    def call(self, create: Callable[[], ChatCompletion]) -> ChatCompletion:
        retrying = Retrying(
            retry=retry_if_exception_type(TRANSIENT_ERRORS),
            stop=self._stop,
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(create)
        except TRANSIENT_ERRORS as exc:
            attempts = retrying.statistics.get("attempt_number", self._attempts)
            raise TransientError(
                f"the model endpoint still fails after {attempts} attempt(s): {_describe(exc)}",
                retry_after=retry_after(exc),
            ) from exc
        except openai.APIStatusError as exc:
            raise ExtractionError(
                f"the model endpoint refused the request (HTTP {exc.status_code}): {_describe(exc)}"
            ) from exc
        except openai.APIError as exc:
            raise ExtractionError(f"the model endpoint failed: {_describe(exc)}") from exc

    def _wait(self, state: RetryCallState) -> float:
        hinted = retry_after(state.outcome.exception()) if state.outcome else None
        if hinted is not None:
            return hinted
        return float(self._jitter(state))

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self._attempts:
            return True
        hinted = retry_after(state.outcome.exception()) if state.outcome else None
        return hinted is not None and hinted > self._max_wait


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, then `retry-after`), if it did."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    millis = _seconds(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    raw = headers.get("retry-after")
    seconds = _seconds(raw)
    if seconds is not None or raw is None:
        return seconds
    try:
        moment = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def describe_validation_error(exc: ValidationError) -> str:
    """The errors as short lines a model can act on (no URLs, no echo of its whole answer)."""
    lines = []
    for error in exc.errors(include_url=False)[:_MAX_REPORTED_ERRORS]:
        where = ".".join(str(part) for part in error["loc"]) or "(whole answer)"
        lines.append(f"- {where}: {error['msg']}")
    hidden = exc.error_count() - _MAX_REPORTED_ERRORS
    if hidden > 0:
        lines.append(f"- and {hidden} more")
    return "\n".join(lines)


def _seconds(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _describe(exc: openai.APIError) -> str:
    kind = f" [{exc.code}]" if exc.code else ""
    return f"{exc.message}{kind}"


def response_format_for(
    structured: StructuredMode, schema: dict[str, Any], *, schema_limits: bool
) -> ResponseFormat:
    """The `response_format` the engine sends in `structured` mode (public so a test against a
    real server can send exactly this)."""
    if structured == "prompt":
        return {"type": "json_object"}
    if not schema_limits:
        schema = without_length_limits(schema)
    if structured == "grammar":
        # Not in OpenAI's types: the llama.cpp family reads a `schema` beside `json_object`.
        return cast(ResponseFormat, {"type": "json_object", "schema": for_grammar(schema)})
    return {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": schema},
    }


def _sdk_message(message: ChatMessage) -> ChatCompletionMessageParam:
    role, content = message["role"], message["content"]
    if role == "system":
        return ChatCompletionSystemMessageParam(role="system", content=content)
    if role == "assistant":
        return ChatCompletionAssistantMessageParam(role="assistant", content=content)
    return ChatCompletionUserMessageParam(role="user", content=content)


def _content(completion: ChatCompletion) -> str:
    """The answer's text. A refusal is final; an empty or cut-off answer goes to the re-ask."""
    if not completion.choices:
        raise ExtractionError("the model endpoint returned no choices")
    message = completion.choices[0].message
    if message.refusal:
        raise ExtractionError(f"the model refused: {message.refusal}")
    return message.content or ""

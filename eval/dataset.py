"""Load the eval dataset (JSONL, one call per line) and turn each call into the service's types.

A gold label that cannot be scored (a stage outside the call's own pipeline, an amount written as
text, a contact update for somebody who is not on the deal) would silently skew every figure, so
each line is checked in full and the first problem is reported with its file and line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from agent.domain.fields import DEFAULT_POLICY, FieldKind, FieldPolicy
from agent.domain.models import (
    Account,
    Contact,
    CrmContext,
    Deal,
    FieldValueT,
    ObjectType,
    Transcript,
)
from agent.domain.transcripts import parse_transcript
from agent.errors import InputError, TranscriptFormatError

UNSCORED_FIELDS = frozenset({"deal.next_step"})
"""Free-text restatements of the next steps; the next-steps metric scores that content instead."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CLOSED = re.compile(r"\b(won|lost|closed)\b", re.IGNORECASE)


class DatasetError(InputError):
    """A dataset or predictions line that cannot be scored; the message names file and line."""


@dataclass(frozen=True, kw_only=True)
class GoldUpdate:
    field: str
    value: FieldValueT
    contact: str | None = None


@dataclass(frozen=True, kw_only=True)
class Step:
    """A next step as gold or as predicted: `owner` is `rep`, `customer` or a person's name."""

    owner: str
    action: str
    due: str | None = None


@dataclass(frozen=True, kw_only=True)
class Gold:
    field_updates: tuple[GoldUpdate, ...]
    unchanged: tuple[str, ...]
    next_steps: tuple[Step, ...]
    key_points: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class EvalCall:
    id: str
    line: int
    transcript: Transcript
    context: CrmContext
    meeting_date: date
    gold: Gold


class _Line:
    """Check helpers bound to one line, so every message carries its place."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, what: str) -> DatasetError:
        return DatasetError(f"{self.where}: {what}")

    def obj(self, value: object, name: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{name} must be an object")
        return value

    def items(self, value: object, name: str, *, min_items: int = 0) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(f"{name} must be a list")
        if len(value) < min_items:
            raise self.fail(f"{name} needs at least {min_items} item(s)")
        return value

    def text(self, value: object, name: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{name} must be a non-empty string")
        return value.strip()

    def number(self, value: object, name: str, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{name} must be a number, got {value!r}")
        return float(value)

    def iso_date(self, value: object, name: str, *, optional: bool = False) -> date | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise self.fail(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(f"{name} is not a real date: {value!r}") from None


def load_dataset(path: Path, *, policy: FieldPolicy = DEFAULT_POLICY) -> list[EvalCall]:
    """Every call of a JSONL file, in file order; blank lines are skipped, ids must be unique."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"cannot read dataset {path}: {exc.strerror or exc}") from None
    calls: list[EvalCall] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        call = parse_call(raw, where=f"{path}:{number}", line=number, policy=policy)
        if call.id in seen:
            raise DatasetError(
                f"{path}:{number}: id {call.id!r} already used on line {seen[call.id]}"
            )
        seen[call.id] = number
        calls.append(call)
    if not calls:
        raise DatasetError(f"{path}: the dataset has no calls")
    return calls


def parse_call(
    raw: str, *, where: str, line: int, policy: FieldPolicy = DEFAULT_POLICY
) -> EvalCall:
    """One dataset line as an `EvalCall`, or a `DatasetError` naming what is wrong and where."""
    check = _Line(where)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise check.fail(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    data = check.obj(data, "the line")
    call_id = check.text(data.get("id"), "id") or ""
    if not _ID.match(call_id):
        raise check.fail(f"id {call_id!r} may hold only letters, digits, '.', '_' and '-'")
    check = _Line(f"{where} ({call_id})")
    context = _context(check, check.obj(data.get("crm_context"), "crm_context"), call_id)
    return EvalCall(
        id=call_id,
        line=line,
        transcript=_transcript(check, data.get("transcript")),
        context=context,
        meeting_date=check.iso_date(data.get("meeting_date"), "meeting_date") or date.min,
        gold=_gold(check, check.obj(data.get("expected"), "expected"), context, policy),
    )


def _transcript(check: _Line, value: object) -> Transcript:
    """Checked here for a line-numbered message, then read by the service's own parser."""
    checked: list[dict[str, object]] = []
    previous = 0.0
    for i, item in enumerate(check.items(value, "transcript", min_items=1)):
        seg = check.obj(item, f"transcript[{i}]")
        start = check.number(seg.get("start", 0.0), f"transcript[{i}].start") or 0.0
        if start < previous:
            raise check.fail(f"transcript[{i}].start goes back in time")
        previous = start
        checked.append(
            {
                "speaker": check.text(seg.get("speaker"), f"transcript[{i}].speaker"),
                "text": check.text(seg.get("text"), f"transcript[{i}].text"),
                "start": start,
                "end": check.number(seg.get("end"), f"transcript[{i}].end", optional=True),
            }
        )
    try:
        return parse_transcript(json.dumps(checked), fmt="json")
    except TranscriptFormatError as exc:
        raise check.fail(f"transcript: {exc}") from None


def _context(check: _Line, ctx: Mapping[str, Any], call_id: str) -> CrmContext:
    stages = tuple(
        check.text(s, "crm_context.stages[]") or ""
        for s in check.items(ctx.get("stages"), "crm_context.stages", min_items=2)
    )
    if len(set(stages)) != len(stages):
        raise check.fail("crm_context.stages has a duplicate")
    acc = check.obj(ctx.get("account"), "crm_context.account")
    account = Account(
        id=f"A-{call_id}",
        name=check.text(acc.get("name"), "crm_context.account.name") or "",
        domain=check.text(acc.get("domain"), "crm_context.account.domain", optional=True),
    )
    contacts = tuple(
        _contact(check, check.obj(c, f"crm_context.contacts[{i}]"), i)
        for i, c in enumerate(check.items(ctx.get("contacts"), "crm_context.contacts"))
    )
    if len({c.email for c in contacts}) != len(contacts):
        raise check.fail("crm_context.contacts has a duplicate email")
    return CrmContext(
        deal=_deal(check, ctx, account, stages), account=account, contacts=contacts, stages=stages
    )


def _deal(check: _Line, ctx: Mapping[str, Any], account: Account, stages: tuple[str, ...]) -> Deal:
    deal = check.obj(ctx.get("deal"), "crm_context.deal")
    stage = check.text(deal.get("stage"), "crm_context.deal.stage") or ""
    if stage not in stages:
        raise check.fail(f"crm_context.deal.stage {stage!r} is not one of the call's stages")
    competitors = deal.get("competitors", [])
    names = [
        check.text(c, "crm_context.deal.competitors[]") or ""
        for c in check.items(competitors, "crm_context.deal.competitors")
    ]
    return Deal(
        id=f"D-{account.id.removeprefix('A-')}",
        name=check.text(deal.get("name"), "crm_context.deal.name", optional=True)
        or f"{account.name} deal",
        account_id=account.id,
        stage=stage,
        amount=check.number(deal.get("amount"), "crm_context.deal.amount", optional=True),
        currency=check.text(deal.get("currency"), "crm_context.deal.currency", optional=True)
        or "USD",
        close_date=check.iso_date(
            deal.get("close_date"), "crm_context.deal.close_date", optional=True
        ),
        next_step=check.text(deal.get("next_step"), "crm_context.deal.next_step", optional=True),
        competitors=tuple(names),
        is_closed=bool(_CLOSED.search(stage)),
    )


def _contact(check: _Line, c: Mapping[str, Any], i: int) -> Contact:
    email = (check.text(c.get("email"), f"crm_context.contacts[{i}].email") or "").lower()
    if "@" not in email:
        raise check.fail(f"crm_context.contacts[{i}].email is not an email: {email!r}")
    name = check.text(c.get("name"), f"crm_context.contacts[{i}].name", optional=True)
    return Contact(
        id=f"C-{email}",
        name=name or email.split("@", 1)[0].replace(".", " ").title(),
        email=email,
        title=check.text(c.get("title"), f"crm_context.contacts[{i}].title", optional=True),
        phone=check.text(c.get("phone"), f"crm_context.contacts[{i}].phone", optional=True),
        role=check.text(c.get("role"), f"crm_context.contacts[{i}].role", optional=True),
    )


def _gold(check: _Line, exp: Mapping[str, Any], context: CrmContext, policy: FieldPolicy) -> Gold:
    updates = tuple(
        _gold_update(check, check.obj(u, f"expected.field_updates[{i}]"), i, context, policy)
        for i, u in enumerate(check.items(exp.get("field_updates"), "expected.field_updates"))
    )
    keys = [(u.field, u.contact) for u in updates]
    if len(set(keys)) != len(keys):
        raise check.fail("expected.field_updates names the same field (and contact) twice")
    unchanged = tuple(
        check.text(f, "expected.unchanged[]") or ""
        for f in check.items(exp.get("unchanged"), "expected.unchanged")
    )
    for name in unchanged:
        if policy.spec(name) is None:
            raise check.fail(f"expected.unchanged names an unknown field {name!r}")
        if any(u.field == name for u in updates):
            raise check.fail(f"{name} is both updated and listed as unchanged")
    return Gold(
        field_updates=updates,
        unchanged=unchanged,
        next_steps=tuple(
            _step(check, check.obj(s, f"expected.next_steps[{i}]"), f"expected.next_steps[{i}]")
            for i, s in enumerate(check.items(exp.get("next_steps"), "expected.next_steps"))
        ),
        key_points=tuple(
            check.text(k, "expected.key_points[]") or ""
            for k in check.items(exp.get("key_points"), "expected.key_points")
        ),
    )


def _step(check: _Line, step: Mapping[str, Any], name: str) -> Step:
    due = check.iso_date(step.get("due"), f"{name}.due", optional=True)
    return Step(
        owner=check.text(step.get("owner"), f"{name}.owner") or "",
        action=check.text(step.get("action"), f"{name}.action") or "",
        due=due.isoformat() if due else None,
    )


def _gold_update(
    check: _Line, u: Mapping[str, Any], i: int, context: CrmContext, policy: FieldPolicy
) -> GoldUpdate:
    name = f"expected.field_updates[{i}]"
    field = check.text(u.get("field"), f"{name}.field") or ""
    spec = policy.spec(field)
    if spec is None or not spec.writable:
        raise check.fail(f"{name}.field {field!r} is not a writable canonical field")
    if field in UNSCORED_FIELDS:
        raise check.fail(f"{field} is not scored as a field update; list it under next_steps")
    contact = check.text(u.get("contact"), f"{name}.contact", optional=True)
    if spec.object_type is ObjectType.CONTACT:
        if contact is None or context.contact_by_email(contact) is None:
            raise check.fail(f"{name} needs a contact that is one of crm_context.contacts")
        contact = contact.lower()
    elif contact is not None:
        raise check.fail(f"{name}: {field} is not a contact field, drop 'contact'")
    value = u.get("value")
    if spec.kind is FieldKind.AMOUNT:
        check.number(value, f"{name}.value")
    elif spec.kind is FieldKind.DATE:
        check.iso_date(value, f"{name}.value")
    elif spec.kind is FieldKind.PICKLIST and value not in context.stages:
        raise check.fail(f"{name}.value {value!r} is not one of the call's stages")
    elif spec.kind is FieldKind.NAME_LIST:
        value = [
            check.text(v, f"{name}.value[]") or "" for v in check.items(value, f"{name}.value")
        ]
    else:
        check.text(value, f"{name}.value")
    return GoldUpdate(field=field, value=_as_field_value(value), contact=contact)


def _as_field_value(value: object) -> FieldValueT:
    if isinstance(value, list):
        return [str(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"not a field value: {value!r}")


def select(calls: Sequence[EvalCall], limit: int | None) -> list[EvalCall]:
    """The first `limit` calls (all when `limit` is None): a slice that is stable across runs."""
    if limit is not None and limit < 1:
        raise DatasetError("--limit must be at least 1")
    return list(calls[:limit] if limit is not None else calls)

"""The field policy file: what RevOps writes is what the model may name and what apply writes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.db import audit_log
from agent.demo import seed_demo_book
from agent.domain.fields import DEFAULT_POLICY, FieldPolicy
from agent.domain.models import ObjectType
from agent.domain.policy_file import PolicyFileError, editable_attributes, parse_policy
from agent.errors import ConfigError
from agent.llm.prompts import WITHHELD, extraction_context
from agent.llm.schemas import extraction_json_schema
from agent.policy import POLICIES_ROOT, load_field_policy
from agent.runtime import Workflow, build_runtime
from agent.services import proposals as proposal_service
from agent.services.apply import apply_proposal
from agent.services.review import Decision
from agent.services.users import find_user
from agent.settings import Settings
from tests.fakes.openai_script import sample_call
from tests.support import FrozenClock

CRMS = ("sandbox", "salesforce", "hubspot", "pipedrive")


def policy_text(crm: str = "sandbox", **overrides: str) -> str:
    """The shipped file for `crm`, with whole field tables replaced by `overrides`."""
    text = (POLICIES_ROOT / f"{crm}.toml").read_text()
    for name, body in overrides.items():
        field = name.replace("__", ".")
        start = text.index(f'[fields."{field}"]')
        end = text.find("\n[", start + 1)
        text = text[:start] + body + (text[end:] if end >= 0 else "\n")
    return text


@pytest.mark.parametrize("crm", CRMS)
def test_each_shipped_file_is_the_built_in_default(crm: str) -> None:
    settings = Settings(ENGAGE_CRM=crm)
    policy = load_field_policy(settings)
    assert policy.source.endswith(f"policies/{crm}.toml")
    assert policy.fields == DEFAULT_POLICY.fields


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("crm = 'sandbox'\n[fields", "not valid TOML"),
        ("[fields.'deal.amount']\nwritable = true\n", "must say which CRM"),
        (policy_text("hubspot"), "written for crm 'hubspot'"),
        ("crm = 'sandbox'\n", "names no field"),
        ("crm = 'sandbox'\nowner = 'x'\n", "unknown top-level key(s) owner"),
        ("crm = 'sandbox'\n[fields.'deal.probability']\nwritable = true\n", "unknown field(s)"),
        ("crm = 'sandbox'\n[fields.'deal.amount']\nwriteable = true\n", "unknown attribute"),
        ("crm = 'sandbox'\n[fields.'deal.amount']\nkind = 'text'\n", "fixed by the catalogue"),
        ("crm = 'sandbox'\n[fields.'deal.amount']\nwritable = 'yes'\n", "true or false"),
        ("crm = 'sandbox'\n[fields.'deal.amount']\nowner = ''\n", "non-empty string"),
        (
            "crm = 'sandbox'\n[fields.'deal.amount']\nreadable = false\nwritable = true\n",
            "must be readable",
        ),
        ("crm = 'sandbox'\n[fields.'deal.amount']\nowner = 'erp'\n", "owned by 'erp'"),
        ("crm = 'sandbox'\n[fields.'deal.amount']\nwritable = false\n", "no field is writable"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(PolicyFileError) as refused:
        parse_policy(text, source="/etc/engage/policy.toml", crm="sandbox")
    message = str(refused.value)
    assert message.startswith("field policy /etc/engage/policy.toml: ")
    assert problem in message


def test_a_field_the_file_leaves_out_is_read_only() -> None:
    text = "crm = 'sandbox'\n[fields.'deal.next_step']\nwritable = true\n"
    policy = parse_policy(text, source="p.toml")
    assert [spec.name for spec in policy.writable] == ["deal.next_step"]
    assert policy.is_readable("deal.amount")
    assert not policy.is_writable("deal.amount")


def test_a_field_owned_by_another_system_may_stay_readable() -> None:
    text = policy_text(deal__amount='[fields."deal.amount"]\nwritable = false\nowner = "erp"\n')
    policy = parse_policy(text, source="p.toml", crm="sandbox")
    spec = policy.spec("deal.amount")
    assert spec is not None
    assert (spec.writable, spec.readable, spec.owner) == (False, True, "erp")


def test_every_attribute_of_the_field_spec_except_the_catalogue_facts_is_editable() -> None:
    editable = set(editable_attributes())
    assert {"readable", "writable", "critical", "owner", "label"} <= editable
    assert not editable & {"name", "object_type", "kind"}


def test_the_model_cannot_name_a_field_the_file_makes_read_only(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(policy_text(deal__amount='[fields."deal.amount"]\nwritable = false\n'))
    policy = load_field_policy(Settings(ENGAGE_FIELD_POLICY=path))
    schema = extraction_json_schema(policy)
    enum = schema["properties"]["field_updates"]["items"]["properties"]["field"]["enum"]
    assert "deal.amount" not in enum
    assert "deal.stage" in enum


def test_a_field_the_model_may_not_read_is_withheld_from_its_prompt() -> None:
    text = policy_text(
        deal__amount='[fields."deal.amount"]\nreadable = false\nwritable = false\n',
        contact__phone='[fields."contact.phone"]\nreadable = false\nwritable = false\n',
    )
    policy = parse_policy(text, source="p.toml", crm="sandbox")
    context = extraction_context(sample_call(policy))
    assert context["deal"]["amount"] == WITHHELD
    assert all(c["phone"] == WITHHELD for c in context["contacts"])
    assert "90000" not in str(context)


def test_a_bad_policy_file_stops_the_cli_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("crm = 'sandbox'\n[fields.'deal.amount']\ncritical = 'very'\n")
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_FIELD_POLICY", str(path))
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"engage: field policy {path}: deal.amount: critical must be true or false, not 'very'"
    )
    monkeypatch.setenv("ENGAGE_FIELD_POLICY", str(tmp_path / "missing.toml"))
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 2
    assert "ENGAGE_FIELD_POLICY: no file" in result.stderr


def test_apply_refuses_a_field_that_became_read_only_after_approval(
    tmp_path: Path, clock: FrozenClock
) -> None:
    settings = Settings(
        ENGAGE_HOME=tmp_path / "home",
        DATABASE_URL=f"sqlite:///{tmp_path / 'engage.sqlite3'}",
        ENGAGE_ENGINE="rules",
    )
    rt = build_runtime(settings, clock=clock)
    try:
        setup = seed_demo_book(rt)
        with rt.db.session() as session:
            views = proposal_service.list_proposals(session, actor=None)
        proposal = next(v for v in views if any(c.field == "deal.amount" for c in v.changes))
        change = next(c for c in proposal.changes if c.field == "deal.amount")
        before = rt.crm.get_record(ObjectType(change.object_type), change.object_id)
        with rt.db.session() as session:
            rep = find_user(session, email=setup.rep_email)
        rt.runner = _NoJobs()
        Workflow(rt).approve(
            proposal_id=proposal.id,
            actor=rep,
            approve_all=False,
            decisions=[Decision(change_id=change.id)],
        )
        narrowed = FieldPolicy(
            fields=tuple(
                replace(s, writable=False) if s.name == "deal.amount" else s
                for s in DEFAULT_POLICY.fields
            ),
            source="revops.toml",
        )
        report = apply_proposal(
            db=rt.db,
            crm=rt.crm,
            proposal_id=proposal.id,
            clock=rt.clock,
            locks=rt.locks,
            policy=narrowed,
        )
        assert report.failed == [change.id]
        with rt.db.session() as session:
            after = proposal_service.get_proposal(session, proposal.id, None)
            assert list(audit_log.entries(session)) == []
        row = next(c for c in after.changes if c.id == change.id)
        assert row.status == "failed"
        assert row.error == "deal.amount is not writable under the field policy (revops.toml)"
        assert rt.crm.get_record(ObjectType(change.object_type), change.object_id) == before
    finally:
        rt.close()


class _NoJobs:
    """Holds submitted jobs back, so the test runs apply itself with its own policy."""

    def submit(self, kind: str, payload: object, *, dedupe_key: str | None = None) -> str:
        return "held"

    def wake(self, job_id: str) -> None:
        return None

    def stop(self) -> None:
        return None


def test_a_config_error_names_the_setting_for_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ENGAGE_FIELD_POLICY: cannot read"):
        load_field_policy(Settings(ENGAGE_FIELD_POLICY=tmp_path))

"""The CRM port's conformance suite, written once and run unchanged against every adapter.

An adapter's test module subclasses `CrmContract` (whose name keeps pytest from collecting the base
itself) and provides the fixtures:

    crm          a fresh CrmPort over a seeded book, writing with the default field policy
    deal_id      an open deal of that book whose account has at least one contact
    person_edit  (object_type, object_id, values) -> None: a person's edit in the CRM that moves
                 the record to a new version
    pipeline     the stage picklist the book was seeded with, in pipeline order
    write_count  optional: () -> int counting writes that reached the CRM (requests, log rows);
                 the default None makes the "nothing written" checks rely on values and versions

and may override `missing_id` (an id format the CRM accepts but no record has).
Values go in and come out canonical: ISO date strings, float amounts, lists of names. Reads name
fields canonically (`FieldRef.field == "deal.amount"`); writes (`RecordWrite.values`, `person_edit`)
name them by the record's attributes (`amount`, `close_date`, `title`), as `get_record` shows them
and as the apply service sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from agent.domain.fields import DEFAULT_POLICY
from agent.domain.models import (
    CrmContext,
    FieldRef,
    FieldValueT,
    ObjectType,
    RecordWrite,
)
from agent.domain.ports import CrmPort, CrmReader
from agent.errors import CrmError, NotFound

PersonEdit = Callable[[ObjectType, str, dict[str, FieldValueT]], None]
WriteCount = Callable[[], int] | None

_DEAL_FIELDS = ("deal.stage", "deal.amount", "deal.close_date", "deal.competitors")


def _refs(object_type: ObjectType, object_id: str, *fields: str) -> list[FieldRef]:
    return [FieldRef(object_type=object_type, object_id=object_id, field=f) for f in fields]


def _values(
    crm: CrmReader, object_type: ObjectType, object_id: str, *fields: str
) -> dict[str, FieldValueT]:
    return {v.ref.field: v.value for v in crm.read_values(_refs(object_type, object_id, *fields))}


def _version(crm: CrmReader, object_type: ObjectType, object_id: str, field: str) -> str:
    return crm.read_values(_refs(object_type, object_id, field))[0].version


def _another_stage(context: CrmContext) -> str:
    return next(s for s in context.stages if s != context.deal.stage)


class CrmContract:
    """Behaviours every CrmPort adapter must show; see the module docstring for the fixtures."""

    @pytest.fixture
    def write_count(self) -> WriteCount:
        return None

    @pytest.fixture
    def missing_id(self) -> str:
        return "does-not-exist-000000"

    @pytest.fixture
    def context(self, crm: CrmPort, deal_id: str) -> CrmContext:
        return crm.read_context(deal_id)

    # -- reading -------------------------------------------------------------------------------

    def test_is_a_crm_port(self, crm: CrmPort) -> None:
        assert isinstance(crm, CrmPort)
        assert crm.system
        assert crm.service_account

    def test_context_has_deal_account_and_contacts(self, context: CrmContext, deal_id: str) -> None:
        assert context.deal.id == deal_id
        assert context.account.id == context.deal.account_id
        assert context.account.name
        assert context.contacts
        assert len({c.id for c in context.contacts}) == len(context.contacts)
        assert all("@" in c.email for c in context.contacts)

    def test_context_stages_follow_the_pipeline(
        self, context: CrmContext, pipeline: tuple[str, ...]
    ) -> None:
        assert context.stages == pipeline
        assert context.deal.stage in context.stages

    def test_notes_come_latest_first(self, crm: CrmPort, deal_id: str) -> None:
        crm.add_note(deal_id=deal_id, body="Contract test: first note", idempotency_key="ct-n1")
        crm.add_note(deal_id=deal_id, body="Contract test: second note", idempotency_key="ct-n2")
        notes = crm.read_context(deal_id).notes
        assert notes[0].body == "Contract test: second note"
        assert notes[1].body == "Contract test: first note"
        stamps = [n.created_at for n in notes]
        assert stamps == sorted(stamps, reverse=True)

    def test_activities_come_latest_first(self, crm: CrmPort, deal_id: str) -> None:
        crm.add_note(deal_id=deal_id, body="Contract test: activity", idempotency_key="ct-a1")
        moments = [a.at for a in crm.read_context(deal_id).activities]
        assert moments
        assert moments == sorted(moments, reverse=True)

    def test_read_values_returns_values_with_versions(
        self, crm: CrmPort, context: CrmContext
    ) -> None:
        deal = context.deal
        contact = context.contacts[0]
        refs = [
            *_refs(ObjectType.DEAL, deal.id, *_DEAL_FIELDS),
            *_refs(ObjectType.CONTACT, contact.id, "contact.email"),
        ]
        values = crm.read_values(refs)
        assert [v.ref for v in values] == refs
        assert [v.value for v in values] == [
            deal.stage,
            deal.amount,
            deal.close_date.isoformat() if deal.close_date else None,
            list(deal.competitors),
            contact.email,
        ]
        deal_versions = {v.version for v in values[:4]}
        assert len(deal_versions) == 1
        assert all(isinstance(v.version, str) and v.version for v in values)

    def test_get_record_shows_canonical_attributes(self, crm: CrmPort, context: CrmContext) -> None:
        deal = crm.get_record(ObjectType.DEAL, context.deal.id)
        version = _version(crm, ObjectType.DEAL, context.deal.id, "deal.stage")
        assert deal["id"] == context.deal.id
        assert deal["name"] == context.deal.name
        assert deal["stage"] == context.deal.stage
        assert deal["amount"] == context.deal.amount
        assert deal["competitors"] == list(context.deal.competitors)
        assert deal["version"] == version
        assert {"close_date", "updated_at", "updated_by"} <= deal.keys()
        contact = crm.get_record(ObjectType.CONTACT, context.contacts[0].id)
        assert contact["email"] == context.contacts[0].email
        assert "title" in contact
        account = crm.get_record(ObjectType.ACCOUNT, context.account.id)
        assert account["name"] == context.account.name

    @pytest.mark.parametrize("object_type", list(ObjectType))
    def test_unknown_records_raise_not_found(
        self, crm: CrmPort, missing_id: str, object_type: ObjectType
    ) -> None:
        field = next(f.name for f in DEFAULT_POLICY.fields if f.object_type is object_type)
        with pytest.raises(NotFound):
            crm.get_record(object_type, missing_id)
        with pytest.raises(NotFound):
            crm.read_values(_refs(object_type, missing_id, field))

    def test_unknown_deal_raises_not_found(self, crm: CrmPort, missing_id: str) -> None:
        with pytest.raises(NotFound):
            crm.read_context(missing_id)
        with pytest.raises(NotFound):
            crm.add_note(deal_id=missing_id, body="lost", idempotency_key="ct-lost-note")
        with pytest.raises(NotFound):
            crm.add_task(
                deal_id=missing_id,
                subject="lost",
                due=None,
                owner="rep",
                idempotency_key="ct-lost-task",
            )

    # -- identity lookups (meeting linking, signals) -------------------------------------------

    def test_contact_email_matches_in_any_case_and_alias(
        self, crm: CrmPort, context: CrmContext
    ) -> None:
        contact = context.contacts[0]
        local, domain = contact.email.split("@")
        typed = f"  {local.upper()}+meeting@{domain.upper()} "
        match = crm.match_identities(emails=[typed], domains=[])
        assert [c.id for c in match.contacts] == [contact.id]
        assert context.account.id in [a.id for a in match.accounts]
        assert context.deal.id in [d.id for d in match.open_deals]
        assert all(not d.is_closed for d in match.open_deals)

    def test_account_domain_matches_without_a_known_contact(
        self, crm: CrmPort, context: CrmContext
    ) -> None:
        if context.account.domain is None:
            pytest.skip("the seeded account has no domain")
        match = crm.match_identities(
            emails=[f"nobody-known@{context.account.domain}"],
            domains=[f"https://www.{context.account.domain}/"],
        )
        assert match.contacts == ()
        assert [a.id for a in match.accounts] == [context.account.id]
        assert context.deal.id in [d.id for d in match.open_deals]

    def test_unknown_identities_match_nothing(self, crm: CrmPort) -> None:
        match = crm.match_identities(
            emails=["stranger@unknown-company.example"], domains=["unknown-company.example"]
        )
        assert (match.contacts, match.accounts, match.open_deals) == ((), (), ())

    # -- writing -------------------------------------------------------------------------------

    def test_write_record_writes_all_fields_and_bumps_the_version(
        self, crm: CrmPort, context: CrmContext
    ) -> None:
        deal_id = context.deal.id
        before = _version(crm, ObjectType.DEAL, deal_id, "deal.stage")
        wanted: dict[str, FieldValueT] = {
            "stage": _another_stage(context),
            "amount": 138000.0,
            "close_date": (date.today() + timedelta(days=40)).isoformat(),
            "competitors": [*context.deal.competitors, "Contract Test Co"],
            "next_step": "Send the revised order form",
        }
        result = crm.write_record(
            RecordWrite(
                object_type=ObjectType.DEAL,
                object_id=deal_id,
                values=wanted,
                expected_version=before,
            )
        )
        assert result.ok, result.reason
        assert result.new_version
        assert result.new_version != before
        fields = [f"deal.{name}" for name in wanted]
        assert _values(crm, ObjectType.DEAL, deal_id, *fields) == dict(
            zip(fields, wanted.values(), strict=True)
        )
        assert _version(crm, ObjectType.DEAL, deal_id, "deal.amount") == result.new_version
        assert crm.get_record(ObjectType.DEAL, deal_id)["version"] == result.new_version

    def test_write_record_on_a_contact(self, crm: CrmPort, context: CrmContext) -> None:
        contact_id = context.contacts[0].id
        before = _version(crm, ObjectType.CONTACT, contact_id, "contact.title")
        result = crm.write_record(
            RecordWrite(
                object_type=ObjectType.CONTACT,
                object_id=contact_id,
                values={"title": "VP of Operations"},
                expected_version=before,
            )
        )
        assert result.ok, result.reason
        assert _values(crm, ObjectType.CONTACT, contact_id, "contact.title") == {
            "contact.title": "VP of Operations"
        }
        assert crm.read_context(context.deal.id).contacts[0].title == "VP of Operations"

    def test_a_stale_version_writes_nothing_and_says_so(
        self,
        crm: CrmPort,
        context: CrmContext,
        person_edit: PersonEdit,
        write_count: WriteCount,
    ) -> None:
        deal_id = context.deal.id
        stale = _version(crm, ObjectType.DEAL, deal_id, "deal.amount")
        person_edit(ObjectType.DEAL, deal_id, {"amount": 101000.0})
        after_person = _version(crm, ObjectType.DEAL, deal_id, "deal.amount")
        assert after_person != stale
        writes = write_count() if write_count else None
        result = crm.write_record(
            RecordWrite(
                object_type=ObjectType.DEAL,
                object_id=deal_id,
                values={"amount": 138000.0, "stage": _another_stage(context)},
                expected_version=stale,
            )
        )
        assert not result.ok
        assert result.reason
        assert result.new_version is None
        assert _values(crm, ObjectType.DEAL, deal_id, "deal.amount", "deal.stage") == {
            "deal.amount": 101000.0,
            "deal.stage": context.deal.stage,
        }
        assert _version(crm, ObjectType.DEAL, deal_id, "deal.amount") == after_person
        if write_count:
            assert write_count() == writes

    @pytest.mark.parametrize(
        ("object_type", "values"),
        [
            (ObjectType.ACCOUNT, {"name": "Renamed by a transcript"}),
            (ObjectType.DEAL, {"amount": 1.0, "favourite_colour": "green"}),
            (ObjectType.DEAL, {"amount": 1.0, "title": "CEO"}),
            (ObjectType.DEAL, {"amount": 1.0, "contact.title": "CEO"}),
        ],
        ids=["not-writable", "unknown-beside-allowed", "other-objects-attribute", "other-object"],
    )
    def test_fields_outside_the_write_scope_are_refused_before_any_write(
        self,
        crm: CrmPort,
        context: CrmContext,
        write_count: WriteCount,
        object_type: ObjectType,
        values: dict[str, FieldValueT],
    ) -> None:
        object_id = context.account.id if object_type is ObjectType.ACCOUNT else context.deal.id
        probe = "account.name" if object_type is ObjectType.ACCOUNT else "deal.amount"
        before = crm.read_values(_refs(object_type, object_id, probe))[0]
        writes = write_count() if write_count else None
        with pytest.raises(CrmError):
            crm.write_record(
                RecordWrite(
                    object_type=object_type,
                    object_id=object_id,
                    values=values,
                    expected_version=before.version,
                )
            )
        assert crm.read_values(_refs(object_type, object_id, probe)) == [before]
        if write_count:
            assert write_count() == writes

    @pytest.mark.parametrize(
        "values",
        [
            {"stage": "Maybe Later"},
            {"amount": 138000.0, "stage": "proposal-ish"},
        ],
        ids=["stage-only", "with-other-fields"],
    )
    def test_a_picklist_miss_is_refused(
        self,
        crm: CrmPort,
        context: CrmContext,
        write_count: WriteCount,
        values: dict[str, FieldValueT],
    ) -> None:
        deal_id = context.deal.id
        before = crm.read_values(_refs(ObjectType.DEAL, deal_id, "deal.stage", "deal.amount"))
        writes = write_count() if write_count else None
        with pytest.raises(CrmError):
            crm.write_record(
                RecordWrite(
                    object_type=ObjectType.DEAL,
                    object_id=deal_id,
                    values=values,
                    expected_version=before[0].version,
                )
            )
        assert crm.read_values(_refs(ObjectType.DEAL, deal_id, "deal.stage", "deal.amount")) == (
            before
        )
        if write_count:
            assert write_count() == writes

    @pytest.mark.parametrize(
        "values",
        [
            {"amount": "a lot"},
            {"close_date": "December 15th"},
            {"competitors": "Gong"},
        ],
        ids=["amount", "date", "names"],
    )
    def test_values_not_in_canonical_form_are_refused(
        self, crm: CrmPort, context: CrmContext, values: dict[str, FieldValueT]
    ) -> None:
        deal_id = context.deal.id
        before = crm.read_values(_refs(ObjectType.DEAL, deal_id, *_DEAL_FIELDS))
        with pytest.raises(CrmError):
            crm.write_record(
                RecordWrite(
                    object_type=ObjectType.DEAL,
                    object_id=deal_id,
                    values=values,
                    expected_version=before[0].version,
                )
            )
        assert crm.read_values(_refs(ObjectType.DEAL, deal_id, *_DEAL_FIELDS)) == before

    def test_write_to_an_unknown_record_raises_not_found(
        self, crm: CrmPort, missing_id: str
    ) -> None:
        with pytest.raises(NotFound):
            crm.write_record(
                RecordWrite(
                    object_type=ObjectType.DEAL,
                    object_id=missing_id,
                    values={"amount": 1.0},
                    expected_version="1",
                )
            )

    # -- notes and tasks -----------------------------------------------------------------------

    def test_a_note_is_idempotent_by_key(
        self, crm: CrmPort, deal_id: str, write_count: WriteCount
    ) -> None:
        first = crm.add_note(deal_id=deal_id, body="Call summary: pricing", idempotency_key="ct-k1")
        writes = write_count() if write_count else None
        again = crm.add_note(deal_id=deal_id, body="Call summary: pricing", idempotency_key="ct-k1")
        assert again == first
        bodies = [n.body for n in crm.read_context(deal_id).notes]
        assert bodies.count("Call summary: pricing") == 1
        if write_count:
            assert write_count() == writes
        other = crm.add_note(deal_id=deal_id, body="Call summary: pricing", idempotency_key="ct-k2")
        assert other != first

    def test_a_task_is_idempotent_by_key(
        self, crm: CrmPort, deal_id: str, write_count: WriteCount
    ) -> None:
        due = date.today() + timedelta(days=3)

        def add(key: str) -> str:
            return crm.add_task(
                deal_id=deal_id,
                subject="Send the order form",
                due=due,
                owner="rep",
                idempotency_key=key,
            )

        first = add("ct-t1")
        writes = write_count() if write_count else None
        again = add("ct-t1")
        assert again == first
        tasks = [t for t in crm.read_context(deal_id).open_tasks if t.id == first]
        assert len(tasks) == 1
        assert tasks[0].subject == "Send the order form"
        assert tasks[0].due == due
        assert not tasks[0].done
        if write_count:
            assert write_count() == writes
        assert add("ct-t2") != first

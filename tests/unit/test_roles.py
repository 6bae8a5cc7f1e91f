"""Speaker sides from labels, CRM contacts, attendees and the team's domains; next-step owners."""

from __future__ import annotations

import pytest

from agent.domain.models import Account, Contact, CrmContext, Deal
from agent.domain.roles import Side, resolve_roles

CONTEXT = CrmContext(
    deal=Deal(id="D1", name="Acme platform", account_id="A1", stage="Proposal"),
    account=Account(id="A1", name="Acme Logistics Inc.", domain="acmelogistics.com"),
    contacts=(
        Contact(id="C1", name="Dana Whitfield", email="dana@acmelogistics.com"),
        Contact(id="C2", name="Marco Ruiz", email="marco.ruiz@acmelogistics.com"),
        Contact(id="C3", name="Dana Price", email="dprice@acmelogistics.com"),
    ),
    stages=("Discovery", "Proposal"),
)
ATTENDEES = (
    "riley.chen@engage.io",
    "Sam.Okafor+cal@engage.io",
    "dana@acmelogistics.com",
    "olivia.grant@acmelogistics.com",
)
TEAM = ("engage.io",)


@pytest.mark.parametrize(
    ("label", "side", "contact"),
    [
        pytest.param("Dana Whitfield", Side.EXTERNAL, "dana@acmelogistics.com", id="contact"),
        pytest.param("Marco", Side.EXTERNAL, "marco.ruiz@acmelogistics.com", id="first-name"),
        pytest.param("Dana", Side.EXTERNAL, "dana@acmelogistics.com", id="attendee-email"),
        pytest.param("Ines (Acme Logistics)", Side.EXTERNAL, None, id="account-in-label"),
        pytest.param("Ines (acmelogistics)", Side.EXTERNAL, None, id="domain-in-label"),
        pytest.param("Riley Chen", Side.INTERNAL, None, id="team-attendee"),
        pytest.param("Sam", Side.INTERNAL, None, id="plus-alias-attendee"),
        pytest.param("Jordan (Engage)", Side.INTERNAL, None, id="team-in-label"),
        pytest.param("Olivia Grant", Side.EXTERNAL, None, id="customer-attendee"),
        pytest.param("Speaker 2", Side.UNKNOWN, None, id="generic"),
    ],
)
def test_sides(label: str, side: Side, contact: str | None) -> None:
    roles = resolve_roles(
        labels=[label, "Someone Else"],
        context=CONTEXT,
        attendees=ATTENDEES,
        internal_domains=TEAM,
    )

    role = roles.of(label)
    assert role.side is side
    assert (role.contact.email if role.contact else None) == contact


def test_a_first_name_two_contacts_share_names_nobody() -> None:
    roles = resolve_roles(labels=["Dana", "Riley (Engage)", "Marco"], context=CONTEXT)

    assert roles.side("Dana") is Side.UNKNOWN
    assert roles.side("Marco") is Side.EXTERNAL


def test_on_a_two_party_call_the_other_speaker_is_the_other_side() -> None:
    roles = resolve_roles(labels=["Priya Shah", "Marco Ruiz"], context=CONTEXT)

    assert roles.side("Priya Shah") is Side.INTERNAL
    assert roles.customer_known


def test_without_any_customer_speaker_agreement_cannot_be_checked() -> None:
    roles = resolve_roles(labels=["Speaker", "Speaker 2"], context=CONTEXT)

    assert not roles.customer_known
    assert {roles.side("Speaker"), roles.side("Speaker 2")} == {Side.UNKNOWN}


def test_owners_are_rep_a_first_name_or_customer() -> None:
    roles = resolve_roles(
        labels=["Riley Chen", "Marco Ruiz", "Acme team (Acme Logistics)", "Olivia Grant"],
        context=CONTEXT,
        attendees=ATTENDEES,
        internal_domains=TEAM,
    )

    assert roles.of("Riley Chen").owner == "rep"
    assert roles.of("Marco Ruiz").owner == "Marco"
    assert roles.of("Acme team (Acme Logistics)").owner == "customer"
    assert roles.owner_named("Olivia") == "Olivia"
    assert roles.owner_named("sam") == "rep"
    assert roles.owner_named("Dana") is None
    assert roles.owner_named("Marco") == "Marco"
    assert roles.owner_named("nobody") is None


def test_labels_are_placed_once_in_call_order() -> None:
    roles = resolve_roles(labels=["Marco", "Riley (Engage)", "Marco"], context=CONTEXT)

    assert roles.labels == ("Marco", "Riley (Engage)")

"""`engage crm show` against whichever CRM `ENGAGE_CRM` names, each one's fake standing in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tests.fakes.hubspot import FakeHubSpot, HsBook
from tests.fakes.pipedrive import FakePipedrive, PdBook
from tests.fakes.salesforce import FakeSalesforce, SfBook


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    return tmp_path / "home"


def _show(kind: str, object_id: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["crm", "show", kind, object_id, "--json"])
    assert result.exit_code == 0, result.stderr
    shown: dict[str, object] = json.loads(result.stdout)
    return shown


def test_salesforce(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    sf_fake: FakeSalesforce,
    sf_url: str,
    sf_book: SfBook,
) -> None:
    for name, value in {
        "ENGAGE_CRM": "salesforce",
        "SALESFORCE_LOGIN_URL": sf_url,
        "SALESFORCE_CLIENT_ID": sf_fake.client_id,
        "SALESFORCE_CLIENT_SECRET": sf_fake.client_secret,
        "SALESFORCE_REFRESH_TOKEN": "engage-refresh-1",
    }.items():
        monkeypatch.setenv(name, value)
    deal = _show("deal", sf_book.open_deal)
    assert (deal["stage"], deal["amount"]) == ("Qualification", 90000.0)
    result = CliRunner().invoke(app, ["crm", "show", "deal", "006999999999999AAA"])
    assert result.exit_code == 4
    assert "Salesforce" in result.stderr


def test_hubspot(
    home: Path, monkeypatch: pytest.MonkeyPatch, hs_fake: FakeHubSpot, hs_url: str, hs_book: HsBook
) -> None:
    monkeypatch.setenv("ENGAGE_CRM", "hubspot")
    monkeypatch.setenv("HUBSPOT_BASE_URL", hs_url)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-engage-test")
    assert _show("contact", hs_book.contacts[0])["email"] == "dana@acme-logistics.com"


def test_pipedrive(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    pd_fake: FakePipedrive,
    pd_url: str,
    pd_book: PdBook,
) -> None:
    monkeypatch.setenv("ENGAGE_CRM", "pipedrive")
    monkeypatch.setenv("PIPEDRIVE_BASE_URL", pd_url)
    monkeypatch.setenv("PIPEDRIVE_API_TOKEN", pd_fake.api_token)
    assert _show("account", pd_book.org)["domain"] == "acme-logistics.com"


def test_missing_credentials_are_a_configuration_error(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGE_CRM", "hubspot")
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["crm", "show", "deal", "1"])
    assert result.exit_code == 2
    assert "HUBSPOT_ACCESS_TOKEN" in result.stderr

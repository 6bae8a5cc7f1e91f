"""The fake Slack is held to the official client: `slack_sdk` talks to it over a real socket and
reads its answers as it reads Slack's, and Slack's own signature verifier accepts the requests the
fake signs and Engage checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from agent.domain.delivery import ChangeLine, ReviewCard
from connectors.slack import SlackClient, SlackMessenger, sign
from connectors.slack.blocks import edit_modal, review_blocks
from tests.fakes.server import serve
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack

CARD = ReviewCard(
    proposal_id="prp_1",
    meeting_title="Acme <renewal> & pricing",
    deal_id="D-1",
    summary="Budget went up.",
    engine="rules",
    url="https://engage.example.com/proposals/prp_1",
    changes=(
        ChangeLine(
            change_id="chg_1",
            label="Amount",
            before=90000.0,
            after=120000.0,
            quote="the budget is <@channel> 120k",
            speaker="Dana (Acme)",
            start=75.0,
            critical=True,
            status="pending",
        ),
    ),
)


@pytest.fixture
def fake() -> FakeSlack:
    slack = FakeSlack()
    slack.add_user("U0DANA", "dana@acme.example")
    return slack


@pytest.fixture
def base_url(fake: FakeSlack) -> Iterator[str]:
    with serve(fake.app, name="fake-slack") as url:
        yield url


def test_the_official_client_reads_the_fake_as_slack(fake: FakeSlack, base_url: str) -> None:
    web = WebClient(token=BOT_TOKEN, base_url=f"{base_url}/api/")
    user = web.users_lookupByEmail(email="dana@acme.example")
    assert user["user"]["id"] == "U0DANA"
    posted = web.chat_postMessage(channel="U0DANA", text="hi", blocks=review_blocks(CARD))
    assert posted["channel"] == "D0DANA"
    assert posted["ts"]
    web.chat_update(channel=posted["channel"], ts=posted["ts"], text="again", blocks=[])
    assert fake.messages[(posted["channel"], posted["ts"])]["text"] == "again"
    assert web.users_info(user="U0DANA")["user"]["profile"]["email"] == "dana@acme.example"
    with pytest.raises(SlackApiError) as refused:
        web.users_lookupByEmail(email="nobody@acme.example")
    assert refused.value.response["error"] == "users_not_found"
    with pytest.raises(SlackApiError) as bad_token:
        WebClient(token="xoxb-wrong", base_url=f"{base_url}/api/").auth_test()
    assert bad_token.value.response["error"] == "invalid_auth"


def test_engages_client_and_the_official_one_see_the_same_fake(
    fake: FakeSlack, base_url: str
) -> None:
    client = SlackClient(token=BOT_TOKEN, base_url=f"{base_url}/api")
    messenger = SlackMessenger(client)
    try:
        sent = messenger.send_review("dana@acme.example", CARD)
        assert messenger.email_of("U0DANA") == "dana@acme.example"
        assert messenger.email_of("U0NOBODY") is None
    finally:
        client.close()
    channel, ts = sent.ref.split(":")
    stored = fake.messages[(channel, ts)]
    header = stored["blocks"][0]["text"]["text"]
    assert header == "Review: Acme <renewal> & pricing"  # plain text: Slack shows it as is
    quote = stored["blocks"][5]["elements"][0]["text"]
    assert "&lt;@channel&gt;" in quote  # mrkdwn: escaped, so no mention fires
    web = WebClient(token=BOT_TOKEN, base_url=f"{base_url}/api/")
    trigger = fake.click("U0DANA", stored, "engage_edit", block_id="decide:chg_1")["trigger_id"]
    opened = web.views_open(trigger_id=trigger, view=edit_modal(CARD, CARD.changes[0]))
    assert opened["view"]["callback_id"] == "engage_edit"


def test_signatures_agree_with_slacks_own_verifier(fake: FakeSlack) -> None:
    payload = {"type": "block_actions", "user": {"id": "U0DANA"}}
    body, headers = fake.signed(payload, timestamp=1_700_000_000)
    verifier = SignatureVerifier(SIGNING_SECRET, clock=FixedClock(1_700_000_010))
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert sign(SIGNING_SECRET, "1700000000", body) == headers["X-Slack-Signature"]


class FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

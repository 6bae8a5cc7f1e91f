"""Engage's cards delivered through Slack: direct messages from the app, updated in place.

A rep is found by their Engage email (`users.lookupByEmail`, scope `users:read.email`); a message
posted to a user id lands in the app's direct-message conversation with them. Who clicked a
button is known only by Slack user id; `users.info` gives that user's email, which the
interaction route maps to an Engage user with the same authorization as the API.
"""

from __future__ import annotations

from agent.domain.delivery import BriefCard, NoticeCard, ReviewCard, Sent
from agent.errors import PermanentError
from connectors.slack import blocks
from connectors.slack.client import SlackApiError, SlackClient


class SlackMessenger:
    def __init__(self, client: SlackClient) -> None:
        self.client = client

    def _user_id(self, email: str) -> str:
        try:
            found = self.client.call("users.lookupByEmail", email=email)
        except SlackApiError as exc:
            if exc.code == "users_not_found":
                raise PermanentError(f"no Slack user with the email {email}") from None
            raise
        return str(found["user"]["id"])

    def _post(self, email: str, text: str, body: list[dict[str, object]]) -> Sent:
        answer = self.client.call(
            "chat.postMessage", channel=self._user_id(email), text=text, blocks=body
        )
        return Sent(ref=f"{answer['channel']}:{answer['ts']}")

    def send_review(self, email: str, card: ReviewCard) -> Sent:
        return self._post(email, blocks.review_text(card), blocks.review_blocks(card))

    def update_review(self, ref: str, card: ReviewCard) -> None:
        channel, _, ts = ref.partition(":")
        self.client.call(
            "chat.update",
            channel=channel,
            ts=ts,
            text=blocks.review_text(card),
            blocks=blocks.review_blocks(card),
        )

    def send_brief(self, email: str, card: BriefCard) -> Sent:
        return self._post(email, f"Brief: {card.meeting_title}", blocks.brief_blocks(card))

    def send_notice(self, email: str, card: NoticeCard) -> Sent:
        return self._post(email, card.subject, blocks.notice_blocks(card))

    def email_of(self, user_ref: str) -> str | None:
        try:
            found = self.client.call("users.info", user=user_ref)
        except SlackApiError as exc:
            if exc.code == "user_not_found":
                return None
            raise
        email = found.get("user", {}).get("profile", {}).get("email")
        return str(email) if email else None

    def open_editor(self, trigger: str, card: ReviewCard, change_id: str) -> None:
        change = next((c for c in card.changes if c.change_id == change_id), None)
        if change is None:
            raise PermanentError(f"proposal {card.proposal_id} has no change {change_id}")
        self.client.call("views.open", trigger_id=trigger, view=blocks.edit_modal(card, change))

    def tell(self, *, conversation: str, user_ref: str, text: str) -> None:
        self.client.call("chat.postEphemeral", channel=conversation, user=user_ref, text=text)

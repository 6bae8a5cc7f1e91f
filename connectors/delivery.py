"""Build the channels to reps (Slack, email) from settings.

Tests pass the `transport` of the fake Slack (tests/fakes/slack.py), so the client speaks HTTP to
it instead of the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from agent.domain.delivery import DeliveryKit
from connectors.email import SmtpConfig, SmtpMailer
from connectors.slack import SlackClient, SlackMessenger

if TYPE_CHECKING:
    from agent.settings import Settings


def build_delivery_kit(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> DeliveryKit:
    messenger = None
    if settings.slack_bot_token is not None:
        client = SlackClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_base_url,
            transport=transport,
        )
        messenger = SlackMessenger(client)
    mailer = None
    if settings.engage_smtp_host:
        mailer = SmtpMailer(
            SmtpConfig(
                host=settings.engage_smtp_host,
                port=settings.engage_smtp_port,
                security=settings.engage_smtp_security,
                username=settings.engage_smtp_username,
                password=(
                    settings.engage_smtp_password.get_secret_value()
                    if settings.engage_smtp_password
                    else None
                ),
                sender=settings.engage_smtp_from,
            )
        )
    return DeliveryKit(messenger=messenger, mailer=mailer)

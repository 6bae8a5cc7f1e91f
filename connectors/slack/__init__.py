"""Slack: the Web API client, Block Kit cards, and request signature verification."""

from connectors.slack.client import SlackApiError, SlackClient
from connectors.slack.messenger import SlackMessenger
from connectors.slack.signature import SignatureError, sign, verify

__all__ = ["SignatureError", "SlackApiError", "SlackClient", "SlackMessenger", "sign", "verify"]

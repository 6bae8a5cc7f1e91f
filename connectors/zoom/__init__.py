"""Zoom: webhook verification, event payloads, and a download/REST client bound to Zoom's hosts."""

from connectors.zoom.client import ZoomClient, ZoomCredentials, check_zoom_url
from connectors.zoom.payloads import HANDLED_EVENTS, event_key, parse_event
from connectors.zoom.signature import SignatureError, sign, url_validation, verify

__all__ = [
    "HANDLED_EVENTS",
    "SignatureError",
    "ZoomClient",
    "ZoomCredentials",
    "check_zoom_url",
    "event_key",
    "parse_event",
    "sign",
    "url_validation",
    "verify",
]

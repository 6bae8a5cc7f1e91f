"""Google Calendar: push-channel checks, incremental sync with sync tokens, channel watch/stop."""

from connectors.google_calendar.client import GoogleCalendarClient, GoogleOAuth, parse_event

__all__ = ["GoogleCalendarClient", "GoogleOAuth", "parse_event"]

"""Microsoft Graph: change notifications, calendar events, subscriptions, Teams transcripts."""

from connectors.microsoft_graph.client import GraphClient, GraphCredentials, parse_event

__all__ = ["GraphClient", "GraphCredentials", "parse_event"]

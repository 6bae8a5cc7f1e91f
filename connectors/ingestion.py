"""Build the conferencing and calendar adapters the ingestion jobs use, from settings.

Tests pass the `transport` of their fakes (tests/fakes/) so that every client speaks HTTP to a
faithful fake instead of the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from agent.domain.ingestion import IngestKit
from connectors.google_calendar import GoogleCalendarClient, GoogleOAuth
from connectors.microsoft_graph import GraphClient, GraphCredentials
from connectors.zoom import ZoomClient, ZoomCredentials

if TYPE_CHECKING:
    from agent.settings import Settings


def build_ingest_kit(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> IngestKit:
    from agent.transcribe import build_transcriber

    zoom = None
    if settings.zoom_account_id and settings.zoom_client_id and settings.zoom_client_secret:
        zoom = ZoomCredentials(
            account_id=settings.zoom_account_id,
            client_id=settings.zoom_client_id,
            client_secret=settings.zoom_client_secret.get_secret_value(),
        )
    google = None
    if (
        settings.google_oauth_client_id
        and settings.google_oauth_client_secret
        and settings.google_oauth_refresh_token
    ):
        google = GoogleOAuth(
            client_id=settings.google_oauth_client_id,
            client_secret=settings.google_oauth_client_secret.get_secret_value(),
            refresh_token=settings.google_oauth_refresh_token.get_secret_value(),
        )
    graph = None
    if settings.graph_tenant_id and settings.graph_client_id and settings.graph_client_secret:
        graph = GraphCredentials(
            tenant_id=settings.graph_tenant_id,
            client_id=settings.graph_client_id,
            client_secret=settings.graph_client_secret.get_secret_value(),
        )
    return IngestKit(
        recordings=ZoomClient(credentials=zoom, transport=transport),
        calendar=GoogleCalendarClient(oauth=google, transport=transport),
        cloud=GraphClient(credentials=graph, transport=transport),
        transcriber=build_transcriber(settings),
    )

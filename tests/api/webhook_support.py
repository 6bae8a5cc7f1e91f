"""Shared data for the webhook tests: settings for the fakes, a rep, a Calder call."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import SecretStr

from agent.settings import Settings
from tests.fakes import zoom as fake_zoom

ZOOM_SECRET = "zm_test_secret_Xk9pQ2"
REP = "riley@engage-demo.com"
CALDER = ("elena.novak@calderrobotics.com", "ben.carter@calderrobotics.com")

CALDER_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Riley Chen: Thanks for making time today, Elena.

2
00:00:04.500 --> 00:00:08.000
Elena Novak: The budget we approved is $60,000 for the first year.

3
00:00:08.500 --> 00:00:11.000
Riley Chen: Great, I'll send the order form by Friday.
"""


def ingest_settings(base: Settings, **extra: object) -> Settings:
    update: dict[str, object] = {
        "zoom_webhook_secret_token": SecretStr(ZOOM_SECRET),
        "zoom_account_id": fake_zoom.ACCOUNT_ID,
        "zoom_client_id": fake_zoom.CLIENT_ID,
        "zoom_client_secret": SecretStr(fake_zoom.CLIENT_SECRET),
        "engage_team_domains": "engage-demo.com",
    }
    update.update(extra)
    return base.model_copy(update=update)


def calder_recording(
    zoom: fake_zoom.FakeZoom, *, uuid: str, number: int, start: datetime | None = None
) -> dict[str, object]:
    """A recording.transcript_completed for a Calder call hosted by the demo rep."""
    zoom.participants[uuid] = [REP, *CALDER]
    url = zoom.add_file(CALDER_VTT.encode(), name=f"vtt-{number}")
    return fake_zoom.event_body(
        "recording.transcript_completed",
        uuid=uuid,
        meeting_number=number,
        host_email=REP,
        start=start or datetime(2026, 11, 20, 14, 0, tzinfo=UTC),
        files=[fake_zoom.recording_file(url, file_type="TRANSCRIPT", size=len(CALDER_VTT))],
        download_token=zoom.new_download_token(),
    )

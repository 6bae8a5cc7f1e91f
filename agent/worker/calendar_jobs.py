"""Calendar jobs: Google incremental sync, Graph change and lifecycle notifications, renewals.

Channels and subscriptions belong to one rep each (`calendar_channels`); their meetings are that
rep's. Neither provider renews on its own, so a periodic job replaces or extends each one well
before it expires.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agent.db.tables import CalendarChannel, Meeting, MeetingLink, User
from agent.domain.ingestion import CalendarEvent, SyncTokenExpired
from agent.errors import ConfigError, NotFound
from agent.services import recordings
from agent.services.users import Actor, find_user

if TYPE_CHECKING:
    from agent.runtime import Runtime

log = logging.getLogger("engage.calendars")

GOOGLE_TTL = timedelta(days=7)
GRAPH_TTL = timedelta(minutes=4200)
"""Just under Outlook's 4230-minute maximum for event subscriptions."""
RENEW_AHEAD = timedelta(hours=24)


def channel_of(rt: Runtime, channel_id: str, provider: str) -> bool:
    """Whether this channel or subscription is one Engage opened and still keeps."""
    if not channel_id:
        return False
    with rt.db.session() as session:
        row = session.get(CalendarChannel, channel_id)
        return row is not None and row.provider == provider and row.status == "active"


def _rep(session: Any, rep_id: str) -> Actor:
    user = session.get(User, rep_id)
    if user is None:
        raise NotFound(f"no user {rep_id}")
    return Actor(id=user.id, email=user.email, role=user.role)


def _public_url(rt: Runtime, path: str) -> str:
    base = rt.settings.engage_public_url
    if not base:
        raise ConfigError("ENGAGE_PUBLIC_URL is needed to open calendar channels")
    return base.rstrip("/") + path


class CalendarJobs:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def handlers(self) -> dict[str, Any]:
        return {
            "calendar_sync": self.calendar_sync,
            "graph_change": self.graph_change,
            "graph_lifecycle": self.graph_lifecycle,
            "renew_channels": self.renew_channels,
        }

    # -- opening channels (CLI) -----------------------------------------------------------------

    def open_google(self, *, rep_email: str, calendar_id: str) -> str:
        rt = self.rt
        calendar, token = rt.ingest.calendar, rt.settings.google_calendar_channel_token
        if calendar is None or token is None:
            raise ConfigError("set GOOGLE_CALENDAR_CHANNEL_TOKEN and the GOOGLE_OAUTH_* settings")
        channel_id = "engage-" + secrets.token_hex(12)
        resource_id, expires = calendar.watch(
            calendar_id,
            channel_id=channel_id,
            address=_public_url(rt, "/webhooks/google-calendar"),
            token=token.get_secret_value(),
            ttl_s=int(GOOGLE_TTL.total_seconds()),
        )
        with rt.db.session() as session:
            rep = find_user(session, email=rep_email)
            self._add(session, channel_id, "google_calendar", rep.id, calendar_id, expires)
            session.get_one(CalendarChannel, channel_id).resource_id = resource_id
        rt.submit("calendar_sync", {"channel_id": channel_id})
        return channel_id

    def open_graph(self, *, rep_email: str, user_id: str) -> str:
        rt = self.rt
        cloud, state = rt.ingest.cloud, rt.settings.graph_client_state
        if cloud is None or state is None:
            raise ConfigError("set GRAPH_CLIENT_STATE and the GRAPH_* credentials")
        expires = rt.clock.now() + GRAPH_TTL
        subscription_id = cloud.subscribe(
            resource=f"/users/{user_id}/events",
            notification_url=_public_url(rt, "/webhooks/microsoft-graph"),
            client_state=state.get_secret_value(),
            expires=expires,
        )
        with rt.db.session() as session:
            rep = find_user(session, email=rep_email)
            self._add(session, subscription_id, "graph", rep.id, user_id, expires)
        return subscription_id

    def _add(
        self,
        session: Any,
        channel_id: str,
        provider: str,
        rep_id: str,
        calendar_id: str,
        expires: datetime,
    ) -> None:
        now = self.rt.clock.now()
        session.add(
            CalendarChannel(
                id=channel_id,
                provider=provider,
                rep_id=rep_id,
                calendar_id=calendar_id,
                resource_id=None,
                sync_token=None,
                status="active",
                expires_at=expires,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()

    # -- Google ---------------------------------------------------------------------------------

    def calendar_sync(self, payload: Mapping[str, Any]) -> None:
        """Pull what changed since the stored sync token; a 410 means start again from scratch."""
        rt = self.rt
        calendar = rt.ingest.calendar
        if calendar is None:
            raise ConfigError("Google Calendar is not configured")
        with rt.db.session() as session:
            channel = session.get(CalendarChannel, str(payload["channel_id"]))
            if channel is None or channel.status != "active":
                return
            calendar_id, token, rep_id = channel.calendar_id, channel.sync_token, channel.rep_id
        try:
            page = calendar.changes(calendar_id, sync_token=token)
        except SyncTokenExpired:
            log.info("sync token of calendar %s expired: full resync", calendar_id)
            page = calendar.changes(calendar_id, sync_token=None)
        with rt.db.session() as session:
            rep = _rep(session, rep_id)
            for event in page.events:
                self._upsert(session, event, rep)
            channel = session.get_one(CalendarChannel, str(payload["channel_id"]))
            channel.sync_token = page.next_sync_token or channel.sync_token
            channel.updated_at = rt.clock.now()

    def _upsert(self, session: Any, event: CalendarEvent, rep: Actor) -> str | None:
        rt = self.rt
        return recordings.upsert_calendar_meeting(
            session,
            event=event,
            rep=rep,
            crm=rt.crm,
            team_domains=rt.settings.team_domains,
            now=rt.clock.now(),
        )

    # -- Microsoft Graph ------------------------------------------------------------------------

    def graph_change(self, payload: Mapping[str, Any]) -> None:
        rt = self.rt
        cloud = rt.ingest.cloud
        if cloud is None:
            raise ConfigError("Microsoft Graph is not configured")
        with rt.db.session() as session:
            channel = session.get(CalendarChannel, str(payload["subscription_id"]))
            if channel is None:
                return
            user_id, rep_id = channel.calendar_id, channel.rep_id
        event_id = str(payload["event_id"])
        event = None if payload["change"] == "deleted" else cloud.get_event(user_id, event_id)
        if event is None:
            event = CalendarEvent(
                provider="microsoft_graph",
                id=event_id,
                title="",
                start=None,
                end=None,
                attendees=(),
                organizer=None,
                cancelled=True,
            )
        with rt.db.session() as session:
            meeting_id = self._upsert(session, event, _rep(session, rep_id))
        self._after_teams_meeting(meeting_id, event, user_id)

    def _after_teams_meeting(self, meeting_id: str | None, event: CalendarEvent, user: str) -> None:
        """A Teams meeting that has ended gets its transcript fetched (once per meeting)."""
        ended = event.end is not None and event.end <= self.rt.clock.now()
        if meeting_id is None or not ended or not (event.conference_key or "").startswith("teams:"):
            return
        self.rt.submit(
            "teams_transcript",
            {"meeting_id": meeting_id, "organizer": user, "join_url": event.join_url},
            dedupe_key=f"teams:{meeting_id}",
        )

    def graph_lifecycle(self, payload: Mapping[str, Any]) -> None:
        """reauthorizationRequired → extend; subscriptionRemoved → subscribe again; missed → the
        reconcile job's next pass re-reads recent meetings."""
        rt = self.rt
        subscription_id, event = str(payload["subscription_id"]), str(payload["event"])
        with rt.db.session() as session:
            channel = session.get(CalendarChannel, subscription_id)
            if channel is None:
                return
            rep_id, user_id = channel.rep_id, channel.calendar_id
        if event == "reauthorizationRequired":
            self._renew_graph(subscription_id)
        elif event == "subscriptionRemoved":
            with rt.db.session() as session:
                email = _rep(session, rep_id).email
                session.get_one(CalendarChannel, subscription_id).status = "removed"
            self.open_graph(rep_email=email, user_id=user_id)
        else:
            log.warning("Graph subscription %s reported %s", subscription_id, event)

    def _renew_graph(self, subscription_id: str) -> None:
        cloud = self.rt.ingest.cloud
        if cloud is None:
            raise ConfigError("Microsoft Graph is not configured")
        expires = self.rt.clock.now() + GRAPH_TTL
        cloud.renew(subscription_id, expires=expires)
        with self.rt.db.session() as session:
            row = session.get_one(CalendarChannel, subscription_id)
            row.expires_at, row.updated_at = expires, self.rt.clock.now()

    # -- renewal (periodic) ---------------------------------------------------------------------

    def renew_channels(self, payload: Mapping[str, Any]) -> None:
        rt = self.rt
        horizon = rt.clock.now() + RENEW_AHEAD
        with rt.db.session() as session:
            due = [
                (c.id, c.provider, c.calendar_id, c.resource_id, c.rep_id)
                for c in session.scalars(
                    select(CalendarChannel).where(
                        CalendarChannel.status == "active", CalendarChannel.expires_at <= horizon
                    )
                )
            ]
        for channel_id, provider, calendar_id, resource_id, rep_id in due:
            if provider == "graph":
                self._renew_graph(channel_id)
                continue
            with rt.db.session() as session:
                email = _rep(session, rep_id).email
            self.open_google(rep_email=email, calendar_id=calendar_id)
            calendar = rt.ingest.calendar
            if calendar is not None and resource_id:
                calendar.stop(channel_id=channel_id, resource_id=resource_id)
            with rt.db.session() as session:
                session.get_one(CalendarChannel, channel_id).status = "stopped"


def teams_meetings_to_fetch(rt: Runtime) -> list[tuple[str, str, str]]:
    """Teams meetings that ended without a transcript: (meeting id, organizer, join URL)."""
    with rt.db.session() as session:
        rows = session.execute(
            select(Meeting.id, CalendarChannel.calendar_id, MeetingLink.conference_key)
            .join(MeetingLink, MeetingLink.meeting_id == Meeting.id)
            .join(CalendarChannel, CalendarChannel.rep_id == Meeting.rep_id)
            .where(
                Meeting.source == "microsoft_graph",
                CalendarChannel.provider == "graph",
                MeetingLink.conference_key.startswith("teams:"),
                Meeting.end_at <= rt.clock.now(),
                Meeting.status.in_(("scheduled", "brief_ready", "recorded")),
            )
        ).all()
    return [(str(r[0]), str(r[1]), str(r[2]).removeprefix("teams:")) for r in rows]

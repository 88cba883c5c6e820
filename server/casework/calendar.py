"""Appointments as iCalendar: one appointment to download, and a private feed per worker.

Calendars sync to Google, Apple or Microsoft, so an event says only "Rinnalla: appointment"
and links back to the app: no client name, no service that would reveal a theme.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from icalendar import Calendar, Event
from litestar import Response
from litestar.exceptions import NotFoundException
from piccolo.custom_types import Combinable

from server.accounts.tables import User
from server.audit.disclosures import APPOINTMENTS, log_disclosures
from server.audit.uselog import log_client_reads
from server.casework.planning import appointment
from server.casework.tables import Appointment, CalendarFeed
from server.i18n import gettext as _
from server.scope import TeamScope
from server.settings import get_settings
from server.timeutil import utcnow

APPOINTMENT_LENGTH = timedelta(hours=1)
FEED_PAST = timedelta(days=30)


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Rinnalla//rinnalla//FI")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Rinnalla")
    return calendar


def _event(row: dict[str, Any]) -> Event:
    event = Event()
    host = get_settings().base_url.split("://", 1)[-1]
    event.add("uid", f"appointment-{row['id']}@{host}")
    event.add("dtstamp", utcnow())
    event.add("dtstart", row["starts_at"])  # aware UTC: written as ...Z, no zone guessing
    event.add("dtend", row["starts_at"] + APPOINTMENT_LENGTH)
    event.add("summary", _("Rinnalla: appointment"))
    event.add("url", f"{get_settings().base_url}/clients/{row['client']}")
    if row.get("cancelled_at"):
        event.add("status", "CANCELLED")
    return event


def client_appointment_ics(row: dict[str, Any]) -> bytes:
    """For the client's own calendar: their place and whom they meet (their data, their choice),
    never the workers' notes; icalendar escapes what was typed (no injected properties)."""
    event = _event(row)
    event.pop("url")
    event["summary"] = _("Appointment")
    if row.get("place"):
        event.add("location", row["place"])
    if row.get("with_whom"):
        event.add("description", row["with_whom"])
    calendar = _calendar()
    calendar.add_component(event)
    return calendar.to_ical()


def appointment_ics(row: dict[str, Any]) -> bytes:
    calendar = _calendar()
    calendar.add_component(_event(row))
    return calendar.to_ical()


async def appointment_file(walls: TeamScope, file_name: str) -> Response:
    """`<id>.ics` of one appointment in the user's teams, as a download; 404 for anything else."""
    number = file_name.removesuffix(".ics")
    if not file_name.endswith(".ics") or not number.isdigit() or len(number) > 18:
        raise NotFoundException()
    row = await appointment(walls, int(number))
    await log_client_reads(
        walls, [row["client"]], "appointment_ics", action="export", object_=f"appointment:{row['id']}"
    )
    await log_disclosures(
        walls.user.id,
        walls.user.role,
        [row["client"]],
        "calendar_file",
        "worker_calendar",
        (APPOINTMENTS,),
        "appointment_ics",
    )
    return Response(
        appointment_ics(row),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="appointment-{int(number)}.ics"'},
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def new_feed_token(user_id: int) -> str:
    """A fresh private address for the worker; any older one stops working."""
    await revoke_feeds(user_id)
    token = secrets.token_urlsafe(32)
    await CalendarFeed.insert(CalendarFeed(user=user_id, token_hash=_hash(token)))
    return token


async def revoke_feeds(user_id: int) -> None:
    await CalendarFeed.update({CalendarFeed.revoked_at: utcnow()}).where(
        (CalendarFeed.user == user_id) & CalendarFeed.revoked_at.is_null()
    )


async def has_feed(user_id: int) -> bool:
    return await CalendarFeed.exists().where((CalendarFeed.user == user_id) & CalendarFeed.revoked_at.is_null())


async def feed_owner(token: str) -> int | None:
    if not token or len(token) > 100:
        return None
    row = (
        await CalendarFeed.select(CalendarFeed.user)
        .where(
            (CalendarFeed.token_hash == _hash(token))
            & CalendarFeed.revoked_at.is_null()
            & CalendarFeed.user.is_active.eq(True)  # type: ignore[union-attr]  # Piccolo: untyped join
        )
        .first()
    )
    return row["user"] if row else None


async def feed_ics(pair_id: int | None, user_id: int) -> bytes:
    """The worker's pair's appointments from a month back on (only their own if not in a pair)."""
    condition: Combinable = Appointment.starts_at >= utcnow() - FEED_PAST
    condition &= (Appointment.pair == pair_id) if pair_id is not None else (Appointment.created_by == user_id)
    rows = (
        await Appointment.select(Appointment.id, Appointment.client, Appointment.starts_at, Appointment.cancelled_at)
        .where(condition)
        .order_by(Appointment.starts_at)
    )
    calendar = _calendar()
    for row in rows:
        calendar.add_component(_event(row))
    # The feed goes to the worker's calendar service: each fetch is a disclosure of those times.
    owner = await User.select(User.role).where(User.id == user_id).first()
    await log_disclosures(
        user_id,
        owner["role"] if owner else "",
        [row["client"] for row in rows],
        "calendar_feed",
        "worker_calendar",
        (APPOINTMENTS,),
        "calendar_feed",
    )
    return calendar.to_ical()

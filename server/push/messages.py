"""What a reminder says on a lock screen: in the recipient's language, and never who, where or what.

A lock screen is read over a shoulder and the text passes through the phone maker's push service:
no client, place, service or task is named. The details are behind the URL, after login (or
behind the client's own link).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date, format_time

from server.i18n import translations
from server.timeutil import to_local, utcnow

# The client's phone opens its own link, which the server cannot rebuild (only its hash is kept):
# the service worker keeps the link's address and opens it for this marker.
CLIENT_LINK_URL = "/r/"


def _when(event_at: datetime, language: str, now: datetime) -> tuple[str, str, int]:
    local, today = to_local(event_at), to_local(now).date()
    clock = format_time(local, "H.mm" if language == "fi" else "HH:mm", locale=language)
    return (
        clock,
        format_date(local.date(), "d.M." if language != "en" else "d MMM", locale=language),
        (local.date() - today).days,
    )


def _appointment_text(event_at: datetime, language: str, now: datetime) -> str:
    t = translations(language)
    clock, day, days = _when(event_at, language, now)
    if days <= 0:
        return t.gettext("Appointment today at %(time)s") % {"time": clock}
    if days == 1:
        return t.gettext("Appointment tomorrow at %(time)s") % {"time": clock}
    return t.gettext("Appointment on %(date)s at %(time)s") % {"date": day, "time": clock}


def _release_text(event_at: datetime, language: str, now: datetime, open_items: int | None = None) -> str:
    t = translations(language)
    release_day = to_local(event_at - timedelta(minutes=1)).date()
    days = (release_day - to_local(now).date()).days
    if open_items is not None:  # the plan's state, as a number: which items stays behind the login
        release = (
            t.gettext("A release from prison today.")
            if days <= 0
            else t.ngettext("A release from prison in %(days)s day.", "A release from prison in %(days)s days.", days)
            % {"days": days}
        )
        plan = (
            t.ngettext(
                "%(num)s item of the release plan is still open.",
                "%(num)s items of the release plan are still open.",
                open_items,
            )
            % {"num": open_items}
            if open_items
            else t.gettext("The release plan is ready.")
        )
        return " ".join((release, plan, t.gettext("Open Rinnalla.")))
    if days <= 0:
        return t.gettext("A release from prison today. Open Rinnalla.")
    return t.ngettext(
        "A release from prison in %(days)s day. Open Rinnalla.",
        "A release from prison in %(days)s days. Open Rinnalla.",
        days,
    ) % {"days": days}


def payload(reminder: dict[str, Any], language: str, now: datetime | None = None) -> bytes:
    """The JSON the phone shows: {"title", "body", "url", "tag"}; the tag lets a repeat replace, not pile up."""
    now = now or utcnow()
    t = translations(language)
    kind, client = reminder["kind"], reminder["client"]
    title, url = t.gettext("Rinnalla reminder"), f"/clients/{client}" if client else "/"
    if kind == "release":
        body = _release_text(reminder["event_at"], language, now, reminder.get("open_items"))
    elif kind == "appointment":
        body = _appointment_text(reminder["event_at"], language, now)
    elif kind == "appointment_client":
        title, url = t.gettext("Reminder"), CLIENT_LINK_URL
        body = _appointment_text(reminder["event_at"], language, now)
    elif kind == "followup":
        body = t.gettext("A follow-up is due. Open Rinnalla.")
    elif kind == "agreement_end":
        days = max(0, (to_local(reminder["event_at"] - timedelta(minutes=1)).date() - to_local(now).date()).days)
        body = t.ngettext(
            "An agreement ends in %(days)s day. Open Rinnalla.",
            "An agreement ends in %(days)s days. Open Rinnalla.",
            days,
        ) % {"days": days}
    elif kind == "review_due":
        body = t.gettext("A review with a client is due. Open Rinnalla.")
    elif kind == "referral":
        body = t.gettext("A referral waits for its outcome. Open Rinnalla.")
    elif kind == "debrief":
        url = "/debriefs"
        body = t.gettext("Yesterday's shift had a crisis: talk it through together. Open Rinnalla.")
    elif kind == "supervision":
        url = "/supervision"
        body = t.gettext("Your work supervision is due. Open Rinnalla.")
    elif kind == "test":
        title, url = "Rinnalla", "/settings#notifications"
        body = t.gettext("Notifications work on this phone.")
    else:
        body = t.gettext("You have a reminder. Open Rinnalla.")
    return json.dumps(
        {"title": title, "body": body, "url": url, "tag": f"r{reminder['id']}"}, ensure_ascii=False
    ).encode("utf-8")

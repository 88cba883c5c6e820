"""Retention: `rinnalla purge` removes what the organisation may no longer keep.

- A client closed longer than CLIENT_RETENTION_YEARS ago loses everything recorded about them:
  visits, follow-ups, appointments, referrals, themes, reminder links and reminders. The client's
  row stays as an empty, team-less tombstone only so that the use log, which must outlive the
  record, keeps pointing at a number (no name, no team: no wall lets anyone see it).
- Use and disclosure log rows older than LOG_RETENTION_YEARS go from the start of each chain; the
  run records where each chain now begins, so `rinnalla audit verify` still proves what is left.
Every run is recorded (purge_run), each purged client gets a `delete` row in the use log, and
`--dry-run` reports the same figures without changing anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from piccolo.columns import Column

from server.audit.tables import DisclosureLog, GlassAccess, PurgeRun
from server.audit.uselog import log_system_use
from server.casework.tables import (
    AccessLog,
    Appointment,
    Client,
    ClientTheme,
    FollowUp,
    Visit,
    VisitAction,
    VisitTheme,
    VisitWorker,
)
from server.db.lifecycle import engine
from server.push import outbox
from server.push.tables import PushSubscription, ReminderLink
from server.rhythm.tables import HoursEntry
from server.services.tables import Referral
from server.settings import get_settings
from server.timeutil import local_today, local_zone

log = logging.getLogger("rinnalla.purge")

# Everything personal on the client's own row, blanked on the tombstone.
BLANK_CLIENT: dict[Column | str, Any] = {
    Client.team: None,
    Client.pair: None,
    Client.pseudonym: "",
    Client.search_key: "",
    Client.legal_name: "",
    Client.birth_year: None,
    Client.phone: "",
    Client.institution: "",
    Client.release_date: None,
    Client.release_type: "",
    Client.came_from: "",
    Client.consent_reminders_at: None,
    Client.consent_reminders_by: None,
    Client.consent_data_at: None,
    Client.consent_data_by: None,
    Client.created_by: None,
}


class RetentionError(ValueError):
    pass


@dataclass
class PurgePlan:
    clients: list[dict[str, Any]] = field(default_factory=list)
    client_cutoff: date | None = None
    log_cutoff: datetime | None = None
    use_rows: int = 0
    disclosure_rows: int = 0


def _years_before(day: date, years: int) -> date:
    if years < 1:
        raise RetentionError("retention must be at least one year")
    return day.replace(year=day.year - years, day=min(day.day, 28) if day.month == 2 else day.day)


async def plan_purge(today: date | None = None) -> PurgePlan:
    settings, today = get_settings(), today or local_today()
    client_cutoff = _years_before(today, settings.client_retention_years)
    log_cutoff = datetime.combine(_years_before(today, settings.log_retention_years), time(), local_zone())
    clients = await (
        Client.select(Client.id, Client.team, Client.status_changed_on)
        .where((Client.status == "closed") & Client.team.is_not_null() & (Client.status_changed_on < client_cutoff))
        .order_by(Client.id)
    )
    return PurgePlan(
        clients=clients,
        client_cutoff=client_cutoff,
        log_cutoff=log_cutoff,
        use_rows=await AccessLog.count().where(AccessLog.at < log_cutoff),
        disclosure_rows=await DisclosureLog.count().where(DisclosureLog.at < log_cutoff),
    )


async def purge(today: date | None = None) -> PurgePlan:
    plan = await plan_purge(today)
    for client in plan.clients:
        async with engine().transaction():
            await _empty_client(client["id"])
            await log_system_use(client["id"], client["team"], "retention_purge", action="delete")
    assert plan.log_cutoff is not None  # plan_purge always sets it
    use_anchor = await _trim_log(AccessLog, plan.log_cutoff)
    disclosure_anchor = await _trim_log(DisclosureLog, plan.log_cutoff)
    await GlassAccess.delete().where(GlassAccess.opened_at < plan.log_cutoff)
    await PurgeRun.insert(
        PurgeRun(
            clients_purged=len(plan.clients),
            use_rows_purged=plan.use_rows,
            disclosure_rows_purged=plan.disclosure_rows,
            use_log_anchor=use_anchor,
            disclosure_log_anchor=disclosure_anchor,
        )
    )
    log.info(
        "purge run: %d clients, %d use log rows, %d disclosure log rows",
        len(plan.clients),
        plan.use_rows,
        plan.disclosure_rows,
    )
    return plan


async def _empty_client(client_id: int) -> None:
    visits = Visit.select(Visit.id).where(Visit.client == client_id)
    links = ReminderLink.select(ReminderLink.id).where(ReminderLink.client == client_id)
    # A worker's own hours stay; they only stop pointing at the visit.
    await HoursEntry.update({HoursEntry.visit: None}).where(HoursEntry.visit.is_in(visits))
    await outbox.forget_client(client_id)
    await PushSubscription.delete().where(PushSubscription.link.is_in(links))
    await ReminderLink.delete().where(ReminderLink.client == client_id)
    await Referral.delete().where(Referral.client == client_id)
    await FollowUp.delete().where(FollowUp.client == client_id)
    await Appointment.delete().where(Appointment.client == client_id)
    for child in (VisitWorker, VisitTheme, VisitAction):
        await child.delete().where(child.visit.is_in(visits))
    await Visit.delete().where(Visit.client == client_id)
    await ClientTheme.delete().where(ClientTheme.client == client_id)
    await Client.update(BLANK_CLIENT).where(Client.id == client_id)


async def _trim_log(table, cutoff: datetime) -> str:
    """Delete the chain's oldest rows up to the cutoff; the hash of the last one goes is the
    chain's new start ("" when nothing went)."""
    async with engine().transaction():
        last = await (
            table.select(table.id, table.hash).where(table.at < cutoff).order_by(table.id, ascending=False).first()
        )
        if last is None:
            return ""
        if not get_settings().is_sqlite:  # the append-only trigger lets only this transaction delete
            await table.raw("SET LOCAL rinnalla.log_purge = 'on'")
        await table.delete().where(table.id <= last["id"])
        return last["hash"]

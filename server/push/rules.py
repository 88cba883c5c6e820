"""A team's reminder rules: which reminders go out, and when. A team with no row has the defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.i18n import N_
from server.push.tables import ReminderRules
from server.timeutil import utcnow
from server.validation import InvalidInput

MAX_RELEASE_DAYS = 90
MAX_CLIENT_HOURS = 72


@dataclass(frozen=True)
class Rules:
    followups: bool = True
    release_days: tuple[int, ...] = (30, 14, 7, 1, 0)
    appointment_pair_minutes: int = 60
    appointment_client_hours: tuple[int, ...] = (24, 2)
    referral_check: bool = True


DEFAULT_RULES = Rules()


def _numbers(raw: str) -> tuple[int, ...]:
    return tuple(sorted({int(part) for part in raw.split(",") if part.strip().isdigit()}, reverse=True))


def _rules(row: dict[str, Any]) -> Rules:
    return Rules(
        followups=row["followups"],
        release_days=_numbers(row["release_days"]),
        appointment_pair_minutes=row["appointment_pair_minutes"],
        appointment_client_hours=_numbers(row["appointment_client_hours"]),
        referral_check=row["referral_check"],
    )


async def team_rules(team_id: int) -> Rules:
    row = await ReminderRules.select().where(ReminderRules.team == team_id).first()
    return DEFAULT_RULES if row is None else _rules(row)


def _read_numbers(raw: Any, name: str, maximum: int, message: str, errors: dict[str, str], minimum: int = 0) -> str:
    text = str(raw or "").replace(" ", "")
    parts = [part for part in text.split(",") if part]
    if not all(part.isdigit() and minimum <= int(part) <= maximum for part in parts):
        errors[name] = message
        return ""
    return ",".join(str(n) for n in sorted({int(p) for p in parts}, reverse=True))


def read_rules(raw: dict[str, Any]) -> dict[Any, Any]:
    """The rules form or JSON, checked; unchecked boxes of a form are off."""
    errors: dict[str, str] = {}
    release_days = _read_numbers(
        raw.get("release_days"), "release_days", MAX_RELEASE_DAYS, N_("Days from 0 to 90, separated by commas."), errors
    )
    client_hours = _read_numbers(
        raw.get("appointment_client_hours"),
        "appointment_client_hours",
        MAX_CLIENT_HOURS,
        N_("Hours from 1 to 72, separated by commas."),
        errors,
        minimum=1,
    )
    minutes_raw = str(raw.get("appointment_pair_minutes", "")).strip()
    if not minutes_raw.isdigit() or int(minutes_raw) > 24 * 60:
        errors["appointment_pair_minutes"] = N_("Minutes from 0 to 1440.")
    if errors:
        raise InvalidInput(errors)
    flag = lambda name: raw.get(name) in (True, "on", "1", "true", "yes")  # noqa: E731
    return {
        ReminderRules.followups: flag("followups"),
        ReminderRules.release_days: release_days,
        ReminderRules.appointment_pair_minutes: int(minutes_raw),
        ReminderRules.appointment_client_hours: client_hours,
        ReminderRules.referral_check: flag("referral_check"),
        ReminderRules.updated_at: utcnow(),
    }


async def save_rules(team_id: int, values: dict[Any, Any]) -> None:
    updated = await ReminderRules.update(values).where(ReminderRules.team == team_id).returning(ReminderRules.id)
    if not updated:
        await ReminderRules.insert(
            ReminderRules(team=team_id, **{c._meta.name: v for c, v in values.items()})
        ).on_conflict(target=ReminderRules.team, action="DO NOTHING")

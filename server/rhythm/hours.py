"""Hours and fees of experience experts, at the organisation's euro-per-hour rates.

Money is integer cents (no floating-point drift). A fee is fixed when the hours are logged, at
the rate in force on that day; a lead's new rate takes effect from a date no earlier than this
month, so past months are never rewritten. A worker's own monthly limit is read only by them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, overload

from piccolo.columns import Column
from piccolo.query.functions.aggregate import Sum

from server.accounts.tables import User
from server.casework.presence import present_at
from server.casework.tables import Visit
from server.db.lifecycle import engine
from server.i18n import N_
from server.rhythm.supervision import plan_supervision
from server.rhythm.tables import ActivityRate, FeeLimit, HoursEntry, WorkerTerms
from server.scope import CurrentUser, TeamScope
from server.settings import get_settings
from server.timeutil import local_today, utcnow
from server.validation import InvalidInput, Reader

ACTIVITIES = (
    "preparation",
    "group_facilitation",
    "client_work",
    "meeting",
    "demanding_meeting",
    "working_group",
    "lecture",
    "demanding_event",
    "observation",
)
# Kokoa ry's recommended fees, euros per hour (shared/DOMAIN.md), in cents.
KOKOA_CENTS_PER_HOUR = {
    "preparation": 2500,
    "group_facilitation": 3000,
    "client_work": 3000,
    "meeting": 4000,
    "demanding_meeting": 7000,
    "working_group": 4000,
    "lecture": 5000,
    "demanding_event": 10000,
    "observation": 3000,
}
PAY_BASES = ("salary", "fee", "volunteer")
MINUTES_A_DAY = 24 * 60


class OverLimit(Exception):
    def __init__(self, fee_cents: int, remaining_cents: int) -> None:
        super().__init__(fee_cents, remaining_cents)
        self.fee_cents, self.remaining_cents = fee_cents, remaining_cents


def hours_of(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


@overload
def euros(cents: int) -> Decimal: ...
@overload
def euros(cents: None) -> None: ...
def euros(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _decimal(value: Any, largest: int) -> Decimal | None:
    """A typed amount ("12,50", "1.5"), or None when it is not one or is out of range (no
    exponents: "1e30" is not an amount a person types)."""
    text = str(value).strip().replace(",", ".").replace("€", "").strip()
    if not text or len(text) > 12 or "e" in text.lower():
        return None
    try:
        amount = Decimal(text)
    except (InvalidOperation, ArithmeticError):
        return None
    return amount if amount.is_finite() and 0 <= amount <= largest else None


def _cents(value: Any) -> int | None:
    """Euros as cents, to the cent exactly; None when it is not such an amount."""
    amount = _decimal(value, 100000)
    if amount is None or amount * 100 != (amount * 100).to_integral_value():
        return None
    return int(amount * 100)


def _minutes(value: Any) -> int | None:
    """Hours as whole minutes: "1,5" is 90; "1,33" is refused (it is no whole number of minutes,
    and a fee from a rounded time would not be the fee of the hours typed)."""
    hours = _decimal(value, 24)
    if hours is None or hours * 60 != (hours * 60).to_integral_value():
        return None
    return int(hours * 60)


def month_bounds(month: str | None) -> tuple[date, date]:
    """`YYYY-MM` (default this month) as its first day and the first day of the next."""
    if month:
        try:
            year, number = (int(part) for part in month.split("-"))
            if not 2000 <= year <= 2200:
                raise ValueError
            first = date(year, number, 1)
        except ValueError:
            raise InvalidInput({"month": N_("Give the month as YYYY-MM.")}) from None
    else:
        first = local_today().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


# -- rates --------------------------------------------------------------------------------------


async def rate_on(activity: str, day: date, team_id: int | None = None) -> int:
    """The rate of a team's hours on a day: the team's own rate if its lead set one, else the
    organisation's default (set by an admin), else Kokoa ry's recommendation."""
    for team_condition in ([ActivityRate.team == team_id] if team_id is not None else []) + [
        ActivityRate.team.is_null()
    ]:
        row = (
            await ActivityRate.select(ActivityRate.cents_per_hour)
            .where((ActivityRate.activity == activity) & (ActivityRate.effective_from <= day) & team_condition)
            .order_by(ActivityRate.effective_from, ascending=False)
            .order_by(ActivityRate.id, ascending=False)
            .first()
        )
        if row:
            return row["cents_per_hour"]
    return KOKOA_CENTS_PER_HOUR[activity]


async def rate_table(day: date | None = None, team_id: int | None = None) -> list[dict[str, Any]]:
    """Each activity's rate today for a team (None: the organisation's defaults) and any change
    already set for a later date."""
    day = day or local_today()
    own = ActivityRate.team == team_id if team_id is not None else ActivityRate.team.is_null()
    later = (
        await ActivityRate.select(ActivityRate.activity, ActivityRate.cents_per_hour, ActivityRate.effective_from)
        .where((ActivityRate.effective_from > day) & own)
        .order_by(ActivityRate.effective_from)
    )
    table = []
    for activity in ACTIVITIES:
        cents = await rate_on(activity, day, team_id)
        table.append(
            {
                "activity": activity,
                "cents": cents,
                "eur": euros(cents),
                "changes": [
                    {"eur": euros(r["cents_per_hour"]), "from": r["effective_from"]}
                    for r in later
                    if r["activity"] == activity
                ],
            }
        )
    return table


def rate_team(user: CurrentUser) -> int | None:
    """Whose rates a user sets: a lead their own team's, an admin the organisation's defaults."""
    return None if user.is_admin else user.team_id


async def set_rate(user: CurrentUser, raw: dict[str, Any]) -> None:
    reader = Reader(raw)
    activity = reader.choice("activity", ACTIVITIES)
    cents = _cents(raw.get("eur_per_hour"))
    if cents is None:
        reader.fail("eur_per_hour", N_("Give euros per hour, e.g. 30 or 32,50."))
    effective_from = reader.day("effective_from", required=True)
    if effective_from and effective_from < local_today():
        reader.fail(
            "effective_from", N_("A new rate starts today at the earliest: hours already logged keep their rate.")
        )
    reader.done()
    await ActivityRate.insert(
        ActivityRate(
            activity=activity,
            cents_per_hour=cents,
            effective_from=effective_from,
            team=rate_team(user),
            created_by=user.id,
        )
    )


# -- terms and the personal limit --------------------------------------------------------------


async def terms_of(user_id: int) -> dict[str, Any]:
    row = (
        await WorkerTerms.select(WorkerTerms.pay_basis, WorkerTerms.part_time_percent, WorkerTerms.started_on)
        .where(WorkerTerms.user == user_id)
        .first()
    )
    if row is None:
        role = (await User.select(User.role).where(User.id == user_id).first() or {}).get("role")
        row = {
            "pay_basis": "fee" if role == "experience_expert" else "salary",
            "part_time_percent": 100,
            "started_on": None,
        }
    return row


async def set_terms(walls: TeamScope, user_id: int, raw: dict[str, Any]) -> None:
    """A lead sets how a worker of their team is paid."""
    member = (
        await User.select(User.id, User.role)
        .where((User.id == user_id) & User.team.is_in(walls.team_id_list()))
        .first()
    )
    if member is None:
        from litestar.exceptions import NotFoundException

        raise NotFoundException()
    if member["role"] not in ("professional", "experience_expert"):
        from litestar.exceptions import NotFoundException

        raise NotFoundException()
    reader = Reader(raw)
    values: dict[Column, Any] = {
        WorkerTerms.pay_basis: reader.choice("pay_basis", PAY_BASES),
        WorkerTerms.part_time_percent: reader.integer("part_time_percent", 1, 100, default=100),
        WorkerTerms.started_on: reader.day("started_on"),
        WorkerTerms.updated_at: utcnow(),
    }
    reader.done()
    if not await WorkerTerms.update(values).where(WorkerTerms.user == user_id).returning(WorkerTerms.id):  # type: ignore[arg-type]  # Piccolo's stub: invariant dict
        await WorkerTerms.insert(WorkerTerms(user=user_id, **{c._meta.name: v for c, v in values.items()})).on_conflict(
            target=WorkerTerms.user, action="DO NOTHING"
        )
    await plan_supervision(user_id)  # a start date changes the rhythm


async def own_limit(user_id: int) -> int | None:
    row = await FeeLimit.select(FeeLimit.monthly_limit_cents).where(FeeLimit.user == user_id).first()
    return row["monthly_limit_cents"] if row else None


async def set_own_limit(user: CurrentUser, raw: dict[str, Any]) -> None:
    value = raw.get("monthly_limit_eur")
    cents = None if value in (None, "") else _cents(value)
    if value not in (None, "") and cents is None:
        raise InvalidInput({"monthly_limit_eur": N_("Give euros, e.g. 300, or leave it empty for no limit.")})
    if (
        not await FeeLimit.update({FeeLimit.monthly_limit_cents: cents, FeeLimit.updated_at: utcnow()})
        .where(FeeLimit.user == user.id)
        .returning(FeeLimit.id)
    ):
        await FeeLimit.insert(FeeLimit(user=user.id, monthly_limit_cents=cents)).on_conflict(
            target=FeeLimit.user, action="DO NOTHING"
        )


# -- hours --------------------------------------------------------------------------------------


async def _fees_in(user_id: int, first: date, following: date) -> int:
    row = (
        await HoursEntry.select(Sum(HoursEntry.fee_cents, alias="fees"))
        .where((HoursEntry.user == user_id) & (HoursEntry.worked_on >= first) & (HoursEntry.worked_on < following))
        .first()
    )
    assert row is not None  # an aggregate answers one row
    return int(row["fees"] or 0)


async def log_hours(user: CurrentUser, raw: dict[str, Any], confirmed_fee_cents: int | None = None) -> dict[str, Any]:
    """Hours of an activity: the fee at that day's rate; refused past 24 h a day; OverLimit before
    the month's fees would cross the worker's own limit, unless that very fee (or more) was
    confirmed. The checks and the insert hold the worker's row, so two tabs cannot both slip by."""
    reader = Reader(raw)
    worked_on = reader.day("date", required=True)
    activity = reader.choice("activity", ACTIVITIES)
    minutes = _minutes(raw.get("hours"))
    if minutes is None or not 0 < minutes <= MINUTES_A_DAY:
        reader.fail("hours", N_("Hours up to 24, to the minute, e.g. 1,5 or 0,25."))
    visit_uuid = reader.uuid("visit_id")
    if worked_on and worked_on > local_today():
        reader.fail("date", N_("Hours are logged once done, not ahead."))
    elif worked_on and worked_on < (local_today().replace(day=1) - timedelta(days=1)).replace(day=1):
        reader.fail("date", N_("Only this month and last month are open: older months are paid."))
    visit_pk = None
    if visit_uuid is not None:
        visit = await Visit.select(Visit.id).where((Visit.uuid == visit_uuid) & present_at(user.id)).first()
        if visit is None:
            reader.fail("visit_id", N_("Not one of your visits."))
        else:
            visit_pk = visit["id"]
    reader.done()
    assert worked_on is not None and minutes is not None  # refused above otherwise
    terms = await terms_of(user.id)
    rate = await rate_on(activity, worked_on, user.team_id) if terms["pay_basis"] == "fee" else 0
    fee = int((Decimal(rate) * minutes / 60).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    async with engine().transaction():
        owner = User.select(User.id).where(User.id == user.id)
        await (owner if get_settings().is_sqlite else owner.lock_rows("UPDATE"))
        day_total = (
            await HoursEntry.select(Sum(HoursEntry.minutes, alias="minutes"))
            .where((HoursEntry.user == user.id) & (HoursEntry.worked_on == worked_on))
            .first()
        )
        assert day_total is not None  # an aggregate answers one row
        if int(day_total["minutes"] or 0) + minutes > MINUTES_A_DAY:
            raise InvalidInput({"hours": N_("That day would have more than 24 hours.")})
        limit = await own_limit(user.id)
        if limit is not None and fee and (confirmed_fee_cents is None or fee > confirmed_fee_cents):
            first, following = month_bounds(worked_on.strftime("%Y-%m"))
            spent = await _fees_in(user.id, first, following)
            if spent + fee > limit:
                raise OverLimit(fee, limit - spent)
        rows = await HoursEntry.insert(
            HoursEntry(
                user=user.id,
                team=user.team_id,
                worked_on=worked_on,
                activity=activity,
                minutes=minutes,
                visit=visit_pk,
                cents_per_hour=rate,
                fee_cents=fee,
            )
        ).returning(HoursEntry.id)
    return {
        "id": rows[0]["id"],
        "date": worked_on,
        "activity": activity,
        "hours": hours_of(minutes),
        "fee_eur": euros(fee),
        "eur_per_hour": euros(rate),
    }


async def month_summary(user_id: int, month: str | None = None) -> dict[str, Any]:
    first, following = month_bounds(month)
    entries = (
        await HoursEntry.select(
            HoursEntry.id,
            HoursEntry.worked_on,
            HoursEntry.activity,
            HoursEntry.minutes,
            HoursEntry.fee_cents,
            HoursEntry.cents_per_hour,
        )
        .where((HoursEntry.user == user_id) & (HoursEntry.worked_on >= first) & (HoursEntry.worked_on < following))
        .order_by(HoursEntry.worked_on, ascending=False)
        .order_by(HoursEntry.id, ascending=False)
    )
    minutes = sum(e["minutes"] for e in entries)
    fees = sum(e["fee_cents"] for e in entries)
    limit = await own_limit(user_id)
    by_activity: dict[str, dict[str, Any]] = {}
    for entry in entries:
        slot = by_activity.setdefault(entry["activity"], {"minutes": 0, "fee_cents": 0})
        slot["minutes"] += entry["minutes"]
        slot["fee_cents"] += entry["fee_cents"]
    return {
        "month": first.strftime("%Y-%m"),
        "hours": hours_of(minutes),
        "fees_eur": euros(fees),
        "limit_eur": euros(limit),
        "remaining_eur": euros(limit - fees) if limit is not None else None,
        "over_limit": limit is not None and fees > limit,
        "fees_cents": fees,
        "limit_cents": limit,
        "by_activity": {
            a: {"hours": hours_of(v["minutes"]), "fees_eur": euros(v["fee_cents"])} for a, v in by_activity.items()
        },
        "entries": [{**e, "hours": hours_of(e["minutes"]), "fee_eur": euros(e["fee_cents"])} for e in entries],
    }


async def visits_without_hours(user_id: int, days: int = 14) -> list[dict[str, Any]]:
    """The worker's recent visits with no hours logged from them: each offers to add its time.
    Visits they were at count, whoever of the pair logged them."""
    since = utcnow() - timedelta(days=days)
    logged = HoursEntry.select(HoursEntry.visit).where((HoursEntry.user == user_id) & HoursEntry.visit.is_not_null())
    return (
        await Visit.select(Visit.uuid, Visit.occurred_at, Visit.kind)
        .where(present_at(user_id) & (Visit.occurred_at >= since) & Visit.id.not_in(logged))
        .order_by(Visit.occurred_at, ascending=False)
        .limit(10)
    )


async def payroll_rows(walls: TeamScope, month: str | None) -> list[tuple[Any, ...]]:
    """For the lead's payroll: hours and fees per worker and activity; nothing else (no limits)."""
    first, following = month_bounds(month)
    rows = (
        await HoursEntry.select(
            HoursEntry.user,
            HoursEntry.user.display_name.as_alias("name"),
            HoursEntry.user.email.as_alias("email"),
            HoursEntry.activity,
            Sum(HoursEntry.minutes, alias="minutes"),
            Sum(HoursEntry.fee_cents, alias="fees"),
        )
        .where(walls.condition(HoursEntry) & (HoursEntry.worked_on >= first) & (HoursEntry.worked_on < following))
        .group_by(HoursEntry.user, HoursEntry.user.display_name, HoursEntry.user.email, HoursEntry.activity)
        .order_by(HoursEntry.user.display_name)
    )
    return [
        (
            first.strftime("%Y-%m"),
            r["name"],
            r["email"],
            r["activity"],
            str(hours_of(int(r["minutes"]))),
            str(euros(int(r["fees"]))),
        )
        for r in rows
    ]


async def expert_hours(team_ids: tuple[int, ...], user_ids: list[int]) -> dict[int, Decimal]:
    """This month's hours per worker (the dashboard shows the experience experts')."""
    if not user_ids:
        return {}
    first, following = month_bounds(None)
    rows = (
        await HoursEntry.select(HoursEntry.user, Sum(HoursEntry.minutes, alias="minutes"))
        .where(
            HoursEntry.user.is_in(user_ids)
            & HoursEntry.team.is_in(list(team_ids) or [-1])
            & (HoursEntry.worked_on >= first)
            & (HoursEntry.worked_on < following)
        )
        .group_by(HoursEntry.user)
    )
    return {r["user"]: hours_of(int(r["minutes"] or 0)) for r in rows}

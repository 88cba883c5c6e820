"""Reviews (arviointi): a structured interview with the client every few months.

The pair scores fixed life areas 1–5, each with an optional word of the client's, together with
the client (the default). Progress is the first review against the latest, per area. A review is
due for a client with an agreement in force: the team's rhythm (3 months by default) after the
latest review, or after the agreement began.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from server.audit.glass import client_within_walls
from server.audit.uselog import log_client_read, log_client_reads, log_client_write
from server.db.lifecycle import engine
from server.db.prepared import Statement, column_list, placeholders, statement
from server.i18n import N_
from server.pathway.tables import REVIEW_AREAS, PathSettings, Review, ReviewScore
from server.push.planner import plan_client
from server.scope import TeamScope
from server.timeutil import local_today, utcnow
from server.validation import MAX_NOTES, Reader

DEFAULT_REVIEW_MONTHS = 3
MAX_REVIEW_MONTHS = 12
MAX_WORD = 80
DUE_SOON_DAYS = 7  # Today shows a review this close, and every overdue one

AREA_LABELS = {
    "housing": N_("Housing"),
    "livelihood_debts": N_("Livelihood and debts"),
    "substance_use": N_("Substance use"),
    "mental_health": N_("Mental health"),
    "physical_health": N_("Physical health"),
    "daily_life": N_("Daily life and routines"),
    "relationships": N_("Relationships and support"),
    "crime_free": N_("Crime-free life"),
    "work_study": N_("Work and study"),
    "services": N_("Services in use"),
}

_REVIEW_COLUMNS = (
    Review.id,
    Review.client,
    Review.held_on,
    Review.together,
    Review.notes,
    Review.created_by,
    Review.created_at,
)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def read_review(raw: dict[str, Any]) -> dict[str, Any]:
    """Date, the together flag, notes and the scores: `{"area": 3}` or `{"area": {"score": 3, "word": ".."}}`.
    Errors name `scores.<area>` (also an unknown area) or `words.<area>`."""
    reader = Reader(raw)
    held_on = reader.day("held_on", required=True)
    if held_on and held_on > local_today():
        reader.fail("held_on", N_("A review cannot be in the future."))
    together = raw.get("together", True)
    if not isinstance(together, bool):
        together = Reader({"together": together}).flag("together")
    notes = reader.text("notes", MAX_NOTES, multiline=True)
    scores: Any = raw.get("scores")
    words: Any = raw.get("words") or {}
    clean: dict[str, tuple[int, str]] = {}
    if not isinstance(scores, dict) or not scores:
        reader.fail("scores", N_("Score at least one life area."))
        scores = {}
    if not isinstance(words, dict):
        reader.fail("words", N_("Not one of the allowed choices."))
        words = {}
    value: Any
    for area, value in scores.items():
        name = f"scores.{area}"
        if area not in REVIEW_AREAS:
            reader.fail(name, N_("Not one of the life areas."))
            continue
        word = words.get(area, "")
        if isinstance(value, dict):
            value, word = value.get("score"), value.get("word", word)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            reader.fail(name, N_("A score is a whole number from 1 to 5."))
            continue
        own = Reader({f"words.{area}": word})
        clean[area] = (value, own.text(f"words.{area}", MAX_WORD))
        for field, message in own.errors.items():
            reader.fail(field, message)
    for area in words:
        if area not in REVIEW_AREAS:
            reader.fail(f"words.{area}", N_("Not one of the life areas."))
    reader.done()
    return {"held_on": held_on, "together": together, "notes": notes, "scores": clean}


def review_form_to_body(raw: dict[str, Any]) -> dict[str, Any]:
    """A plain form (score_<area> radios, word_<area> boxes, a together box) as the API's body."""
    scores = {area: raw[f"score_{area}"] for area in REVIEW_AREAS if raw.get(f"score_{area}") not in (None, "")}
    words = {area: raw[f"word_{area}"] for area in REVIEW_AREAS if raw.get(f"word_{area}")}
    return {
        "held_on": raw.get("held_on"),
        "together": bool(raw.get("together")),
        "notes": raw.get("notes", ""),
        "scores": scores,
        "words": {area: word for area, word in words.items() if area in scores},
    }


def form_errors(errors: dict[str, str]) -> dict[str, str]:
    return {name.replace("scores.", "score_").replace("words.", "word_"): message for name, message in errors.items()}


async def create_review(walls: TeamScope, client_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    client = await client_within_walls(walls, client_id, "reviews")
    values = read_review(raw)
    async with engine().transaction():
        rows = await Review.insert(
            Review(
                team=client["team"],
                client=client["id"],
                held_on=values["held_on"],
                together=values["together"],
                notes=values["notes"],
                created_by=walls.user.id,
                created_at=utcnow(),
            )
        ).returning(Review.id)
        review_id = rows[0]["id"]
        await ReviewScore.insert(
            *[
                ReviewScore(review=review_id, area=area, score=score, word=word)
                for area, (score, word) in values["scores"].items()
            ]
        )
        await plan_client(client["id"])  # the next review's reminder moves on
        await log_client_write(walls, client["id"], client["team"], "create", f"review:{review_id}")
    return (await _reviews(walls, client["id"], review_id))[0]


async def _reviews(walls: TeamScope, client_id: int, review_id: int | None = None) -> list[dict[str, Any]]:
    teams = walls.team_id_list()
    condition, args = f"r.team IN ({placeholders(len(teams))}) AND r.client = {{}}", [*teams, client_id]
    if review_id is not None:
        condition += " AND r.id = {}"
        args.append(review_id)
    # SQL written once per shape (server/db/prepared.py): every client page shows them.
    rows = await statement(
        f"SELECT {column_list(_REVIEW_COLUMNS, 'r')} FROM path_review r WHERE {condition} ORDER BY r.held_on, r.id"  # nosec B608 # column names and placeholders only
    ).fetch(*args)
    scores: dict[int, dict[str, dict[str, Any]]] = {row["id"]: {} for row in rows}
    if rows:
        for score in await statement(
            f"SELECT review, area, score, word FROM path_review_score WHERE review IN ({placeholders(len(scores))})"  # nosec B608 # placeholders only
        ).fetch(*scores):
            scores[score["review"]][score["area"]] = {"score": score["score"], "word": score["word"]}
    return [
        {
            "id": row["id"],
            "client_id": row["client"],
            "held_on": row["held_on"],
            "together": row["together"],
            "notes": row["notes"],
            "created_by": row["created_by"],
            "created_at": row["created_at"],
            "scores": {area: scores[row["id"]][area] for area in REVIEW_AREAS if area in scores[row["id"]]},
            "total": sum(item["score"] for item in scores[row["id"]].values()),
        }
        for row in rows
    ]


def progress(reviews: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per area, the first review's score and the latest's (oldest-first reviews); an area scored in
    only one of them shows what there is."""
    if not reviews:
        return []
    first, latest = reviews[0], reviews[-1]
    rows = []
    for area in REVIEW_AREAS:
        before = first["scores"].get(area, {}).get("score")
        after = latest["scores"].get(area, {}).get("score") if len(reviews) > 1 else None
        if before is None and after is None:
            continue
        rows.append(
            {
                "area": area,
                "first": before,
                "latest": after,
                "word": latest["scores"].get(area, {}).get("word", ""),
                "change": (after - before) if before is not None and after is not None else None,
            }
        )
    return rows


async def reviews_of_client(walls: TeamScope, client_id: int, what: str | None = "reviews") -> list[dict[str, Any]]:
    """The client's reviews, oldest first."""
    client = await client_within_walls(walls, client_id, "reviews")
    reviews = await _reviews(walls, client_id)
    if what:
        await log_client_read(walls, client_id, client["team"], what, object_="reviews")
    return reviews


async def review_months(team_id: int) -> int:
    row = await _REVIEW_EVERY.first(team_id)
    return row["review_every_months"] if row else DEFAULT_REVIEW_MONTHS


def read_review_months(raw: dict[str, Any]) -> int:
    reader = Reader(raw)
    months = reader.integer("review_every_months", 1, MAX_REVIEW_MONTHS)
    if months is None and "review_every_months" not in reader.errors:
        reader.fail("review_every_months", N_("This field is required."))
    reader.done()
    return months  # type: ignore[return-value]


async def save_review_months(team_id: int, months: int) -> None:
    updated = (
        await PathSettings.update({PathSettings.review_every_months: months, PathSettings.updated_at: utcnow()})
        .where(PathSettings.team == team_id)
        .returning(PathSettings.id)
    )
    if not updated:
        await PathSettings.insert(PathSettings(team=team_id, review_every_months=months)).on_conflict(
            target=PathSettings.team, action="DO NOTHING"
        )


# The client page's questions about the next review, as SQL written once (server/db/prepared.py).
_FIRST_IN_FORCE = Statement(
    "SELECT starts_on FROM path_agreement WHERE client = {} AND status = 'active' AND ends_on >= {} "
    "ORDER BY starts_on LIMIT 1"
)
_LATEST_REVIEW = Statement("SELECT held_on FROM path_review WHERE client = {} ORDER BY held_on DESC LIMIT 1")
_REVIEW_EVERY = Statement("SELECT review_every_months FROM path_settings WHERE team = {} LIMIT 1")


async def review_due_on(client_id: int, team_id: int, today: date | None = None) -> date | None:
    """When the client's next review is due, or None: no agreement in force, no review to plan."""
    today = today or local_today()
    agreement = await _FIRST_IN_FORCE.first(client_id, today)
    if agreement is None:
        return None
    latest = await _LATEST_REVIEW.first(client_id)
    since = max(agreement["starts_on"], latest["held_on"]) if latest else agreement["starts_on"]
    return add_months(since, await review_months(team_id))


# reviews_due's three queries as SQL (server/db/prepared.py): it runs on every home page.
_AGREEMENTS_IN_FORCE = """SELECT a.client, a.team, a.starts_on, c.pseudonym AS pseudonym
FROM path_agreement a JOIN client c ON c.id = a.client
WHERE a.team IN ({teams}) AND a.status = 'active' AND a.ends_on >= {{}} AND c.status != 'closed'{mine}"""
_REVIEWS_OF = "SELECT client, held_on FROM path_review WHERE client IN ({clients})"
_REVIEW_MONTHS = "SELECT team, review_every_months FROM path_settings WHERE team IN ({teams})"


async def reviews_due(walls: TeamScope, mine_only: bool, what: str = "home") -> list[dict[str, Any]]:
    """Clients (of the pair, or the scope) whose review is due within a week or overdue, soonest
    first. The same rule as `review_due_on`, in three queries for a whole caseload."""
    today = local_today()
    teams = walls.team_id_list()
    mine = ""
    args: list[Any] = [*teams, today]
    if mine_only and walls.user.pair_id is not None:
        mine, args = " AND c.pair = {}", [*args, walls.user.pair_id]
    rows = await statement(_AGREEMENTS_IN_FORCE.format(teams=placeholders(len(teams)), mine=mine)).fetch(*args)
    if not rows:
        return []
    began: dict[int, dict[str, Any]] = {}
    for row in rows:  # the earliest agreement in force, as review_due_on takes it
        if row["client"] not in began or row["starts_on"] < began[row["client"]]["starts_on"]:
            began[row["client"]] = row
    latest: dict[int, date] = {}
    reviews = statement(_REVIEWS_OF.format(clients=placeholders(len(began))))
    for row in await reviews.fetch(*began):
        latest[row["client"]] = max(latest.get(row["client"], row["held_on"]), row["held_on"])
    teams_in = sorted({row["team"] for row in began.values()})
    months = {team: DEFAULT_REVIEW_MONTHS for team in teams_in}
    for row in await statement(_REVIEW_MONTHS.format(teams=placeholders(len(teams_in)))).fetch(*teams_in):
        months[row["team"]] = row["review_every_months"]
    due = []
    for client_id, row in began.items():
        since = max(row["starts_on"], latest[client_id]) if client_id in latest else row["starts_on"]
        due_on = add_months(since, months[row["team"]])
        if due_on <= today + timedelta(days=DUE_SOON_DAYS):
            due.append(
                {"client": client_id, "pseudonym": row["pseudonym"], "due_on": due_on, "overdue": due_on < today}
            )
    due.sort(key=lambda item: (item["due_on"], item["client"]))
    await log_client_reads(walls, [item["client"] for item in due], what)
    return due


async def clients_with_declining_review(team_ids: list[int] | tuple[int, ...] | set[int]) -> set[int]:
    """Clients of these teams whose latest review scores lower than the one before, over the areas
    scored in both (a heavy phase, for the dashboard's pair load). Not a read of anyone's record:
    ids only, for counting; no use-log row."""
    if not team_ids:
        return set()
    rows = await (
        Review.select(Review.id, Review.client)
        .where(Review.team.is_in(list(team_ids)) & (Review.client.status != "closed"))
        .order_by(Review.client)
        .order_by(Review.held_on)
        .order_by(Review.id)
    )
    last_two: dict[int, list[int]] = {}
    for row in rows:
        last_two[row["client"]] = (last_two.get(row["client"], []) + [row["id"]])[-2:]
    pairs = {client: ids for client, ids in last_two.items() if len(ids) == 2}
    if not pairs:
        return set()
    review_ids = [review_id for ids in pairs.values() for review_id in ids]
    scores: dict[int, dict[str, int]] = {}
    for row in await ReviewScore.select(ReviewScore.review, ReviewScore.area, ReviewScore.score).where(
        ReviewScore.review.is_in(review_ids)
    ):
        scores.setdefault(row["review"], {})[row["area"]] = row["score"]
    declining = set()
    for client, (before, after) in pairs.items():
        common = scores.get(before, {}).keys() & scores.get(after, {}).keys()
        if common and sum(scores[after][a] for a in common) < sum(scores[before][a] for a in common):
            declining.add(client)
    return declining


__all__ = ["clients_with_declining_review", "create_review", "progress", "reviews_due", "reviews_of_client"]

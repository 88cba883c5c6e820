"""Demo paths (server/demo.py): agreements with goals in clients' own words, goal histories and
reviews that show progress (and one decline), so `make run` shows every part of the path."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from server.casework.tables import Client
from server.pathway.tables import REVIEW_AREAS, Agreement, Goal, GoalChange, Review, ReviewScore
from server.timeutil import local_today, local_zone

GOALS = [
    "Oma asunto ennen talvea",
    "Velat järjestykseen, ulosotto maksuun",
    "Päihteetön arki, ainakin viikot",
    "Henkilökortti ja pankkitili kuntoon",
    "Kelan asiat hoidossa itse",
    "Käydä A-klinikalla säännöllisesti",
    "Päivärytmi: herään ennen kymmentä",
    "Yhteys tyttäreen",
    "Töihin tai kurssille keväällä",
    "Ei enää linnaan",
    "Lääkäriin hampaiden takia",
    "Harrastus: kuntosali kaverin kanssa",
]
WORDS = ["oma kämppä", "ulosotto loppui", "kuivilla", "nukun paremmin", "äiti soittaa", "kurssi alkoi", "", "", ""]


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=local_zone())


async def create_demo_paths(team_clients: int = 5) -> None:
    rng = random.Random(2028)
    today = local_today()
    clients = (
        await Client.select(Client.id, Client.team, Client.pair, Client.created_by)
        .where(Client.status == "active")
        .order_by(Client.id)
    )
    chosen: dict[int, list[dict]] = {}
    for row in clients:
        chosen.setdefault(row["pair"], [])
        if len(chosen[row["pair"]]) < team_clients:
            chosen[row["pair"]].append(row)
    for rows in chosen.values():
        for index, row in enumerate(rows):
            await _path(rng, row, today, index)


async def _path(rng: random.Random, client: dict, today: date, index: int) -> None:
    # Index 0: a year of work ending in 3 weeks (a reminder); 1: a review overdue; 2: a decline.
    months_in = (12, 7, 8, 4, 2)[index % 5]
    starts = today - timedelta(days=30 * months_in)
    ends = today + timedelta(days=21) if index == 0 else starts + timedelta(days=365)
    author = client["created_by"]
    agreement = (
        await Agreement.insert(
            Agreement(
                team=client["team"],
                client=client["id"],
                kind="social_rehabilitation" if index != 4 else "other_support",
                starts_on=starts,
                ends_on=ends,
                status="active",
                created_by=author,
                created_at=_at(starts),
                updated_at=_at(starts),
            )
        ).returning(Agreement.id)
    )[0]["id"]
    texts = rng.sample(GOALS, rng.randint(2, 4))
    for position, text in enumerate(texts, start=1):
        steps = ["open"] + {0: ["progressing", "reached"], 1: ["progressing"]}.get(
            rng.randint(0, 2) if months_in > 3 else 2, []
        )
        goal = (
            await Goal.insert(
                Goal(
                    team=client["team"],
                    client=client["id"],
                    agreement=agreement,
                    position=position,
                    text=text,
                    status=steps[-1],
                    updated_at=_at(today),
                )
            ).returning(Goal.id)
        )[0]["id"]
        for n, (before, after) in enumerate(zip([""] + steps, steps, strict=False)):
            await GoalChange.insert(
                GoalChange(
                    team=client["team"],
                    goal=goal,
                    changed_by=author,
                    changed_at=_at(starts + timedelta(days=40 * n)),
                    from_status=before,
                    to_status=after,
                )
            )
    reviews = [starts + timedelta(days=7)]
    if months_in >= 4 and index != 1:
        reviews.append(today - timedelta(days=rng.randint(10, 40)))
    base = {area: rng.randint(1, 3) for area in REVIEW_AREAS}
    for n, held_on in enumerate(reviews):
        review = (
            await Review.insert(
                Review(
                    team=client["team"],
                    client=client["id"],
                    held_on=held_on,
                    together=True,
                    created_by=author,
                    created_at=_at(held_on),
                )
            ).returning(Review.id)
        )[0]["id"]
        change = -1 if index == 2 else 1
        scores = {area: max(1, min(5, value + (n * change * rng.randint(0, 2)))) for area, value in base.items()}
        await ReviewScore.insert(
            *[
                ReviewScore(review=review, area=area, score=score, word=rng.choice(WORDS) if n else "")
                for area, score in scores.items()
            ]
        )

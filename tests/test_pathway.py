"""The client's path: agreement and goals, reviews with a structured interview, reminders, Today."""

from datetime import timedelta

import pytest

from server.accounts.tables import Pair
from server.casework.tables import AccessLog
from server.pathway.reviews import add_months, clients_with_declining_review
from server.pathway.tables import REVIEW_AREAS, Agreement, Goal, GoalChange, Review, ReviewScore
from server.push.tables import Reminder
from server.timeutil import local_today
from tests.support.casework import api, make_client
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio

FIRST = {
    "housing": 1,
    "livelihood_debts": 2,
    "substance_use": 2,
    "mental_health": 3,
    "physical_health": 3,
    "daily_life": 2,
    "relationships": 2,
    "crime_free": 3,
    "work_study": 1,
    "services": 2,
}


@pytest.fixture
async def client_id(world):
    pair = await Pair.select(Pair.id).first()
    return await make_client(world.team_a, "Make", pair["id"])


async def _stored() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in (Agreement, Goal, GoalChange, Review, ReviewScore)}


async def test_the_path_of_one_client_over_a_year(client, world, client_id):
    await login(client, "alice@example.org")
    today = local_today()
    made = await api(
        client,
        "POST",
        f"/api/v1/clients/{client_id}/agreements",
        {
            "kind": "social_rehabilitation",
            "starts_on": str(today - timedelta(days=365)),
            "ends_on": str(today + timedelta(days=20)),
            "goals": [{"text": "Oma asunto ennen talvea"}, {"text": "Velat järjestykseen"}, {"text": "Töihin"}],
        },
    )
    assert made.status_code == 201, made.text
    agreement = made.json()
    assert agreement["status"] == "active" and [g["status"] for g in agreement["goals"]] == ["open"] * 3
    housing, debts, work = (g["id"] for g in agreement["goals"])

    first = await api(
        client,
        "POST",
        f"/api/v1/clients/{client_id}/reviews",
        {"held_on": str(today - timedelta(days=330)), "together": True, "scores": FIRST, "notes": "Alku"},
    )
    assert first.status_code == 201, first.text
    assert first.json()["total"] == sum(FIRST.values()) and first.json()["together"] is True
    for goal_id, status in ((housing, "progressing"), (housing, "reached"), (debts, "progressing"), (work, "dropped")):
        changed = await api(client, "PATCH", f"/api/v1/goals/{goal_id}", {"status": status})
        assert changed.status_code == 200 and changed.json()["status"] == status
    later = {**FIRST, "housing": 4, "livelihood_debts": {"score": 3, "word": "ulosotto loppui"}, "daily_life": 4}
    second = await api(
        client,
        "POST",
        f"/api/v1/clients/{client_id}/reviews",
        {"held_on": str(today - timedelta(days=30)), "scores": later},
    )
    assert second.status_code == 201 and second.json()["scores"]["livelihood_debts"] == {
        "score": 3,
        "word": "ulosotto loppui",
    }

    listed = (await api(client, "GET", f"/api/v1/clients/{client_id}/reviews")).json()
    assert listed["total"] == 2
    by_area = {row["area"]: row for row in listed["progress"]}
    assert (by_area["housing"]["first"], by_area["housing"]["latest"], by_area["housing"]["change"]) == (1, 4, 3)
    assert by_area["work_study"]["change"] == 0
    assert listed["next_due_on"] == str(add_months(today - timedelta(days=30), 3))

    goals = (await api(client, "GET", f"/api/v1/agreements/{agreement['id']}")).json()["goals"]
    history = [(h["from_status"], h["to_status"]) for h in goals[0]["history"]]
    assert history == [("", "open"), ("open", "progressing"), ("progressing", "reached")]
    assert goals[0]["history"][-1]["changed_by"] == world.alice
    assert [g["status"] for g in goals] == ["reached", "progressing", "dropped"]

    # Ending within 30 days reminds the pair; the next review is planned too. No names anywhere.
    kinds = {row["kind"]: row for row in await Reminder.select().where(Reminder.client == client_id)}
    assert {"agreement_end", "review_due"} <= set(kinds)
    assert kinds["agreement_end"]["audience"] == "pair" and kinds["agreement_end"]["state"] == "pending"

    ended = await api(client, "PATCH", f"/api/v1/agreements/{agreement['id']}", {"status": "ended"})
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    states = {row["kind"]: row["state"] for row in await Reminder.select().where(Reminder.client == client_id)}
    assert states["agreement_end"] == "cancelled" and states["review_due"] == "cancelled"

    logged = await AccessLog.select(AccessLog.what, AccessLog.action, AccessLog.object).where(
        AccessLog.client == client_id
    )
    whats = {(row["what"], row["action"]) for row in logged}
    assert {
        ("agreement_create", "create"),
        ("review_create", "create"),
        ("goal_update", "update"),
        ("agreement_update", "update"),
        ("reviews", "read"),
    } <= whats or ("api_reviews", "read") in whats
    assert any(row["object"] == f"goal:{housing}" for row in logged)

    page = await client.get(f"/clients/{client_id}")
    assert page.status_code == 200
    assert "Oma asunto ennen talvea" in page.text and "<svg" in page.text and "ulosotto loppui" in page.text


async def test_a_declining_review_is_found_for_the_dashboard(client, world, client_id):
    await login(client, "alice@example.org")
    today = local_today()
    for days_ago, housing in ((200, 3), (100, 4), (10, 2)):
        assert (
            await api(
                client,
                "POST",
                f"/api/v1/clients/{client_id}/reviews",
                {"held_on": str(today - timedelta(days=days_ago)), "scores": {"housing": housing, "crime_free": 3}},
            )
        ).status_code == 201
    assert await clients_with_declining_review([world.team_a]) == {client_id}
    assert await clients_with_declining_review([world.team_b]) == set()
    assert (
        await api(
            client,
            "POST",
            f"/api/v1/clients/{client_id}/reviews",
            {"held_on": str(today), "scores": {"housing": 5, "crime_free": 3}},
        )
    ).status_code == 201
    assert await clients_with_declining_review([world.team_a]) == set()


@pytest.mark.parametrize(
    "body, fields",
    [
        (
            {"kind": "friendship", "starts_on": "2026-01-01", "ends_on": "2026-06-01", "goals": [{"text": "x"}]},
            {"kind"},
        ),
        ({"starts_on": "2026-06-01", "ends_on": "2026-01-01", "goals": [{"text": "x"}]}, {"ends_on"}),
        ({"starts_on": "2026-01-01", "ends_on": "2026-06-01", "goals": []}, {"goals"}),
        (
            {"starts_on": "2026-01-01", "ends_on": "2026-06-01", "goals": [{"text": str(n)} for n in range(6)]},
            {"goals"},
        ),
        (
            {"starts_on": "2026-01-01", "ends_on": "2026-06-01", "goals": [{"text": "ok"}, {"text": "  "}]},
            {"goals.1.text"},
        ),
        ({"starts_on": "ei", "goals": [{"text": "x" * 301}]}, {"starts_on", "ends_on", "goals.0.text"}),
    ],
)
async def test_a_bad_agreement_is_422_with_field_errors_and_nothing_stored(client, world, client_id, body, fields):
    await login(client, "alice@example.org")
    before = await _stored()
    answer = await api(client, "POST", f"/api/v1/clients/{client_id}/agreements", body)
    assert answer.status_code == 422
    assert {error["field"] for error in answer.json()["errors"]} == fields
    assert await _stored() == before


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"held_on": "2026-01-01", "scores": {"housing": 6}}, {"scores.housing"}),
        ({"held_on": "2026-01-01", "scores": {"housing": 0, "crime_free": "3"}}, {"scores.housing"}),
        ({"held_on": "2026-01-01", "scores": {"happiness": 3}}, {"scores.happiness"}),
        ({"held_on": "2026-01-01", "scores": {"housing": 2.5}}, {"scores.housing"}),
        ({"held_on": "2026-01-01", "scores": {"housing": True}}, {"scores.housing"}),
        ({"held_on": "2026-01-01", "scores": {}}, {"scores"}),
        ({"scores": {"housing": 3}}, {"held_on"}),
        ({"held_on": "2999-01-01", "scores": {"housing": 3}}, {"held_on"}),
        ({"held_on": "2026-01-01", "scores": {"housing": {"score": 3, "word": "x" * 81}}}, {"words.housing"}),
    ],
)
async def test_bad_scores_are_422_with_field_errors_and_nothing_stored(client, world, client_id, body, fields):
    await login(client, "alice@example.org")
    before = await _stored()
    answer = await api(client, "POST", f"/api/v1/clients/{client_id}/reviews", body)
    assert answer.status_code == 422
    assert {error["field"] for error in answer.json()["errors"]} == fields
    assert await _stored() == before


async def test_goal_and_agreement_status_must_be_known(client, world, client_id):
    await login(client, "alice@example.org")
    agreement = (
        await api(
            client,
            "POST",
            f"/api/v1/clients/{client_id}/agreements",
            {"starts_on": "2026-01-01", "ends_on": "2027-01-01", "goals": [{"text": "Asunto"}]},
        )
    ).json()
    goal = agreement["goals"][0]["id"]
    before = await _stored()
    assert (await api(client, "PATCH", f"/api/v1/goals/{goal}", {"status": "done"})).status_code == 422
    assert (await api(client, "PATCH", f"/api/v1/goals/{goal}", {})).status_code == 422
    assert (await api(client, "PATCH", f"/api/v1/agreements/{agreement['id']}", {"status": "x"})).status_code == 422
    assert await _stored() == before
    # The same status twice is no new step of the history.
    await api(client, "PATCH", f"/api/v1/goals/{goal}", {"status": "reached"})
    again = await api(client, "PATCH", f"/api/v1/goals/{goal}", {"status": "reached"})
    assert again.status_code == 200 and len(again.json()["history"]) == 2
    # ... and no write in the use log: the first tap is the one update, the second only showed it.
    goal_rows = (
        await AccessLog.select(AccessLog.action).where(AccessLog.object == f"goal:{goal}").order_by(AccessLog.id)
    )
    assert [row["action"] for row in goal_rows] == ["update", "read"]


async def test_review_areas_are_listed_with_labels_in_the_users_language(client, world):
    await login(client, "alice@example.org")
    answer = (await api(client, "GET", "/api/v1/review-areas")).json()
    assert [item["key"] for item in answer["items"]] == list(REVIEW_AREAS)
    assert answer["items"][0]["label"] == "Asuminen"


async def test_another_teams_worker_gets_404_and_nothing_is_stored(client, world, client_id):
    await login(client, "alice@example.org")
    agreement = (
        await api(
            client,
            "POST",
            f"/api/v1/clients/{client_id}/agreements",
            {"starts_on": "2026-01-01", "ends_on": "2027-01-01", "goals": [{"text": "Asunto"}]},
        )
    ).json()
    await client.post("/logout", data={})
    client.cookies.clear()
    await login(client, "dave@example.org")
    before = await _stored()
    good_review = {"held_on": "2026-01-01", "scores": {"housing": 3}}
    for method, path, body in (
        (
            "POST",
            f"/api/v1/clients/{client_id}/agreements",
            {"starts_on": "2026-01-01", "ends_on": "2027-01-01", "goals": [{"text": "x"}]},
        ),
        ("GET", f"/api/v1/clients/{client_id}/agreements", None),
        ("GET", f"/api/v1/agreements/{agreement['id']}", None),
        ("PATCH", f"/api/v1/agreements/{agreement['id']}", {"status": "ended"}),
        ("PATCH", f"/api/v1/goals/{agreement['goals'][0]['id']}", {"status": "reached"}),
        ("POST", f"/api/v1/clients/{client_id}/reviews", good_review),
        ("GET", f"/api/v1/clients/{client_id}/reviews", None),
    ):
        assert (await api(client, method, path, body)).status_code == 404, path
    assert await _stored() == before


async def test_the_plain_forms_save_and_show_errors_without_javascript(client, world, client_id):
    await login(client, "alice@example.org")
    today = local_today()
    bad = await post_form(
        client,
        f"/clients/{client_id}/agreements",
        {"kind": "social_rehabilitation", "starts_on": str(today), "ends_on": str(today), "goal_2": "Oma asunto"},
    )
    assert bad.status_code == 422 and "Oma asunto" in bad.text and await Agreement.count() == 0
    saved = await post_form(
        client,
        f"/clients/{client_id}/agreements",
        {
            "kind": "social_rehabilitation",
            "starts_on": str(today),
            "ends_on": str(today + timedelta(days=180)),
            "goal_1": "Oma asunto",
            "goal_3": "Työ",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/clients/{client_id}?saved=agreement#path"
    assert [g["text"] for g in await Goal.select(Goal.text).order_by(Goal.position)] == ["Oma asunto", "Työ"]
    goal = await Goal.select(Goal.id).order_by(Goal.position).first()
    moved = await post_form(client, f"/goals/{goal['id']}/status", {"status": "progressing"})
    assert moved.status_code == 303
    htmx = await client.post(
        f"/goals/{goal['id']}/status",
        headers={"HX-Request": "true"},
        data={"status": "reached", "_csrf_token": client.cookies["csrftoken"]},
    )
    assert htmx.status_code == 200 and htmx.text.lstrip().startswith('<section id="path"')
    assert 'data-goal-status="reached"' in htmx.text
    bad_review = await post_form(
        client, f"/clients/{client_id}/reviews", {"held_on": str(today), "together": "1", "word_housing": "kämppä"}
    )
    assert bad_review.status_code == 422 and await Review.count() == 0
    review = await post_form(
        client,
        f"/clients/{client_id}/reviews",
        {"held_on": str(today), "score_housing": "4", "word_housing": "oma kämppä", "score_crime_free": "5"},
    )
    assert review.status_code == 303
    stored = await Review.select().first()
    assert stored["together"] is False  # the box was not ticked
    assert {row["area"]: row["word"] for row in await ReviewScore.select()} == {
        "housing": "oma kämppä",
        "crime_free": "",
    }


async def test_a_review_due_shows_on_today_for_the_pair(client, world, client_id):
    await login(client, "alice@example.org")
    today = local_today()
    await api(
        client,
        "POST",
        f"/api/v1/clients/{client_id}/agreements",
        {
            "starts_on": str(today - timedelta(days=120)),
            "ends_on": str(today + timedelta(days=200)),
            "goals": [{"text": "Asunto"}],
        },
    )
    home = await client.get("/")
    assert "Make" in home.text and "data-review-due" in home.text
    await api(client, "POST", f"/api/v1/clients/{client_id}/reviews", {"held_on": str(today), "scores": {"housing": 3}})
    assert "data-review-due" not in (await client.get("/")).text


async def test_the_demo_shows_agreements_goals_reviews_and_a_decline(db):
    from server.accounts.tables import Team
    from server.demo import seed_demo

    await seed_demo()
    assert await Agreement.count() >= 10 and await Goal.count() >= 20
    assert await Review.count() > await Agreement.count()  # first reviews, and later ones with progress
    assert await GoalChange.count().where(GoalChange.to_status == "reached") > 0
    teams = [row["id"] for row in await Team.select(Team.id)]
    assert await clients_with_declining_review(teams)
    assert await Reminder.count().where(Reminder.kind == "agreement_end") >= 1


async def test_the_lock_screen_says_no_name_for_the_paths_reminders(client, world, client_id):
    import json

    from server.push.messages import payload

    await login(client, "alice@example.org")
    today = local_today()
    await api(
        client,
        "POST",
        f"/api/v1/clients/{client_id}/agreements",
        {
            "starts_on": str(today - timedelta(days=200)),
            "ends_on": str(today + timedelta(days=12)),
            "goals": [{"text": "Oma asunto"}],
        },
    )
    rows = {row["kind"]: row for row in await Reminder.select().where(Reminder.client == client_id)}
    for kind, words in (("agreement_end", "Sopimus päättyy 12 päivän päästä"), ("review_due", "arviointi")):
        shown = json.loads(payload(rows[kind], "fi"))
        assert words in shown["body"] and "Make" not in json.dumps(shown) and "Oma asunto" not in json.dumps(shown)
        assert shown["url"] == f"/clients/{client_id}"
    assert "Ett avtal upphör om 12 dagar" in json.loads(payload(rows["agreement_end"], "sv"))["body"]


async def test_the_lead_sets_the_review_rhythm_and_the_due_date_follows(client, world, client_id):
    await login(client, "alice@example.org")
    today = local_today()
    await api(
        client,
        "POST",
        f"/api/v1/clients/{client_id}/agreements",
        {
            "starts_on": str(today - timedelta(days=10)),
            "ends_on": str(today + timedelta(days=300)),
            "goals": [{"text": "Oma asunto"}],
        },
    )
    reviews = f"/api/v1/clients/{client_id}/reviews"
    assert (await api(client, "GET", reviews)).json()["next_due_on"] == str(add_months(today - timedelta(days=10), 3))
    assert (await client.get("/team/reviews")).status_code == 403
    assert (await post_form(client, "/team/reviews", {"review_every_months": "1"})).status_code == 403
    await post_form(client, "/logout")
    await login(client, "lena@example.org")
    assert (await post_form(client, "/team/reviews", {"review_every_months": "13"})).status_code == 422
    saved = await post_form(client, "/team/reviews", {"review_every_months": "6"})
    assert saved.status_code == 303
    assert (await api(client, "GET", reviews)).json()["next_due_on"] == str(add_months(today - timedelta(days=10), 6))
    keys = {
        row["dedupe_key"]
        for row in await Reminder.select().where(
            (Reminder.client == client_id) & (Reminder.kind == "review_due") & (Reminder.state == "pending")
        )
    }
    assert keys == {f"review:{client_id}:{add_months(today - timedelta(days=10), 6).isoformat()}"}

"""Demo data: one organisation, two teams, three work pairs, a lead, an admin and ~60 clients.

Idempotent: a second run finds the demo teams and adds nothing. Names are street names
(pseudonyms); situations follow the seeds in shared/seeds (release from prison, housing,
substance services, debts, Kela). Dates are relative to the day the demo is made.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta

from server.accounts.services import add_pair, add_team, add_user
from server.accounts.tables import Pair, Team, User
from server.casework.clients import search_key
from server.casework.tables import (
    THEMES,
    VISIT_ACTIONS,
    Appointment,
    Client,
    ClientTheme,
    FollowUp,
    Visit,
    VisitAction,
    VisitAttendee,
    VisitMeeting,
    VisitTheme,
    VisitWorker,
)
from server.db.lifecycle import engine
from server.pathway.demo import create_demo_paths
from server.push.planner import plan_all_clients
from server.release.tables import ReleasePlanItem
from server.rhythm.hours import KOKOA_CENTS_PER_HOUR
from server.rhythm.supervision import plan_all_supervision
from server.rhythm.tables import Debrief, DebriefNote, FeeLimit, HoursEntry, Supervision
from server.timeutil import local_today, local_zone, utcnow

DEMO_PASSWORD = "rinnalla-demo-2026"
TEAM_HELSINKI = "Jalkautuva työ Helsinki"
TEAM_VANTAA = "Vapautuvat Vantaa"

USERS = [  # email, role, team, display name
    ("admin@demo.rinnalla.fi", "admin", None, "Aino Ylläpitäjä"),
    ("lead@demo.rinnalla.fi", "lead", TEAM_HELSINKI, "Leena Tiiminvetäjä"),
    ("anna@demo.rinnalla.fi", "professional", TEAM_HELSINKI, "Anna Sosionomi"),
    ("kalle@demo.rinnalla.fi", "experience_expert", TEAM_HELSINKI, "Kalle Kokemus"),
    ("sari@demo.rinnalla.fi", "professional", TEAM_HELSINKI, "Sari Sairaanhoitaja"),
    ("jari@demo.rinnalla.fi", "experience_expert", TEAM_HELSINKI, "Jari Vertainen"),
    ("mikko@demo.rinnalla.fi", "professional", TEAM_VANTAA, "Mikko Ohjaaja"),
    ("tiina@demo.rinnalla.fi", "experience_expert", TEAM_VANTAA, "Tiina Tukihenkilö"),
]
PAIRS = [
    ("anna@demo.rinnalla.fi", "kalle@demo.rinnalla.fi"),
    ("sari@demo.rinnalla.fi", "jari@demo.rinnalla.fi"),
    ("mikko@demo.rinnalla.fi", "tiina@demo.rinnalla.fi"),
]

PSEUDONYMS = [
    "Make",
    "Pete",
    "Jonttu",
    "Kake",
    "Tupu",
    "Sanna K.",
    "Masa",
    "Late",
    "Riksu",
    "Tero-poika",
    "Jaska",
    "Nipa",
    "Huuhkaja",
    "Minttu",
    "Sepe",
    "Veltsu",
    "Jussi R.",
    "Hessu",
    "Pirkko-täti",
    "Rami",
    "Tomppa",
    "Lissu",
    "Kimmo",
    "Rööperin Jani",
    "Aki",
    "Sale",
    "Eki",
    "Nina",
    "Taneli",
    "Ville V.",
    "Pasi",
    "Iida",
    "Manu",
    "Oskari",
    "Teppo",
    "Mira",
    "Kaitsu",
    "Jenni",
    "Lasse",
    "Raimo",
    "Sini",
    "Ossi",
    "Petteri",
    "Marjut",
    "Jyrki",
    "Tuula",
    "Sami S.",
    "Krisu",
    "Elmo",
    "Heidi",
    "Antsa",
    "Juha-Pekka",
    "Noora",
    "Tapsa",
    "Reijo",
    "Maija",
    "Hannu",
    "Emppu",
    "Ukko",
    "Vilma",
]
PRISONS = [
    "Helsingin vankila",
    "Vantaan vankila",
    "Keravan vankila",
    "Riihimäen vankila",
    "Hämeenlinnan vankila",
    "Sukevan vankila",
    "Turun vankila",
    "Suomenlinnan vankila",
]
PLACES = [
    "Kallion kirjaston edusta",
    "Rautatieasema, itäpuoli",
    "Sörnäisten metroasema",
    "Terveysneuvontapiste",
    "Asumisyksikön porraskäytävä",
    "Tikkurilan asema",
    "Myyrmäen kauppakeskus",
    "Hakaniemen tori",
    "Päiväkeskus",
    "Asiakkaan koti",
]
WITH_WHOM = [
    "Kela",
    "Aikuissosiaalityö",
    "A-klinikka",
    "Yhdyskuntaseuraamustoimisto",
    "Y-Säätiö",
    "TE-palvelut",
    "Velkaneuvonta",
    "Terveysasema",
    "Poliisi (henkilökortti)",
    "Pankki",
]
NOTES = [
    "Käytiin yhdessä läpi Kelan perustoimeentulotukihakemus. Asiakas täyttää liitteet itse.",
    "Vertaistukikeskustelu vapautumisen jännityksestä. Sovittiin tapaaminen vapautumispäivänä portilla.",
    "Asunto-asia etenee: Y-Säätiön haastattelu ensi viikolla. Asiakas pyysi saattoa.",
    "Velkaselvitys aloitettu, ulosottoasiat kartoitettu yhdessä.",
    "Asiakas kertoi olleensa kaksi viikkoa käyttämättä. Kannustettiin jatkamaan, A-klinikan aika varattu.",
    "Kriisikeskustelu: asiakas menetti yösijan. Ohjattiin asumisneuvontaan ja hätämajoitukseen.",
    "Henkilökortin hakeminen poliisilta: saatettiin ja odotettiin vuoroa.",
    "Lyhyt kohtaaminen kadulla, vaihdettiin kuulumiset ja annettiin puhelinnumero.",
    "Työkokeilupaikan vaihtoehdot käytiin läpi. Asiakas kiinnostunut kierrätyskeskuksesta.",
    "Valvotun koevapauden velvoitteet käytiin läpi; aktiviteettivelvoite sovittu.",
]
FOLLOWUP_NOTES = [
    "Soita ja kysy, pääsikö A-klinikalle",
    "Tarkista Kelan päätös",
    "Vie asuntohakemuksen liitteet",
    "Sovi purku työparin kanssa",
    "Varmista vapautumispäivän kuljetus",
    "Kysy velkaneuvonnan aika",
    "Muistuta henkilökortin noudosta",
    "Soita sosiaalityöntekijälle kuntoutussopimuksesta",
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=local_zone())


async def _demo_exists() -> bool:
    return await Team.exists().where(Team.name == TEAM_HELSINKI)


async def _create_accounts() -> None:
    for name in (TEAM_HELSINKI, TEAM_VANTAA):
        await add_team(name)
    for email, role, team, display in USERS:
        await add_user(email, role, DEMO_PASSWORD, team, display)
    for first, second in PAIRS:
        await add_pair(first, second)


def _client_row(rng: random.Random, name: str, team_id: int, pair: dict, today: date, index: int) -> Client:
    came_from = rng.choice(
        ["prison", "prison", "probation_office", "adult_social_work", "substance_services", "street", "street", "self"]
    )
    if index < len(PAIRS):  # every pair has a release coming soon: the moment this work is about
        came_from = "prison"
    inside = came_from == "prison" and (index < len(PAIRS) or rng.random() < 0.7)
    release = today + timedelta(days=rng.choice([0, 1, 3, 6, 9, 13, 20, 27, 41, 60, 85])) if inside else None
    if index < len(PAIRS):
        release = today + timedelta(days=(2, 5, 12)[index])
    status = "active" if index % 11 or index < len(PAIRS) else rng.choice(["paused", "closed"])
    started = today - timedelta(days=rng.randint(5, 400))
    return Client(
        team=team_id,
        pair=pair["id"],
        pseudonym=name,
        search_key=search_key(name),
        birth_year=rng.randint(1975, 2006),
        phone=f"040 {rng.randint(100, 999)} {rng.randint(1000, 9999)}" if rng.random() < 0.6 else "",
        status=status,
        started_on=started,
        status_changed_on=started,
        came_from=came_from,
        institution=rng.choice(PRISONS) if inside else "",
        release_date=release,
        release_type=rng.choice(["full_release", "supervised_probationary_freedom", "parole"]) if inside else "",
        consent_data_at=utcnow(),
        consent_data_by=pair["first_member"],
        created_by=pair["first_member"],
    )


async def _visit(
    rng: random.Random, team_id: int, client_id: int | None, pair: dict, when: datetime, anonymous: int = 0
) -> None:
    author = rng.choice([pair["first_member"], pair["second_member"]])
    rows = await Visit.insert(
        Visit(
            uuid=uuid.uuid4(),
            team=team_id,
            client=client_id,
            anonymous_count=anonymous,
            occurred_at=when,
            place=rng.choice(PLACES),
            kind="street"
            if anonymous
            else rng.choice(["street", "office", "home", "accompanying", "remote", "prison"]),
            notes="" if anonymous else rng.choice(NOTES),
            together_with_client=not anonymous and rng.random() < 0.5,
            created_by=author,
        )
    )
    visit_id = rows[0]["id"]
    workers = [pair["first_member"], pair["second_member"]] if rng.random() < 0.7 else [author]
    await VisitWorker.insert(*[VisitWorker(visit=visit_id, user=w) for w in workers])
    await VisitTheme.insert(*[VisitTheme(visit=visit_id, theme=t) for t in rng.sample(THEMES, rng.randint(1, 3))])
    await VisitAction.insert(
        *[VisitAction(visit=visit_id, action=a) for a in rng.sample(VISIT_ACTIONS, rng.randint(1, 2))]
    )


async def _fill_client(
    rng: random.Random, client_id: int, team_id: int, pair: dict, today: date, status_active: bool
) -> None:
    await ClientTheme.insert(*[ClientTheme(client=client_id, theme=t) for t in rng.sample(THEMES, rng.randint(1, 4))])
    for _ in range(rng.randint(1, 6)):
        day = today - timedelta(days=rng.randint(0, 60))
        await _visit(rng, team_id, client_id, pair, _at(day, rng.randint(9, 19), rng.choice([0, 15, 30, 45])))
    for _ in range(rng.randint(0, 2) if status_active else 0):
        due = today + timedelta(days=rng.randint(-5, 10))
        done = utcnow() if due < today and rng.random() < 0.3 else None
        await FollowUp.insert(
            FollowUp(
                team=team_id,
                client=client_id,
                pair=pair["id"],
                note=rng.choice(FOLLOWUP_NOTES),
                due_at=_at(due, rng.choice([9, 12, 15])),
                done_at=done,
                created_by=pair["first_member"],
            )
        )
    if status_active and rng.random() < 0.45:
        day = today + timedelta(days=rng.choice([0, 0, 1, 2, 5, 9, 14]))
        await Appointment.insert(
            Appointment(
                team=team_id,
                client=client_id,
                pair=pair["id"],
                starts_at=_at(day, rng.randint(9, 15), rng.choice([0, 30])),
                with_whom=rng.choice(WITH_WHOM),
                place="",
                remind_client=rng.random() < 0.5,
                created_by=pair["first_member"],
            )
        )


async def _create_casework() -> None:
    rng = random.Random(2026)
    today = local_today()
    pairs = await Pair.select(Pair.id, Pair.team, Pair.first_member, Pair.second_member).order_by(Pair.id)
    for index, name in enumerate(PSEUDONYMS):
        pair = pairs[index % len(pairs)]
        client = _client_row(rng, name, pair["team"], pair, today, index)
        rows = await Client.insert(client)
        await _fill_client(rng, rows[0]["id"], pair["team"], pair, today, client.status == "active")
    for pair in pairs:  # anonymous street contacts: counted, never identified
        for days_ago in range(0, 28, 2):
            when = _at(today - timedelta(days=days_ago), rng.randint(18, 22))
            await _visit(rng, pair["team"], None, pair, when, anonymous=rng.randint(1, 9))


DEBRIEFS = [
    (
        "Iltavuoro asemalla oli raskas: yksi asiakas oli todella huonossa kunnossa.",
        "Soitettiin yhdessä ensiapuun ja jäätiin odottamaan.",
        4,
    ),
    ("Rauhallinen vuoro, paljon uusia kasvoja.", "Kahvit kirjaston edessä.", 2),
]


async def _create_rhythm() -> None:
    """Debriefs, supervision and an experience expert's hours, so every page has something."""
    rng = random.Random(2027)
    today = local_today()
    for pair in await Pair.select(Pair.id, Pair.team, Pair.first_member, Pair.second_member).order_by(Pair.id):
        for days_ago, (happened, helped, load) in zip((2, 9), DEBRIEFS, strict=False):
            rows = await Debrief.insert(
                Debrief(
                    team=pair["team"],
                    pair=pair["id"],
                    owner=pair["first_member"],
                    occurred_at=_at(today - timedelta(days=days_ago), 22),
                    wants_lead_contact=days_ago == 2 and pair["id"] % 2 == 1,
                )
            )
            await DebriefNote.insert(
                DebriefNote(
                    debrief=rows[0]["id"],
                    author=pair["first_member"],
                    load=load,
                    what_happened=happened,
                    what_helped=helped,
                )
            )
        for member in (pair["first_member"], pair["second_member"]):
            await Supervision.insert(
                Supervision(
                    user=member,
                    team=pair["team"],
                    kind=rng.choice(("group", "individual")),
                    occurred_on=today - timedelta(days=rng.randint(3, 35)),
                    supervisor="Työnohjaaja Tuula Virtanen",
                )
            )
        expert = pair["second_member"]  # the pairs' second members are the experience experts
        for days_ago, activity, minutes in (
            (1, "client_work", 180),
            (3, "meeting", 60),
            (6, "preparation", 90),
            (8, "client_work", 240),
        ):
            day = today - timedelta(days=days_ago)
            if day.month != today.month:
                continue
            rate = KOKOA_CENTS_PER_HOUR[activity]
            await HoursEntry.insert(
                HoursEntry(
                    user=expert,
                    team=pair["team"],
                    worked_on=day,
                    activity=activity,
                    minutes=minutes,
                    cents_per_hour=rate,
                    fee_cents=rate * minutes // 60,
                )
            )
    kalle = await User.select(User.id).where(User.email == "kalle@demo.rinnalla.fi").first()
    if kalle:
        await FeeLimit.insert(FeeLimit(user=kalle["id"], monthly_limit_cents=30000))


async def _create_path() -> None:
    """Release plans (one ready, one without its essentials, one not begun), a peer-support group
    and a network meeting, so the client page and the lead's dashboard show them."""
    today = local_today()
    soonest = (
        await Client.select(Client.id, Client.team, Client.pair, Client.release_type)
        .where(
            Client.release_date.is_not_null()
            & (Client.release_date <= today + timedelta(days=12))
            & (Client.status == "active")
        )
        .order_by(Client.release_date)
        .limit(3)
    )
    pairs = {row["id"]: row for row in await Pair.select(Pair.id, Pair.first_member, Pair.second_member)}
    plans = [  # item, state, who (True: the pair's experience expert) and free text
        [
            ("housing", "done", False, "Y-Säätiö, tukiasunto"),
            ("livelihood", "done", False, ""),
            ("id_card", "done", True, ""),
            ("bank_account", "not_needed", False, ""),
            ("care", "done", False, "A-klinikka"),
            ("gate", "done", True, ""),
            ("first_meeting", "done", True, ""),
        ],
        [
            ("id_card", "done", True, ""),
            ("housing", "todo", False, "Kriminaalihuollon tukisäätiö"),
            ("gate", "todo", False, ""),
        ],
    ]
    for client, items in zip(soonest, plans, strict=False):
        pair = pairs.get(client["pair"]) or {}
        if items is plans[0] and client["release_type"] == "supervised_probationary_freedom":
            items = [*items, ("probation_office", "done", False, "")]
        await ReleasePlanItem.insert(
            *[
                ReleasePlanItem(
                    team=client["team"],
                    client=client["id"],
                    item=item,
                    state=state,
                    who_text=text,
                    who_user=None if state == "not_needed" else pair.get("second_member" if expert else "first_member"),
                    updated_by=pair.get("first_member"),
                )
                for item, state, expert, text in items
            ]
        )
    first = min(pairs.values(), key=lambda row: row["id"])
    members = (
        await Client.select(Client.id, Client.team)
        .where((Client.pair == first["id"]) & (Client.status == "active"))
        .order_by(Client.id)
        .limit(4)
    )
    if len(members) < 2:
        return
    team = members[0]["team"]
    when = _at(today - timedelta(days=2), 13)
    group = (
        await Visit.insert(
            Visit(
                uuid=uuid.uuid4(),
                team=team,
                client=None,
                anonymous_count=2,
                occurred_at=when,
                place="Päiväkeskus",
                kind="group",
                notes="Vertaistukiryhmä: puhuttiin vapautumisen jälkeisistä ensimmäisistä viikoista.",
                together_with_client=True,
                created_by=first["first_member"],
            )
        )
    )[0]["id"]
    await VisitAttendee.insert(*[VisitAttendee(visit=group, client=row["id"], team=team) for row in members[:3]])
    await VisitWorker.insert(
        *[VisitWorker(visit=group, user=member) for member in (first["first_member"], first["second_member"])]
    )
    await VisitTheme.insert(VisitTheme(visit=group, theme="peer_support"))
    await VisitAction.insert(VisitAction(visit=group, action="peer_support"))
    meeting = (
        await Visit.insert(
            Visit(
                uuid=uuid.uuid4(),
                team=team,
                client=members[-1]["id"],
                occurred_at=_at(today - timedelta(days=1), 10),
                place="Sosiaalitoimisto",
                kind="network_meeting",
                notes="Sovittiin yhdessä asiakkaan kanssa asumisen tuesta ja päihdepalvelujen jatkosta.",
                together_with_client=True,
                created_by=first["first_member"],
            )
        )
    )[0]["id"]
    await VisitMeeting.insert(VisitMeeting(visit=meeting, parties="Aikuissosiaalityö, A-klinikka", client_present=True))
    await VisitWorker.insert(VisitWorker(visit=meeting, user=first["first_member"]))


async def seed_demo() -> list[tuple[str, str]]:
    if not await _demo_exists():
        # One transaction: an interrupted run leaves nothing behind, so a re-run starts clean.
        async with engine().transaction():
            await _create_accounts()
            await _create_casework()
            await _create_rhythm()
            await _create_path()
            await create_demo_paths()
            await plan_all_clients()
            await plan_all_supervision()
    rows = (
        await User.select(User.email, User.role, User.team.name.as_alias("team"))
        .where(User.email.like("%@demo.rinnalla.fi"))
        .order_by(User.id)
    )
    return [(row["email"], f"{row['role']}" + (f", {row['team']}" if row["team"] else "")) for row in rows]

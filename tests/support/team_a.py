"""One of every kind of team-A object, made through the app as Alice would, for the attack tests.

Every text of team A carries the marker `SALAINEN` (secret), so a test can assert that no answer
to another team shows any of it. `snapshot()` reads every table, so a test can assert that a
refused request changed nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from server.accounts.tables import Pair, UserSession
from server.app import create_app
from server.services.tables import Service
from tests.support.casework import api
from tests.support.db import all_tables
from tests.support.fixtures import login

MARKER = "SALAINEN"
PHONE_ENDPOINT = "https://fcm.googleapis.com/fcm/send/team-a-phone"


@dataclass
class TeamA:
    client: int
    visit: str
    followup: int
    appointment: int
    referral: int
    link: int
    subscription: int
    debrief: int
    alice_session: int
    alice: int
    alice_email: str = "alice@example.org"
    pair: int = 0
    agreement: int = 0
    goal: int = 0
    texts: list[str] = field(default_factory=list)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), (response.request.url, response.status_code, response.text[:300])
    return response.json()


async def make_team_a(world) -> TeamA:
    """Alice logs in on her own phone and records one of everything; her session stays alive."""
    pair = (await Pair.select(Pair.id).first())["id"]
    service = await Service.insert(Service(name_fi="Asumisneuvonta", category="housing"))  # shared by all teams
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as phone:
        assert (await login(phone, "alice@example.org")).status_code == 303
        client = _ok(
            await api(
                phone,
                "POST",
                "/api/v1/clients",
                {
                    "pseudonym": f"{MARKER} Kettu",
                    "pair_id": pair,
                    "legal_name": f"{MARKER} Virtanen",
                    "phone": "0401234567",
                    "birth_year": 1990,
                    "themes": ["housing"],
                },
            )
        )
        visit_id = str(uuid.uuid4())
        _ok(
            await api(
                phone,
                "POST",
                "/api/v1/visits",
                {
                    "id": visit_id,
                    "client_id": client["id"],
                    "occurred_at": "2026-11-23T10:15:00+02:00",
                    "place": f"{MARKER} kirjasto",
                    "kind": "street",
                    "notes": f"{MARKER} muistiinpano",
                },
            )
        )
        followup = _ok(
            await api(
                phone,
                "POST",
                "/api/v1/followups",
                {"client_id": client["id"], "due_at": "2026-11-24T09:00", "note": f"{MARKER} soita"},
            )
        )
        appointment = _ok(
            await api(
                phone,
                "POST",
                "/api/v1/appointments",
                {
                    "client_id": client["id"],
                    "starts_at": "2026-11-25T09:00",
                    "place": f"{MARKER} Kela",
                    "note": f"{MARKER} aika",
                },
            )
        )
        referral = _ok(
            await api(
                phone,
                "POST",
                "/api/v1/referrals",
                {"client_id": client["id"], "service_id": service[0]["id"], "note": f"{MARKER} ohjaus"},
            )
        )
        _ok(await api(phone, "POST", f"/api/v1/clients/{client['id']}/reminder-link", {"language": "fi"}))
        page = await phone.get(f"/clients/{client['id']}")
        link = int(re.search(r'action="/reminder-links/(\d+)/revoke"', page.text).group(1))
        subscription = _ok(
            await api(phone, "POST", "/api/v1/push/subscriptions", {"endpoint": PHONE_ENDPOINT, "keys": _phone_keys()})
        )
        debrief = _ok(await api(phone, "POST", "/api/v1/debriefs", {"load": 4, "notes": f"{MARKER} ilta"}))
        agreement = _ok(
            await api(
                phone,
                "POST",
                f"/api/v1/clients/{client['id']}/agreements",
                {"starts_on": "2026-01-01", "ends_on": "2027-01-01", "goals": [{"text": f"{MARKER} oma asunto"}]},
            )
        )
        _ok(
            await api(
                phone,
                "POST",
                f"/api/v1/clients/{client['id']}/reviews",
                {"held_on": "2026-06-01", "scores": {"housing": 2}, "notes": f"{MARKER} arviointi"},
            )
        )
    session = await UserSession.select(UserSession.id).where(UserSession.user == world.alice).first()
    return TeamA(
        client=client["id"],
        visit=visit_id,
        followup=followup["id"],
        appointment=appointment["id"],
        referral=referral["id"],
        link=link,
        subscription=subscription["id"],
        debrief=debrief["id"],
        alice_session=session["id"],
        alice=world.alice,
        pair=pair,
        agreement=agreement["id"],
        goal=agreement["goals"][0]["id"],
    )


def _phone_keys() -> dict[str, str]:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"p256dh": b64(point), "auth": b64(b"0123456789abcdef")}


# Columns that change on every request of anyone (a session seen again) are no data of team A.
_VOLATILE = {"user_session": {"last_seen_at"}}


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, minus the columns that mark a request seen."""
    tables = {}
    for table in all_tables():
        name = table._meta.tablename
        rows = await table.select().order_by(table._meta.primary_key)
        skip = _VOLATILE.get(name, set())
        tables[name] = [{k: v for k, v in row.items() if k not in skip} for row in rows]
    return tables


def changes(before: dict, after: dict, ignore: set[str] = frozenset()) -> dict[str, tuple[int, int]]:
    """The tables that differ, with their row counts before and after."""
    return {
        name: (len(before[name]), len(after[name]))
        for name in before
        if name not in ignore and before[name] != after[name]
    }

"""The service directory: the national part shipped with the app, and reading it back.

`load_national_services()` runs with every `rinnalla migrate`: a national service is matched by
its stable key, so loading again changes nothing, and an update of the data file reaches every
installation. A service dropped from the file is marked inactive, never deleted (referrals
point to it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar.exceptions import NotFoundException

from server.db.prepared import Statement, statement
from server.i18n import N_, current_language
from server.scope import CurrentUser
from server.services.tables import CATEGORIES, Service
from server.timeutil import utcnow
from server.validation import Reader
from server.web.labels import label

NATIONAL_FILE = Path(__file__).with_name("national_services.json")
TRANSLATED = ("name", "phone_note", "opening_hours", "description")


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    if entry["category"] not in CATEGORIES:
        raise ValueError(f"{entry['key']}: unknown category {entry['category']!r}")
    row: dict[str, Any] = {
        "key": entry["key"],
        "category": entry["category"],
        "phone": entry.get("phone") or "",
        "web": entry.get("web") or "",
        "street_address": entry.get("street_address") or "",
        "municipality": entry.get("municipality") or "",
        "languages": ",".join(entry.get("languages") or []),
        "quick_link": bool(entry.get("quick_link")),
        "source": entry.get("source") or "",
        "confidence": entry.get("confidence") or "",
        "verify": entry.get("verify") or "",
        "active": True,
    }
    for field in TRANSLATED:
        texts = entry.get(field) or {}
        for language in ("fi", "sv", "en"):
            row[f"{field}_{language}"] = texts.get(language) or ""
    return row


async def load_national_services(path: Path = NATIONAL_FILE) -> dict[str, int]:
    """Insert new national services, update changed ones, retire removed ones; counts of each."""
    entries = [_row(entry) for entry in json.loads(path.read_text(encoding="utf-8"))["services"]]
    existing = {row["key"]: row for row in await Service.select().where(Service.key.is_not_null())}
    counts = {"added": 0, "updated": 0, "retired": 0}
    async with Service._meta.db.transaction():
        for entry in entries:
            current = existing.get(entry["key"])
            if current is None:
                await Service.insert(Service(**entry, updated_at=utcnow()))
                counts["added"] += 1
            elif any(current[name] != value for name, value in entry.items()):
                await Service.update(**entry, updated_at=utcnow()).where(Service.id == current["id"])
                counts["updated"] += 1
        gone = [key for key, row in existing.items() if row["active"] and key not in {e["key"] for e in entries}]
        if gone:
            await Service.update({Service.active: False, Service.updated_at: utcnow()}).where(Service.key.is_in(gone))
            counts["retired"] = len(gone)
    return counts


def localized(row: dict[str, Any]) -> dict[str, Any]:
    """A service as a person reads it: texts in the current language, Finnish where missing."""
    language = current_language()
    result = {key: value for key, value in row.items() if not key.endswith(("_fi", "_sv", "_en"))}
    for field in TRANSLATED:
        result[field] = row.get(f"{field}_{language}") or row.get(f"{field}_fi") or ""
    result["languages"] = [code for code in (row.get("languages") or "").split(",") if code]
    result["links"] = links_of(result)
    return result


def links_of(service: dict[str, Any]) -> dict[str, str]:
    """tel:, map and web links of a service (empty when the fact is not known)."""
    place = ", ".join(part for part in (service["street_address"], service["municipality"]) if part)
    phone = "".join(ch for ch in service["phone"] if ch.isdigit() or ch == "+")
    return {
        "call": f"tel:{phone}" if phone else "",
        # geo: opens the phone's own map app; the query form works on Android and iOS alike.
        "map": f"geo:0,0?q={quote(place)}" if service["street_address"] else "",
        "web": service["web"],
    }


_SERVICE_COLUMNS = ", ".join(f'"{column._meta.db_column_name}"' for column in Service._meta.columns)


_SERVICE_NAMES = Statement("SELECT id, quick_link, name_fi, name_sv, name_en FROM service WHERE active = {}")


async def list_services(query: str = "", category: str = "", quick_only: bool = False) -> list[dict[str, Any]]:
    where, args = ["active = {}"], list[Any]([True])
    if quick_only:
        where.append("quick_link = {}")
        args.append(True)
    if category in CATEGORIES:
        where.append("category = {}")
        args.append(category)
    # SQL written once per shape (server/db/prepared.py): the home page, visit form and client page
    # list services on every request.
    found = await statement(f"SELECT {_SERVICE_COLUMNS} FROM service WHERE {' AND '.join(where)}").fetch(*args)  # nosec B608 # column names and placeholders only
    rows = [localized(row) for row in found]
    needle = query.casefold().strip()
    if needle:  # a few hundred rows at most: matched here, in every language's name and text
        rows = [
            row
            for row in rows
            if needle in " ".join([row["name"], row["description"], row["municipality"], row["category"]]).casefold()
        ]
    return sorted(rows, key=lambda row: (not row["quick_link"], row["name"].casefold()))


async def service_choices() -> list[tuple[int, str]]:
    """(id, name) of every active service, for a form's select, in list_services' order. Only the
    names are read and none of the rest is put in the reader's language: the client page and the
    visit form ask this on every request."""
    language = current_language()
    rows = await _SERVICE_NAMES.fetch(True)
    named = [(not row["quick_link"], (row[f"name_{language}"] or row["name_fi"] or ""), row["id"]) for row in rows]
    return [(service_id, name) for _quick, name, service_id in sorted(named, key=lambda n: (n[0], n[1].casefold()))]


def category_choices() -> list[tuple[str, str]]:
    return [(slug, label("service_category", slug)) for slug in CATEGORIES]


async def directory_context(query: str, category: str) -> dict[str, Any]:
    """What the directory page shows (its own route and the offline shell's copy)."""
    return {
        "services": await list_services(query, category),
        "query": query,
        "may_retire": may_retire,
        "category": category if category in CATEGORIES else "",
        "category_choices": category_choices(),
    }


async def get_service(service_id: int) -> dict[str, Any] | None:
    row = await Service.select().where((Service.id == service_id) & Service.active.eq(True)).first()
    return localized(row) if row else None


def _web_address(reader: Reader) -> str:
    web = reader.text("web", 300)
    if web and not web.lower().startswith(("https://", "http://")):
        reader.fail("web", N_("Give a web address starting with https://."))
    return web


def _phone(reader: Reader) -> str:
    phone = reader.text("phone", 40)
    if phone and not all(ch.isdigit() or ch in " +-()" for ch in phone):
        reader.fail("phone", N_("A phone number has only digits, spaces and +."))
    return phone


async def add_local_service(user: CurrentUser, raw: dict[str, Any]) -> int:
    """A service of the organisation's own area, added by a lead or an admin (texts in one language:
    shown to everyone, whatever their language). It belongs to the adder's team."""
    reader = Reader(raw)
    values: dict[str, Any] = {
        "name_fi": reader.text("name", required=True),
        "category": reader.choice("category", CATEGORIES),
        "phone": _phone(reader),
        "web": _web_address(reader),
        "street_address": reader.text("street_address"),
        "municipality": reader.text("municipality", 100),
        "opening_hours_fi": reader.text("opening_hours", 500),
        "description_fi": reader.text("description", 1000, multiline=True),
        "quick_link": reader.flag("quick_link"),
    }
    reader.done()
    rows = await Service.insert(
        Service(
            **values,
            key=None,
            created_by=user.id,
            team=user.team_id,
            updated_at=utcnow(),
            source="local",
            confidence="local",
        )
    ).returning(Service.id)
    return rows[0]["id"]


def may_retire(user: CurrentUser | None, service: dict[str, Any]) -> bool:
    """A local service is retired by its own team's leads, or by an admin."""
    if user is None or service.get("key"):
        return False
    return user.is_admin or (user.is_lead and service.get("team") is not None and service["team"] == user.team_id)


async def retire_local_service(user: CurrentUser, service_id: int) -> None:
    """Local services leave the list but stay for the referrals that point to them; national ones
    come and go with the data file only. Another team's service is 404, as if it were not there."""
    condition = (Service.id == service_id) & Service.key.is_null() & Service.active.eq(True)
    if not user.is_admin:
        condition &= Service.team == (user.team_id if user.team_id is not None else -1)
    rows = (
        await Service.update({Service.active: False, Service.updated_at: utcnow()})
        .where(condition)
        .returning(Service.id)
    )
    if not rows:
        raise NotFoundException()

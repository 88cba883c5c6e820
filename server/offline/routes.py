"""The installable app: manifest, service worker, offline shell pages, and the device API.

Shell pages hold no personal data (the service worker keeps them for use without network);
what a person needs offline (their caseload's pseudonyms, waiting visits) lives sealed in the
phone's IndexedDB and is filled in by the page's scripts.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import FromPath
from litestar.response import File, Template
from litestar.utils.scope.state import ScopeState

from server.accounts import devices
from server.accounts.middleware import WIPE_HEADERS
from server.accounts.sessions import session_ends_by
from server.audit.uselog import log_client_reads
from server.casework.clients import list_clients
from server.casework.tables import THEMES, VISIT_ACTIONS
from server.casework.visit_routes import workers_to_choose
from server.casework.visits import KINDS
from server.i18n import LANGUAGES, N_, current_language, set_language
from server.i18n import gettext as _
from server.offline import field_copy_routes
from server.offline.device_keys import DEVICE_KEY, UNWRAP_KEY, derived_key, session_keys
from server.offline.field_copy_routes import FIELD_COPY_PAGES
from server.referrals.routes import refer_context
from server.scope import Walls
from server.services.directory import directory_context, service_choices
from server.validation import Reader
from server.web.asset_routes import static_file
from server.web.assets import SERVICE_WORKER, asset_version, offline_assets
from server.web.limits import json_object

NO_CACHE = {"Cache-Control": "no-cache"}
SHELL_PAGES = ("offline", "visit", "anonymous", "outbox", "services", "refer", *FIELD_COPY_PAGES)
MAX_PICKLIST = 500
THEME_COLOUR = "#00005e"


def shell_urls() -> dict[str, dict[str, str]]:
    return {lang: {page: f"/shell/{lang}/{page}" for page in SHELL_PAGES} for lang in LANGUAGES}


@get("/manifest.webmanifest", opt={"public": True}, include_in_schema=False)
async def manifest() -> Response:
    body = {
        "id": "/",
        "name": "Rinnalla",
        "short_name": "Rinnalla",
        "lang": current_language(),
        "description": _("Street outreach work pairs: visits, follow-ups and referrals, also without network."),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": "/static/icons/icon-maskable-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json", headers=NO_CACHE)


@get("/sw.js", opt={"public": True}, include_in_schema=False)
async def service_worker(request: Request) -> Response | File:
    # A fixed file, served from the root so its scope is the whole app; no-cache so an update is
    # seen at once. What it needs from the server it reads from /sw.json.
    return static_file(request, SERVICE_WORKER, NO_CACHE["Cache-Control"])


@lru_cache(maxsize=1)
def _service_worker_values(version: str) -> bytes:
    values = {"release": version, "assets": offline_assets(), "shell": shell_urls()}
    return json.dumps(values).encode()


@get("/sw.json", opt={"public": True}, include_in_schema=False)
async def service_worker_values() -> Response:
    """The release, its files and the shell pages: what the service worker keeps for offline use."""
    return Response(_service_worker_values(asset_version()), media_type="application/json", headers=NO_CACHE)


def _shell_context(page: str) -> dict[str, Any]:
    anonymous = page == "anonymous"
    values = {"kind": "street", **({"anonymous_count": "1"} if anonymous else {})}  # as /visits/new gives
    return {
        "shell": True,
        "page": page,
        "anonymous": anonymous,
        "values": values,
        "errors": {},
        "client": None,
        "client_choices": [],
        "workers": [],
        "service_choices": [],
        "THEMES": THEMES,
        "ACTIONS": VISIT_ACTIONS,
        "KINDS": KINDS,
        "now_local": "",
    }


SHELL_TEMPLATES = {
    "offline": "pages/offline.html",
    "visit": "pages/visit_form.html",
    "anonymous": "pages/visit_form.html",
    "outbox": "pages/outbox.html",
    "services": "pages/services.html",
    "refer": "pages/refer.html",
    **{page: "pages/offline_copy.html" for page in FIELD_COPY_PAGES},
}


@get("/shell/{lang:str}/{page:str}", opt={"public": True}, include_in_schema=False)
async def shell_page(lang: FromPath[str], page: FromPath[str]) -> Template:
    """A page of the offline shell, in one language: no personal data, safe to keep on the phone."""
    if lang not in LANGUAGES or page not in SHELL_PAGES:
        raise NotFoundException()
    set_language(lang)
    context = _shell_context(page)
    if page == "services":  # the whole directory, filtered on the phone
        context.update(await directory_context("", ""))
    if page == "refer":  # the service is chosen on the phone from the address (js/referral-form.js)
        context.update(await refer_context(None, None, {}, {}))
    if page == "visit":  # a referral can be made offline too: the directory is public
        context["service_choices"] = await service_choices()
    return Template(SHELL_TEMPLATES[page], context=context, headers=NO_CACHE)


@get("/outbox")
async def outbox_page() -> Template:
    """Visits waiting on this phone: the list is read from the phone itself, not from the server."""
    return Template("pages/outbox.html", context={"shell": False, "page": "outbox"})


@get("/api/v1/device/session")
async def device_session(request: Request) -> dict[str, Any]:
    """Who is logged in and the CSRF token: what a service worker needs to send waiting visits."""
    return {
        "user_id": request.user.id,
        "language": current_language(),
        "csrf_token": ScopeState.from_scope(request.scope).csrf_token,
    }


@post("/api/v1/device/key", status_code=200)
async def device_key(request: Request) -> dict[str, str]:
    """The device's keys for this user (server/offline/device_keys.py), and this session's data
    key: only to a live session, in the body of an answer no one keeps (never in a URL or log)."""
    reader = Reader(await json_object(request))
    device_id = reader.uuid("device_id")
    if device_id is None and "device_id" not in reader.errors:
        reader.fail("device_id", N_("This field is required."))
    reader.done()
    this_session = await session_keys(request.user.session_id, request.user.id, device_id)  # type: ignore[arg-type]
    if this_session is None:  # revoked between the cookie check and here: nothing for it
        raise NotAuthorizedException()
    await devices.remember(request.user.id, device_id)  # type: ignore[arg-type]
    return {
        "key": derived_key(DEVICE_KEY, request.user.id, device_id),  # type: ignore[arg-type]
        "unwrap": derived_key(UNWRAP_KEY, request.user.id, device_id),  # type: ignore[arg-type]
        **this_session,
    }


@post("/api/v1/device/wipe-check", status_code=200, opt={"public": True})
async def device_wipe_check(request: Request) -> Response:
    """A phone with no session asks, by its own id, whether a lead wiped it (a lost phone whose
    cookie had expired): 401 with the wipe headers if so (static/js/wipe.js acts on them)."""
    reader = Reader(await json_object(request))
    device_id = reader.uuid("device_id")
    reader.done()
    if device_id is not None and await devices.is_marked(device_id):
        return Response(None, status_code=401, headers=WIPE_HEADERS)
    return Response(None, status_code=204)


@get("/api/v1/device/picklist")
async def device_picklist(walls: Walls) -> dict[str, Any]:
    """The pair's active caseload as pseudonyms and ids, and who can be ticked as present.

    Kept sealed on the phone under this session's key (server/offline/device_keys.py) so a known
    client can be chosen with no network while the session lives; nothing else of the clients
    leaves the server here. `until`: when this session ends at the latest if the phone is not
    used online again; the phone stops opening the list then, network or not.
    """
    clients, _total = await list_clients(walls, status="active", mine_only=True, limit=MAX_PICKLIST)
    await log_client_reads(walls, [row["id"] for row in clients], "device_picklist")
    return {
        "clients": [{"id": row["id"], "pseudonym": row["pseudonym"]} for row in clients],
        "workers": await workers_to_choose(walls),
        "until": await session_ends_by(walls.user.session_id),
    }


ROUTES = [
    manifest,
    service_worker,
    service_worker_values,
    shell_page,
    outbox_page,
    device_session,
    device_key,
    device_wipe_check,
    device_picklist,
    *field_copy_routes.ROUTES,
]

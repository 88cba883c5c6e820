"""The client's link page, path part: the client's consent, the offline copy, and the link's own
service worker (scoped to the link alone, so the worker's app is never installed on a client's phone)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.pathway.sharing import client_view, next_appointments, set_sharing
from server.push.link_access import NO_STORE, PUBLIC
from server.push.link_access import link_of_request as _link
from server.timeutil import utcnow
from server.web.forms import form_dict


@post("/r/{token:str}/sharing", opt=PUBLIC)
async def link_sharing(request: Request, token: FromPath[str]) -> Redirect:
    """The client agrees (or no longer agrees) to see the notes written together, goals and reviews here."""
    link = await _link(request, token)
    await set_sharing(link, (await form_dict(request)).get("share") == "1")
    return Redirect(f"/r/{token}#together", status_code=303, headers=NO_STORE)


@get("/r/{token:str}/offline", opt=PUBLIC)
async def link_offline_copy(request: Request, token: FromPath[str]) -> Template:
    """What the link's worker keeps on the client's phone: the next appointments and (with the
    client's consent) the goals, in the client's language. No forms: it is read without network."""
    link = await _link(request, token)
    view = await client_view(link)
    return Template(
        "pages/client_link_offline.html",
        headers=NO_STORE,
        context={
            "appointments": await next_appointments(link["client"]),
            "token": token,
            "saved_at": utcnow(),
            "agreement": view.get("agreement"),
            "shared": view["shared"],
            "LABELS": view["LABELS"],
        },
    )


@get("/r/sw.js", opt=PUBLIC, include_in_schema=False)
async def link_worker() -> Template:
    # One script for every link; each link registers it with its own address as the scope.
    return Template("link_sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"})


ROUTES = [link_sharing, link_offline_copy, link_worker]

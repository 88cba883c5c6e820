"""Home: today's work of the user's pair (or the team, for a lead)."""

from __future__ import annotations

from litestar import get
from litestar.params import FromQuery
from litestar.response import Template

from server.audit.uselog import log_client_reads
from server.casework.page_parts import parts_of
from server.casework.today import todays_work
from server.scope import Walls
from server.timeutil import local_today


@get("/", name="home")
async def home(walls: Walls, saved: FromQuery[str] = "") -> Template:
    today = await todays_work(walls)
    await log_client_reads(
        walls,
        [row["client"] for row in today.followups]
        + [row["client_id"] for row in today.appointments]
        + [row["id"] for row in today.releases],
        "home",
    )
    return Template(
        template_name="pages/home.html",
        context={
            "today": today,
            "today_date": local_today(),
            "saved": saved,
            **await parts_of("home", walls),
        },
    )


ROUTES = [home]

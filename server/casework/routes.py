"""Pages of the daily work: home (today) and the client page."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from server.casework.access_log import log_client_read
from server.casework.tables import THEMES, Appointment, Client, ClientTheme, FollowUp, Visit
from server.casework.today import todays_work
from server.scope import Walls
from server.timeutil import local_today


@get("/", name="home")
async def home(request: Request, walls: Walls) -> Template:
    return Template(template_name="pages/home.html",
                    context={"today": await todays_work(walls), "today_date": local_today()})


@get("/clients/{client_id:int}", name="client")
async def client_page(request: Request, walls: Walls, client_id: FromPath[int]) -> Template:
    client = await walls.get(Client, client_id)
    await log_client_read(walls, client_id, client["team"], "client_page")
    themes = await ClientTheme.select(ClientTheme.theme).where(ClientTheme.client == client_id)
    visits = await (
        walls.select(Visit, Visit.id, Visit.occurred_at, Visit.kind, Visit.place, Visit.notes,
                     Visit.together_with_client)
        .where(Visit.client == client_id).order_by(Visit.occurred_at, ascending=False).limit(20)
    )
    followups = await (
        walls.select(FollowUp, FollowUp.id, FollowUp.due_at, FollowUp.note, FollowUp.done_at)
        .where(FollowUp.client == client_id).order_by(FollowUp.due_at, ascending=False).limit(20)
    )
    appointments = await (
        walls.select(Appointment, Appointment.id, Appointment.starts_at, Appointment.place, Appointment.with_whom)
        .where((Appointment.client == client_id) & Appointment.cancelled_at.is_null())
        .order_by(Appointment.starts_at, ascending=False).limit(20)
    )
    days_to_release = (client["release_date"] - local_today()).days if client["release_date"] else None
    return Template(
        template_name="pages/client.html",
        context={"client": client, "themes": [t["theme"] for t in themes if t["theme"] in THEMES],
                 "visits": visits, "followups": followups, "appointments": appointments,
                 "days_to_release": days_to_release},
    )


ROUTES = [home, client_page]

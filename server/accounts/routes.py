"""Login, logout, language, the user's own sessions, and the /api/v1/me answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts import mfa_routes, password_routes, pending, second_factor, sessions, throttle
from server.accounts.mfa_gate import SETUP_PATH
from server.accounts.services import authenticate
from server.accounts.tables import User
from server.casework import calendar
from server.i18n import LANGUAGES, N_
from server.i18n import gettext as _
from server.observability import metrics
from server.push.subscriptions import user_devices
from server.settings import get_settings
from server.web.client_address import client_address
from server.web.context import LANGUAGE_COOKIE
from server.web.csrf import csrf_config, new_token, token_cookie
from server.web.navigation import safe_next

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = ""


@dataclass
class LanguageForm:
    language: str = ""
    next: str = ""


def _device(request: Request) -> str:
    return request.headers.get("user-agent", "")[:120]


def _login_page(form: LoginForm, error: str | None, status_code: int = 200, headers: dict | None = None) -> Template:
    return Template(
        template_name="pages/login.html",
        context={"email": form.email, "next": safe_next(form.next, ""), "error": error},
        status_code=status_code,
        headers=headers or {},
    )


@get("/login", opt={"public": True}, name="login")
async def login_page(request: Request, next: FromQuery[str] = "") -> Template | Redirect:
    if request.user is not None:
        return Redirect(path=safe_next(next), status_code=303)
    return _login_page(LoginForm(next=next), error=None)


@post("/login", opt={"public": True})
async def login(request: Request, data: Annotated[LoginForm, FORM]) -> Response:
    address = client_address(request)
    wait = await throttle.register_attempt(data.email, address)
    if wait:
        return _login_page(
            data, _("Too many failed attempts. Try again in a few minutes."), 429, {"Retry-After": str(wait)}
        )
    user = await authenticate(data.email, data.password)
    if user is None:
        metrics.login_failed()
        # One message for an unknown email and a wrong password: no account enumeration.
        return _login_page(data, _("The email or the password is wrong."), 401)
    if user["totp_enabled_at"] is not None:
        # The password is proven; the code is asked on a step of its own. Until the code is right
        # this attempt stays counted as a failure of the account and address.
        token = await pending.start(user["id"], address, safe_next(data.next, ""))
        response = Redirect(path=CODE_PATH, status_code=303)
        response.set_cookie(
            key=pending.cookie_name(),
            value=token,
            max_age=int(pending.LIFETIME.total_seconds()),
            path="/",
            httponly=True,
            secure=get_settings().is_https,
            samesite="lax",
        )
        return response
    await throttle.clear_account(data.email, address)
    must_set_up = second_factor.required_for(user["role"])
    return await _logged_in(request, user["id"], SETUP_PATH if must_set_up else safe_next(data.next))


async def _logged_in(request: Request, user_id: int, path: str) -> Response:
    old_token = request.cookies.get(sessions.cookie_name())
    if old_token:
        await sessions.revoke_session(old_token)  # a pre-login token never becomes a session
    token = await sessions.create_session(user_id, _device(request))
    response = Redirect(path=path, status_code=303)
    settings = get_settings()
    response.set_cookie(
        key=sessions.cookie_name(),
        value=token,
        max_age=settings.session_max_hours * 3600,
        path="/",
        httponly=True,
        secure=settings.is_https,
        samesite="lax",
    )
    _new_csrf_token(request, response)
    return response


CODE_PATH = "/login/code"
CODE_MESSAGE = N_("The code is wrong. Type the 6 digits your authenticator app shows, or one of your recovery codes.")


@dataclass
class CodeForm:
    otp: str = ""


def _code_page(error: str | None = None, status_code: int = 200) -> Template:
    return Template(template_name="pages/login_code.html", context={"error": error}, status_code=status_code)


def _back_to_login() -> Redirect:
    response = Redirect(path="/login", status_code=303)
    response.delete_cookie(key=pending.cookie_name(), path="/")
    return response


@get(CODE_PATH, opt={"public": True}, name="login_code")
async def login_code_page(request: Request) -> Template | Redirect:
    if await pending.find(request.cookies.get(pending.cookie_name())) is None:
        return _back_to_login()
    return _code_page()


@post(CODE_PATH, opt={"public": True})
async def login_code(request: Request, data: Annotated[CodeForm, FORM]) -> Response:
    waiting = await pending.find(request.cookies.get(pending.cookie_name()))
    if waiting is None:
        return _back_to_login()
    user, address = waiting["user"], client_address(request)
    if not await second_factor.check_code(user, data.otp):
        metrics.login_failed()
        await throttle.register_failure(user["email"], address)
        if await pending.wrong_code(waiting["id"]):
            return _back_to_login()
        return _code_page(_(CODE_MESSAGE), 401)
    await pending.finish(waiting["id"])
    await throttle.clear_account(user["email"], address)
    response = await _logged_in(request, user["id"], safe_next(waiting["next"]))
    response.delete_cookie(key=pending.cookie_name(), path="/")
    return response


def _new_csrf_token(request: Request, response: Response) -> None:
    """A CSRF token dies with the session it was used in (a phone's queue may still hold one):
    login and logout set a new one, and the queue fetches it again after its one 403."""
    config = csrf_config(get_settings())
    response.set_cookie(token_cookie(config, new_token(config)))


@post("/logout", opt={"public": True})
async def logout(request: Request) -> Redirect:
    token = request.cookies.get(sessions.cookie_name())
    if token:
        await sessions.revoke_session(token)
    response = Redirect(path="/login", status_code=303)
    # Deleting a __Host- cookie needs the same Secure flag it was set with.
    response.set_cookie(
        key=sessions.cookie_name(),
        value="",
        max_age=0,
        path="/",
        httponly=True,
        secure=get_settings().is_https,
        samesite="lax",
    )
    # Cached pages may hold client data; the offline queue (storage) is kept on purpose.
    response.headers["Clear-Site-Data"] = '"cache"'
    _new_csrf_token(request, response)
    return response


@post("/language", opt={"public": True})
async def choose_language(request: Request, data: Annotated[LanguageForm, FORM]) -> Redirect:
    language = data.language if data.language in LANGUAGES else ""
    if request.user is not None and language:
        await User.update({User.language: language}).where(User.id == request.user.id)
    response = Redirect(path=safe_next(data.next, "/"), status_code=303)
    if language:
        response.set_cookie(
            key=LANGUAGE_COOKIE,
            value=language,
            max_age=365 * 24 * 3600,
            path="/",
            httponly=True,
            secure=get_settings().is_https,
            samesite="lax",
        )
    return response


@get("/settings", name="settings")
async def settings_page(
    request: Request, push_test: FromQuery[int | None] = None, saved: FromQuery[str] = ""
) -> Template:
    return await _settings(request, push_test=push_test, saved=saved)


async def _settings(
    request: Request, feed_url: str | None = None, push_test: int | None = None, saved: str = ""
) -> Template:
    rows = await sessions.active_sessions(request.user.id)
    return Template(
        template_name="pages/settings.html",
        context={
            "sessions": rows,
            "current_session_id": request.user.session_id,
            "feed_url": feed_url,
            "second_factor_on": request.user.has_second_factor,
            "has_feed": await calendar.has_feed(request.user.id),
            "devices": await user_devices(request.user.id),
            "push_test": push_test,
            "saved": saved,
        },
    )


@post("/settings/calendar")
async def new_calendar_feed(request: Request) -> Template:
    """A new private calendar address, shown once (only its hash is kept)."""
    token = await calendar.new_feed_token(request.user.id)
    return await _settings(request, feed_url=f"{get_settings().base_url}/calendar/{token}.ics")


@post("/settings/calendar/revoke")
async def revoke_calendar_feed(request: Request) -> Redirect:
    await calendar.revoke_feeds(request.user.id)
    return Redirect(path="/settings", status_code=303)


@post("/settings/sessions/{session_id:int}/end")
async def end_own_session(request: Request, session_id: FromPath[int]) -> Redirect:
    ended = await sessions.revoke_sessions(request.user.id, session_id=session_id)
    if not ended:
        raise NotFoundException()
    return Redirect(path="/settings", status_code=303)


@post("/settings/sessions/end-others")
async def end_other_sessions(request: Request) -> Redirect:
    await sessions.revoke_sessions(request.user.id, keep_session_id=request.user.session_id)
    return Redirect(path="/settings", status_code=303)


@get("/api/v1/me")
async def me(request: Request) -> dict[str, Any]:
    user = request.user
    return {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "team": user.team_name,
        "team_id": user.team_id,
        "pair": {"id": user.pair_id, "partner": user.partner_name} if user.pair_id else None,
        "language": user.language or None,
    }


ROUTES = [
    login_page,
    login,
    login_code_page,
    login_code,
    logout,
    choose_language,
    settings_page,
    new_calendar_feed,
    revoke_calendar_feed,
    end_own_session,
    end_other_sessions,
    me,
    *mfa_routes.ROUTES,
    *password_routes.ROUTES,
]

"""Settings → password: a user changes their own password (the current one asked, wrong guesses
slowed down); changing it ends the user's other sessions. A temporary password opens only this
page (server/accounts/password_gate.py)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from server.accounts import sessions, throttle
from server.accounts.password_gate import ALLOWED, PASSWORD_PATH
from server.accounts.passwords import hash_password_async, password_problem, verify_password_async
from server.accounts.tables import User
from server.i18n import N_
from server.web.forms import form_dict

# Wrong current passwords typed here: counted per user, like the second factor's proofs.
GUESS_SCOPE = "password-change"
GUESS_LIMIT = 5


def _page(request: Request, errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
    return Template(
        "pages/password.html",
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
        context={"due": request.user.password_change_due, "errors": errors or {}},
    )


@get(PASSWORD_PATH, name="password", opt={ALLOWED: True})
async def password_page(request: Request) -> Template:
    return _page(request)


async def _problems(request: Request, current: str, new: str, again: str) -> tuple[dict[str, str], int]:
    """The form's errors and the status to answer with; nothing when the change may be saved."""
    user_id = request.user.id
    if await throttle.guessing_wait(GUESS_SCOPE, str(user_id), GUESS_LIMIT):
        return {"current_password": N_("Too many failed attempts. Try again in a few minutes.")}, 429
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    assert row is not None  # the signed-in user's own row
    if not await verify_password_async(row["password_hash"], current[:1024]):
        await throttle.register_wrong_guess(GUESS_SCOPE, str(user_id))
        return {"current_password": N_("The current password is wrong.")}, 403
    problem = password_problem(new, request.user.email)
    if not problem and new != again:
        problem = N_("The two passwords differ.")
    if not problem and new == current:
        problem = N_("The new password must differ from the current one.")
    return ({"password": problem}, 422) if problem else ({}, 200)


@post(PASSWORD_PATH, opt={ALLOWED: True})
async def change_password(request: Request) -> Template | Redirect:
    raw = await form_dict(request)
    current, new, again = (str(raw.get(name, "")) for name in ("current_password", "password", "password_again"))
    errors, status = await _problems(request, current, new, again)
    if errors:
        return _page(request, errors, status)
    await User.update({User.password_hash: await hash_password_async(new), User.password_change_due: False}).where(
        User.id == request.user.id
    )
    await sessions.revoke_sessions(request.user.id, keep_session_id=request.user.session_id)
    # After a temporary password the day's work is next; otherwise back to where the change began.
    return Redirect(
        path="/" if request.user.password_change_due else "/settings?saved=password#password", status_code=303
    )


ROUTES = [password_page, change_password]

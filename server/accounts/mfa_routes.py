"""Settings → second factor: set up an authenticator app, recovery codes, turning it off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from server.accounts import second_factor, throttle
from server.accounts.mfa_gate import ALLOWED, needs_second_factor
from server.accounts.passwords import verify_password_async
from server.accounts.tables import User
from server.i18n import gettext as _

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
# Wrong passwords or codes typed to turn the factor off: counted per user, like secret links.
GUESS_SCOPE = "second-factor"
GUESS_LIMIT = 5


@dataclass
class CodeForm:
    otp: str = ""


@dataclass
class ProofForm:
    password: str = ""
    otp: str = ""


async def _page(request: Request, status_code: int = 200, **context) -> Template:
    user = request.user
    enabled = await second_factor.is_enabled(user.id)
    return Template(
        template_name="pages/mfa.html",
        status_code=status_code,
        context={
            "enabled": enabled,
            "required": second_factor.required_for(user.role),
            "forced": needs_second_factor(user),
            "codes_left": await second_factor.recovery_codes_left(user.id) if enabled else 0,
            **context,
        },
    )


async def _enrolment_page(request: Request, secret: str, error: str | None = None) -> Template:
    uri = second_factor.provisioning_uri(secret, request.user.email)
    return await _page(
        request,
        status_code=422 if error else 200,
        qr=second_factor.qr_svg(uri),
        key=second_factor.grouped(secret),
        error=error,
    )


@get("/settings/mfa", name="mfa", opt={ALLOWED: True})
async def mfa_page(request: Request) -> Template:
    return await _page(request)


@post("/settings/mfa/start", opt={ALLOWED: True})
async def start(request: Request) -> Template | Redirect:
    if await second_factor.is_enabled(request.user.id):
        return Redirect(path="/settings/mfa", status_code=303)
    return await _enrolment_page(request, await second_factor.start_enrolment(request.user.id))


@post("/settings/mfa/confirm", opt={ALLOWED: True})
async def confirm(request: Request, data: Annotated[CodeForm, FORM]) -> Template | Redirect:
    codes = await second_factor.confirm_enrolment(request.user.id, data.otp)
    if codes is None:
        secret = await second_factor.pending_secret(request.user.id)
        if secret is None:  # already on, or never started
            return Redirect(path="/settings/mfa", status_code=303)
        return await _enrolment_page(
            request, secret, _("The code did not match. Type the 6 digits your authenticator app shows now.")
        )
    # The factor is on: this session is a full one from now (mfa_gate reads it per request).
    return await _page(request, recovery_codes=codes, just_enabled=True)


async def _proven(request: Request, proof: ProofForm) -> str | None:
    """None when the password or a code is right, else the error to show (wrong guesses counted)."""
    user_id = request.user.id
    if await throttle.guessing_wait(GUESS_SCOPE, str(user_id), GUESS_LIMIT):
        return _("Too many failed attempts. Try again in a few minutes.")
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    assert row is not None  # the signed-in user's own row
    if proof.password and await verify_password_async(row["password_hash"], proof.password[:1024]):
        return None
    if proof.otp and await second_factor.check_code_of(user_id, proof.otp):
        return None
    await throttle.register_wrong_guess(GUESS_SCOPE, str(user_id))
    return _("The password or the code is wrong.")


@post("/settings/mfa/disable", opt={ALLOWED: True})
async def disable(request: Request, data: Annotated[ProofForm, FORM]) -> Template | Redirect:
    error = await _proven(request, data)
    if error:
        return await _page(request, status_code=403, error=error)
    await second_factor.disable(request.user.id)
    # For a role that needs a factor this leads straight back to setting up a new one.
    return Redirect(path="/settings/mfa", status_code=303)


@post("/settings/mfa/recovery-codes", opt={ALLOWED: True})
async def renew_recovery_codes(request: Request, data: Annotated[ProofForm, FORM]) -> Template | Redirect:
    if not await second_factor.is_enabled(request.user.id):
        return Redirect(path="/settings/mfa", status_code=303)
    error = await _proven(request, data)
    if error:
        return await _page(request, status_code=403, error=error)
    return await _page(request, recovery_codes=await second_factor.new_recovery_codes(request.user.id))


ROUTES = [mfa_page, start, confirm, disable, renew_recovery_codes]

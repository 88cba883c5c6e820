"""A second factor: TOTP (an authenticator app) and one-time recovery codes.

The TOTP key is kept encrypted with a key derived from SECRET_KEY, so a copy of the database alone
gives no codes; it is shown only while being set up. A code is accepted once: the time step it
was used for is remembered, and a later login must use a later step. Recovery codes are 60
random bits each and only their SHA-256 is kept; each works once.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.accounts.tables import RecoveryCode, User
from server.settings import get_settings
from server.timeutil import utcnow

ISSUER = "Rinnalla"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a code read from paper is typed right. 31 symbols, 12 of them: about 59 bits.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 12
_CIPHER_PREFIX = "v1:"


def required_for(role: str) -> bool:
    return role in get_settings().mfa_required_roles


# --- the key at rest -------------------------------------------------------------------------


def _cipher() -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"rinnalla totp secret v1").derive(
        get_settings().secret_key.encode("utf-8")
    )
    return AESGCM(key)


def seal(secret: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher().encrypt(nonce, secret.encode("ascii"), b"totp")
    return _CIPHER_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(stored: str) -> str | None:
    """The key, or None when there is none or SECRET_KEY changed since (recovery codes still work)."""
    if not stored.startswith(_CIPHER_PREFIX):
        return None
    raw = base64.urlsafe_b64decode(stored[len(_CIPHER_PREFIX) :])
    try:
        return _cipher().decrypt(raw[:12], raw[12:], b"totp").decode("ascii")
    except (InvalidTag, ValueError):
        return None


# --- setting up ------------------------------------------------------------------------------


async def start_enrolment(user_id: int) -> str:
    """A new key, kept unconfirmed until a code from it is typed; replaces any earlier attempt."""
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    await User.update({User.totp_secret: seal(secret), User.totp_enabled_at: None, User.totp_last_step: 0}).where(
        (User.id == user_id) & User.totp_enabled_at.is_null()
    )
    return secret


async def pending_secret(user_id: int) -> str | None:
    row = await User.select(User.totp_secret).where((User.id == user_id) & User.totp_enabled_at.is_null()).first()
    return unseal(row["totp_secret"]) if row else None


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")


def grouped(secret: str) -> str:
    """The key in groups of four, easier to type by hand into an authenticator app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


async def confirm_enrolment(user_id: int, code: str) -> list[str] | None:
    """Turn the factor on when `code` matches the pending key; returns new recovery codes."""
    secret = await pending_secret(user_id)
    step = _matching_step(secret, code) if secret else None
    if step is None:
        return None
    turned_on = (
        await User.update({User.totp_enabled_at: utcnow(), User.totp_last_step: step})
        .where((User.id == user_id) & User.totp_enabled_at.is_null())
        .returning(User.id)
    )
    if not turned_on:
        return None
    return await new_recovery_codes(user_id)


async def disable(user_id: int) -> None:
    await User.update({User.totp_secret: "", User.totp_enabled_at: None, User.totp_last_step: 0}).where(
        User.id == user_id
    )
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)


async def is_enabled(user_id: int) -> bool:
    return await User.exists().where((User.id == user_id) & User.totp_enabled_at.is_not_null())


# --- codes -----------------------------------------------------------------------------------


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (30 s) whose code this is, allowing one step of clock drift either way."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def _use_totp(user: dict, code: str) -> bool:
    secret = unseal(user["totp_secret"])
    step = _matching_step(secret, code) if secret else None
    if step is None:
        return False
    # Conditional update: of two requests with the same code (a replay, or a race) only one wins.
    used = (
        await User.update({User.totp_last_step: step})
        .where((User.id == user["id"]) & (User.totp_last_step < step))
        .returning(User.id)
    )
    return bool(used)


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise_recovery(code).encode("ascii", "ignore")).hexdigest()


async def _use_recovery_code(user_id: int, code: str) -> bool:
    if len(_normalise_recovery(code)) != _RECOVERY_LENGTH:
        return False
    used = (
        await RecoveryCode.update({RecoveryCode.used_at: utcnow()})
        .where(
            (RecoveryCode.user == user_id)
            & (RecoveryCode.code_hash == _hash_recovery(code))
            & RecoveryCode.used_at.is_null()
        )
        .returning(RecoveryCode.id)
    )
    return bool(used)


async def check_code(user: dict, code: str) -> bool:
    """True when `code` is a fresh TOTP code or an unused recovery code of this user (then used up)."""
    code = code.strip()[:64]
    if not code or user.get("totp_enabled_at") is None:
        return False
    if await _use_totp(user, code):
        return True
    return await _use_recovery_code(user["id"], code)


async def check_code_of(user_id: int, code: str) -> bool:
    user = await User.select(User.id, User.totp_secret, User.totp_enabled_at).where(User.id == user_id).first()
    return user is not None and await check_code(user, code)


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


async def new_recovery_codes(user_id: int) -> list[str]:
    """Ten fresh codes, replacing any earlier ones; shown once, only their hashes are kept."""
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)
    await RecoveryCode.insert(*[RecoveryCode(user=user_id, code_hash=_hash_recovery(c)) for c in codes])
    return codes


async def recovery_codes_left(user_id: int) -> int:
    return await RecoveryCode.count().where((RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null())

"""argon2id password hashes and the rules a new password must meet."""

from __future__ import annotations

import asyncio
import os
import threading
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.i18n import N_

# argon2-cffi's defaults are RFC 9106's low-memory profile (argon2id, t=3, m=64 MiB, p=4).
# The test suite may ask for a cheap argon2id (RINNALLA_FAST_HASHES=1); production refuses it.
FAST_HASHES = os.environ.get("RINNALLA_FAST_HASHES") == "1"
_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if FAST_HASHES else PasswordHasher()

MIN_LENGTH = 10
MAX_LENGTH = 256

# Passwords people pick first (Finnish and English); refused whatever their length.
_COMMON = {
    "salasana",
    "salasana1",
    "salasana12",
    "salasana123",
    "salasana1234",
    "qwerty123",
    "qwertyuiop",
    "password",
    "password1",
    "password123",
    "1234567890",
    "0123456789",
    "12345678910",
    "iloveyou12",
    "kesaloma123",
    "perkele123",
    "rinnalla123",
    "rinnalla2025",
    "rinnalla2026",
    "letmein123",
    "aaaaaaaaaa",
    "abcdefghij",
    "passw0rd123",
    "welcome123",
    "tervetuloa",
    "tervetuloa1",
}

# A hash of a random password, checked when the account does not exist so that a wrong
# email and a wrong password take the same time.
_DUMMY_HASH = _hasher.hash("rinnalla-timing-equaliser")


# argon2 takes tens of milliseconds of CPU and 64 MiB: run it beside the event loop (so pages
# keep answering during logins), at most two at a time (two cores, bounded memory).
_HASHING_SLOTS = threading.BoundedSemaphore(2)


def _limited(function, *args):
    with _HASHING_SLOTS:
        return function(*args)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_limited, verify_password, password_hash, password)


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(_limited, hash_password, password)


def normalise(password: str) -> str:
    # NFC: "ä" typed as one code point or as a + combining diaeresis must verify the same.
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    return _hasher.hash(normalise(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, normalise(password)) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is refused (an English msgid for gettext), or None when it is fine."""
    value = normalise(password)
    if len(value) < MIN_LENGTH:
        return N_("The password must be at least 10 characters long.")
    if len(value) > MAX_LENGTH:
        return N_("The password must be at most 256 characters long.")
    lowered = value.lower()
    if lowered in _COMMON or len(set(lowered)) < 4:
        return N_("This password is too easy to guess. Choose a longer phrase.")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return N_("The password must not contain your email address.")
    return None

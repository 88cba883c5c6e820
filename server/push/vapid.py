"""The server's VAPID key pair (RFC 8292): generated once and kept, or given by VAPID_PRIVATE_KEY.

Phones subscribe to the public key; a new key silences every phone until it subscribes again, so
the key is made with O_EXCL (two processes starting at once cannot each write their own) and
never rotated by the app. The signed JWT is kept per push service origin until an hour before it
expires: signing costs about 40 % of the encryption per message (perf-anchors §4).
"""

from __future__ import annotations

import base64
import time
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from server.settings import get_settings, kept_in_data_dir

KEY_FILE = "vapid_private_key"
JWT_LIFETIME = 12 * 3600  # Apple refuses more than 24 h
JWT_RENEW_BEFORE = 3600


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_private_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def _kept_private_key() -> str:
    settings = get_settings()
    return settings.vapid_private_key or kept_in_data_dir(settings.data_dir, KEY_FILE, new_private_key)


@lru_cache(maxsize=1)
def server_key() -> Vapid:
    return Vapid.from_string(_kept_private_key())


@lru_cache(maxsize=1)
def public_key() -> str:
    """The applicationServerKey phones subscribe with: the uncompressed P-256 point, base64url."""
    point = server_key().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


_signed: dict[str, tuple[float, str]] = {}


def authorization(audience: str) -> str:
    """`vapid t=…,k=…` for a push service origin, signed again an hour before it expires."""
    now = time.time()
    kept = _signed.get(audience)
    if kept is not None and kept[0] - JWT_RENEW_BEFORE > now:
        return kept[1]
    expires = int(now) + JWT_LIFETIME
    # A fresh claims dict every time: py_vapid writes into the one it is given.
    claims = {"sub": get_settings().push_subject, "aud": audience, "exp": expires}
    header = server_key().sign(claims)["Authorization"]
    _signed[audience] = (expires, header)
    return header

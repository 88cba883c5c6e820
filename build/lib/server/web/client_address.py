"""The client's address, for throttling and anything else that counts per address.

Every use goes through client_address(): X-Forwarded-For is believed only when the direct peer
is one of TRUSTED_PROXIES, and then only up to the rightmost hop that is not a trusted proxy
(everything left of it was written by the client and may be forged).
"""

from __future__ import annotations

import ipaddress

from litestar.connection import ASGIConnection

from server.settings import get_settings


def _is_trusted(address: str, trusted) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # not an address at all: certainly not our proxy
    return any(ip in network for network in trusted)


def client_address(connection: ASGIConnection) -> str:
    peer = connection.client.host if connection.client else "unknown"
    trusted = get_settings().trusted_proxies
    if not _is_trusted(peer, trusted):
        return peer
    forwarded = [part.strip() for part in connection.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    # Walk from the nearest hop back; the first address that is not our own proxy is the client.
    for hop in reversed(forwarded):
        if not _is_trusted(hop, trusted):
            return hop[:64]
    return peer

"""The client's address for throttling: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from server.settings import get_settings


def client_address(connection: ASGIConnection) -> str:
    peer = connection.client.host if connection.client else "unknown"
    trusted = get_settings().trusted_proxies
    if peer not in trusted:
        return peer
    forwarded = [part.strip() for part in connection.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    # Walk from the nearest hop back; the first address that is not our own proxy is the client.
    for hop in reversed(forwarded):
        if hop not in trusted:
            return hop[:64]
    return peer

"""Which push endpoints the server may POST to: known push services only (no SSRF).

A subscription names a URL the server will later POST to; were any URL allowed, a logged-in user
could make the server knock on an internal address. The list is PUSH_ENDPOINT_ALLOWLIST; a name
starting with a dot allows its subdomains. https is required, except on a loopback host that the
list names outright (the test push service).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
import time
from urllib.parse import urlsplit

from server.settings import get_settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_ENDPOINT = 1024


def _host_allowed(host: str, allowlist: tuple[str, ...]) -> bool:
    for allowed in allowlist:
        if allowed.startswith("."):
            if host.endswith(allowed) and len(host) > len(allowed):
                return True
        elif host == allowed:
            return True
    return False


def endpoint_allowed(endpoint: str) -> bool:
    if len(endpoint) > MAX_ENDPOINT or any(ch.isspace() for ch in endpoint):
        return False
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None or not host or parts.fragment:
        return False
    allowlist = get_settings().push_endpoint_allowlist
    if not _host_allowed(host, allowlist):
        return False
    if parts.scheme == "https":
        return parts.port in (None, 443)  # the services listen on 443: another port is another service
    # Plain http only to a loopback push service the list names (tests), never in production.
    return parts.scheme == "http" and host in LOOPBACK and host in allowlist and not get_settings().is_production


def audience(endpoint: str) -> str:
    """The origin a VAPID JWT is for (its `aud`): scheme and host, up to the path."""
    scheme, _, rest = endpoint.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0]}"


def endpoint_digest(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()


_resolved: dict[str, tuple[float, bool]] = {}


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


RESOLVED_FOR = 300.0


async def address_allowed(endpoint: str) -> bool:
    """At send time: the endpoint's host must not resolve to a private, loopback, link-local or
    reserved address (a DNS record an attacker controls could point an allowed-looking name
    inside), unless the allowlist names that loopback host outright (the test push service)."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if host in LOOPBACK and host in get_settings().push_endpoint_allowlist:
        return True
    kept = _resolved.get(host)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    try:
        addresses = [ipaddress.ip_address(a) for a in await resolve(host, parts.port or 443)]
        allowed = bool(addresses) and all(address.is_global for address in addresses)
    except (OSError, ValueError):
        allowed = False
    _resolved[host] = (time.monotonic() + RESOLVED_FOR, allowed)
    return allowed

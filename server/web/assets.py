"""Versioned static files: one version for the whole set, so a page never mixes two releases.

Pages load everything from `/assets/<version>/...`, where the version is a hash of every file
under web/static. JS modules import each other by relative URL, so a page of one release
loads only that release's modules; the service worker precaches the same URLs in a cache
named after the version. A new release is a new URL space: nothing is half-applied, and the
files can be cached for a year.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from server.resources import STATIC_DIR
from server.settings import get_settings

IMMUTABLE = "public, max-age=31536000, immutable"
# Files the phone needs with no network: the shell's styles, scripts and icons.
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}
OFFLINE_SUFFIXES = tuple(MEDIA_TYPES)
TEXT_SUFFIXES = (".css", ".js", ".svg")


@lru_cache(maxsize=1)
def asset_version() -> str:
    digest = hashlib.sha256(get_settings().release.encode())
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def asset_url(relative: str) -> str:
    return f"/assets/{asset_version()}/{relative.lstrip('/')}"


# The service worker: a static file, but served from the root (/sw.js) for its scope.
SERVICE_WORKER = "sw.js"


def offline_assets() -> list[str]:
    """URLs of every static file the service worker keeps for offline use."""
    return [asset_url(STYLES_BUNDLE)] + [
        asset_url(relative)
        for path in sorted(STATIC_DIR.rglob("*"))
        if path.is_file()
        and path.suffix in OFFLINE_SUFFIXES
        and path.suffix != ".css"
        and (relative := path.relative_to(STATIC_DIR).as_posix()) != SERVICE_WORKER
    ]


# One stylesheet for the page, joined from these in this order (the HDS files stay vendored
# as they are, with their licence beside them): one request instead of five on a slow network.
STYLESHEETS = (
    "vendor/hds-core-5.2.2/base.min.css",
    "vendor/hds-core-5.2.2/button.min.css",
    "vendor/hds-core-5.2.2/text-input.min.css",
    "vendor/hds-core-5.2.2/notification.min.css",
    "css/app.css",
)
STYLES_BUNDLE = "styles.css"


# The page's script: js/app.js with every module it imports joined in (server/web/script_bundle.py),
# one request instead of 19 on a slow network. The modules stay separate files too (the service
# worker imports them from /static/js).
SCRIPT_BUNDLE = "js/app.js"

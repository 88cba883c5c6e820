"""Versioned static files: one version for the whole set, so a page never mixes two releases.

Pages load everything from `/assets/<version>/...`, where the version is a hash of every file
under web/static. JS modules import each other by relative URL, so a page of one release
loads only that release's modules; the service worker precaches the same URLs in a cache
named after the version. A new release is a new URL space: nothing is half-applied, and the
files can be cached for a year.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from server.resources import STATIC_DIR
from server.settings import get_settings
from server.web.script_bundle import bundle

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


@lru_cache(maxsize=1)
def _styles(version: str) -> tuple[bytes, bytes]:
    joined = b"\n".join(b"/* %s */\n" % name.encode() + (STATIC_DIR / name).read_bytes() for name in STYLESHEETS)
    return joined, gzip.compress(joined, 6)


@lru_cache(maxsize=1)
def _script(version: str) -> tuple[bytes, bytes]:
    joined = bundle(STATIC_DIR / "js", "app.js").encode()
    return joined, gzip.compress(joined, 6)


def _static_file(relative: str) -> Path:
    candidate = (STATIC_DIR / relative.lstrip("/")).resolve()
    if not candidate.is_relative_to(STATIC_DIR.resolve()) or not candidate.is_file():
        raise NotFoundException()
    return candidate


@lru_cache(maxsize=128)
def _gzipped(path: Path, modified: float) -> bytes:
    return gzip.compress(path.read_bytes(), 6)


@get("/assets/{version:str}/{file_path:path}", opt={"public": True}, include_in_schema=False)
async def asset(request: Request, version: FromPath[str], file_path: FromPath[Path]) -> Response | File:
    # Another release's URL gets nothing rather than today's files under its name: a service
    # worker installing during a rolling deploy must not store a mix of two releases.
    if version != asset_version():
        raise NotFoundException()
    cache = IMMUTABLE
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    joined = {STYLES_BUNDLE: (_styles, ".css"), SCRIPT_BUNDLE: (_script, ".js")}.get(file_path.as_posix().lstrip("/"))
    if joined:
        plain, packed = joined[0](version)
        return Response(
            packed if gzip_ok else plain,
            media_type=MEDIA_TYPES[joined[1]],
            headers={**headers, **({"Content-Encoding": "gzip"} if gzip_ok else {})},
        )
    return static_file(request, file_path.as_posix(), cache)


def static_file(request: Request, relative: str, cache: str) -> Response | File:
    """A file of web/static, text gzipped once per file and version (a third of the bytes on a
    slow phone network), never per request; pages and JSON are compressed in compression.py."""
    path = _static_file(relative)
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    if path.suffix in TEXT_SUFFIXES and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            _gzipped(path, path.stat().st_mtime), media_type=media_type, headers={**headers, "Content-Encoding": "gzip"}
        )
    return File(path=path, media_type=media_type, headers=headers, content_disposition_type="inline")


ROUTES = [asset]

"""`/assets/<version>/...`: the versioned static files (server/web/assets.py says why versioned),
and any file of web/static served with its text gzipped once (the service worker at /sw.js)."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from server.resources import STATIC_DIR
from server.web.assets import (
    IMMUTABLE,
    MEDIA_TYPES,
    SCRIPT_BUNDLE,
    STYLES_BUNDLE,
    STYLESHEETS,
    TEXT_SUFFIXES,
    asset_version,
)
from server.web.script_bundle import bundle


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

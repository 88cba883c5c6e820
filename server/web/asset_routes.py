"""`/assets/<version>/...`: the versioned static files (server/web/assets.py says why versioned)."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from server.resources import STATIC_DIR
from server.web.assets import IMMUTABLE, MEDIA_TYPES, STYLES_BUNDLE, STYLESHEETS, TEXT_SUFFIXES, asset_version


@lru_cache(maxsize=1)
def _styles(version: str) -> tuple[bytes, bytes]:
    joined = b"\n".join(b"/* %s */\n" % name.encode() + (STATIC_DIR / name).read_bytes() for name in STYLESHEETS)
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
    if file_path.as_posix().lstrip("/") == STYLES_BUNDLE:
        plain, packed = _styles(version)
        return Response(
            packed if gzip_ok else plain,
            media_type=MEDIA_TYPES[".css"],
            headers={**headers, **({"Content-Encoding": "gzip"} if gzip_ok else {})},
        )
    path = _static_file(file_path.as_posix())
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    # Text files go gzipped (a third of the bytes on a slow phone network). Only these: pages,
    # which carry tokens next to what a person typed, stay uncompressed (BREACH).
    if path.suffix in TEXT_SUFFIXES and gzip_ok:
        return Response(
            _gzipped(path, path.stat().st_mtime), media_type=media_type, headers={**headers, "Content-Encoding": "gzip"}
        )
    return File(path=path, media_type=media_type, headers=headers, content_disposition_type="inline")


ROUTES = [asset]

"""Structured JSON logs, one line per event, each with the request id of the request it is part of.

No personal data goes into a log: messages name ids and counts, never a pseudonym, email, note,
token or push endpoint (a test scans the logs of the whole suite for them). The request id is
also the `x-request-id` response header, so a person's report can be matched to the log.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("rinnalla_request_id", default="")


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def request_id() -> str:
    return _request_id.get()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id():
            entry["request_id"] = request_id()
        if record.exc_info:
            # The type and where, not the value: an exception's text may quote what a person typed.
            entry["error"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
            entry["trace"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(record.exc_info[2])
            ]
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_file: str = "") -> None:
    """JSON lines on stderr (or appended to LOG_FILE); the same in the web and worker processes."""
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "rinnalla", False):
            root.removeHandler(existing)
    handler.rinnalla = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Uvicorn's own loggers go through ours (its access log stays off: paths can hold tokens).
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # HTTP clients log each request's URL at INFO: a push endpoint, a link's token. Not here.
    for name in ("httpx", "httpcore", "aiohttp.client", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


# Paths that carry a secret (a client's reminder link, a calendar feed) are logged without it.
_SECRET_PATHS = re.compile(r"^/(r|calendar)/[^/]+")


def safe_path(path: str) -> str:
    return _SECRET_PATHS.sub(lambda m: f"/{m.group(1)}/…", path)

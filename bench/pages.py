"""The HTML pages in-process: SQL statements per page, CPU per request, and template time.

usage: .venv/bin/python bench/pages.py [--requests 200] [--before COMMIT] [--profile PAGE] [--sql PAGE]

Seeds a scratch SQLite database the way bench/side_by_side.py does (100 clients, one with 500
visits), logs in, and calls the ASGI app for each page in this process (no HTTP, no test client). For each
page it prints the statements the engine ran per request (counted by wrapping the sqlite3 calls of
the app's kept connections, here in the bench only; the writer group's COMMIT is not among them),
the CPU per request (time.process_time, every thread) and how much of it was spent inside Jinja's
Template.render. side_by_side.py's figure, from a real server under load, is the one to quote.
`--profile home` (or caseload, visit-form, client) prints a cProfile of that page instead, `--sql
PAGE` its statements; `--before COMMIT` prints the table for that commit's code first.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

PY = sys.executable


class Counter:
    """Statements run through the app's sqlite3 connections, and time inside Template.render."""

    statements = 0
    show = False
    render_seconds = 0.0

    @classmethod
    def install(cls) -> None:
        import jinja2

        from server.db import sqlite_engine

        execute_fetchall = sqlite_engine.InlineConnection.execute_fetchall

        async def counted(self, sql, parameters=()):
            cls.statements += 1
            if cls.show:
                print("   ", sql[:160].replace("\n", " "))
            return await execute_fetchall(self, sql, parameters)

        sqlite_engine.InlineConnection.execute_fetchall = counted  # type: ignore[method-assign]
        execute_many = sqlite_engine.KeptSQLiteEngine.execute_many

        async def counted_many(self, sql, rows):
            cls.statements += 1
            if cls.show:
                print("   ", sql[:160].replace("\n", " "), f"({len(rows)} rows)")
            return await execute_many(self, sql, rows)

        sqlite_engine.KeptSQLiteEngine.execute_many = counted_many  # type: ignore[method-assign]
        render = jinja2.Template.render

        def timed(self, *args, **kwargs):
            started = time.process_time()
            try:
                return render(self, *args, **kwargs)
            finally:
                cls.render_seconds += time.process_time() - started

        jinja2.Template.render = timed  # type: ignore[method-assign]


def seed(data_dir: Path, root: Path) -> tuple[str, str]:
    from side_by_side import SEED
    from visits import PASSWORD

    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite",
        "PYTHONPATH": str(root),
    }
    # cwd: `python -m` and `-c` put the working directory first on the path, before PYTHONPATH.
    subprocess.run([PY, "-m", "server.cli", "migrate"], env=env, check=True, capture_output=True, cwd=root)
    replay = data_dir / "replay.txt"
    replay.write_text("\n".join(str(uuid.uuid4()) for _ in range(1000)))
    out = subprocess.run(
        [PY, "-c", SEED, str(replay), PASSWORD], env=env, check=True, capture_output=True, text=True, cwd=root
    )
    first, second = out.stdout.split()[-2:]
    return first, second


class Browser:
    """Requests straight into the ASGI app on this thread (no test client): the profile and the
    CPU figure see the server's own work only."""

    def __init__(self, app) -> None:
        self.app, self.cookies = app, {}

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple[int, bytes]:
        headers = [(b"host", b"127.0.0.1"), (b"accept-language", b"fi")]
        if self.cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode()))
        if content_type:
            headers += [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = iter([{"type": "http.request", "body": body, "more_body": False}])
        status, chunks = 0, []

        async def receive():
            return next(sent, {"type": "http.disconnect"})

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message["headers"]:
                    if name.lower() == b"set-cookie":
                        key, _eq, rest = value.decode().partition("=")
                        self.cookies[key] = rest.split(";", 1)[0]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def run(args) -> None:
    from urllib.parse import urlencode

    from visits import PASSWORD

    Counter.install()
    if args.without_use_log:  # a diagnosis of what the use-log rows cost: never how the app runs
        from server.audit import chain

        async def not_written(*_args, **_kwargs) -> None:
            return None

        chain.append = not_written  # type: ignore[assignment]
    from server.app import create_app

    pages = {
        "home": "/",
        "caseload": "/clients",
        "visit-form": "/visits/new",
        "client": f"/clients/{args.client}",
    }
    app = create_app()
    async with app.lifespan():
        http = Browser(app)
        _status, page = await http.request("GET", "/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.decode()).group(1)
        form = urlencode({"email": "a@bench.fi", "password": PASSWORD, "_csrf_token": token}).encode()
        status, _body = await http.request("POST", "/login", form, "application/x-www-form-urlencoded")
        assert status == 303, status
        if args.sql:
            Counter.show = True
            await http.request("GET", pages[args.sql])
            return
        if args.profile:
            path = pages[args.profile]
            for _ in range(20):
                await http.request("GET", path)
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                await http.request("GET", path)
            profile.disable()
            stats = pstats.Stats(profile).sort_stats(args.sort)
            stats.print_stats(args.lines)
            if args.callers:
                stats.print_callers(args.callers)
            return
        print("| page | statements | CPU ms/request (in-process) | of which Template.render | HTML bytes |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, path in pages.items():
            for _ in range(20):  # warm: templates compiled, caches filled
                status, body = await http.request("GET", path)
                assert status == 200, (path, status)
            Counter.statements, Counter.render_seconds = 0, 0.0
            started = time.process_time()
            for _ in range(args.requests):
                status, body = await http.request("GET", path)
            cpu = (time.process_time() - started) / args.requests * 1000
            print(
                f"| {name} | {Counter.statements / args.requests:.1f} | {cpu:.2f} | "
                f"{Counter.render_seconds / args.requests * 1000:.2f} | {len(body)} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", choices=["home", "caseload", "visit-form", "client"])
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--sql", choices=["home", "caseload", "visit-form", "client"], help="print its statements")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--callers", default="", help="with --profile: who calls the functions matching this")
    parser.add_argument(
        "--without-use-log",
        action="store_true",
        help="diagnosis only: skip writing the use-log rows, to see their share of each page's CPU",
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the checkout whose server/ to measure (default: this one)"
    )
    parser.add_argument(
        "--before", default="", metavar="COMMIT", help="first the same table for this commit's code (git archive)"
    )
    args = parser.parse_args()
    if args.before:
        with tempfile.TemporaryDirectory(prefix="rinnalla-pages-before-") as before:
            archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", before], input=archive.stdout, check=True)
            print(f"Before ({args.before}):")
            again = [arg for arg in sys.argv[1:] if arg != "--before" and arg != args.before]
            subprocess.run([PY, __file__, *again, "--root", before], check=True)
        print("\nAfter (this checkout):")
    sys.path.insert(0, str(args.root))
    data_dir = Path(tempfile.mkdtemp(prefix="rinnalla-pages-"))
    os.environ.update(
        {
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite",
            "SQLITE_SYNCHRONOUS": "FULL",
        }
    )
    os.environ.pop("RINNALLA_FAST_HASHES", None)
    args.client, _other = seed(data_dir, args.root)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

"""The use log under load: appending to the hash chain, the client's report, verifying the chain.

usage: .venv/bin/python bench/audit.py [--rows 100000] [--clients 1000] [--concurrency 32]
                                       [--databases sqlite,postgres]

Each database gets a scratch schema (`rinnalla migrate` in a child process, then the app's own
code in this one). First `--concurrency` tasks each append one row at a time, as client pages
do (every append takes the chain's lock and reads the head): rows/s and p50/p99 per append. The
log is then filled to `--rows` rows over `--clients` clients in batches of 1,000, and the table
gives the time of one client's two-year report (p50/p99 of 20, goal G3 < 2 s at 100k rows) and
of `rinnalla audit verify`'s walk over the whole chain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from visits import database_url, drop_database  # noqa: E402 - the bench's own helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SINGLE_APPENDS = 3000
BATCH = 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def scenario(rows: int, clients: int, concurrency: int) -> dict:
    from server.accounts.tables import Team, User
    from server.audit import chain
    from server.audit.report import Period, log_report
    from server.casework.tables import AccessLog, Client
    from server.db.lifecycle import database
    from server.timeutil import local_today, utcnow

    async with database():
        team = (await Team.insert(Team(name="Bench")))[0]["id"]
        user = (
            await User.insert(
                User(email="b@bench.fi", display_name="Bench", password_hash="x", role="professional", team=team)
            )
        )[0]["id"]
        today = local_today()
        client_ids = [
            row["id"]
            for row in await Client.insert(
                *[
                    Client(team=team, pseudonym=f"C{i}", search_key=f"c{i}", started_on=today, status_changed_on=today)
                    for i in range(clients)
                ]
            )
        ]

        def row(client_id: int) -> dict:
            return {
                "at": utcnow(),
                "user": user,
                "role": "professional",
                "team": team,
                "client": client_id,
                "action": "read",
                "what": "client_page",
                "object": "client",
                "basis": "team",
                "reason": "",
                "request_id": "bench",
                "session": None,
                "outcome": "ok",
            }

        async def plain(one: dict) -> None:  # the log as it was before the chain: a bare INSERT
            await AccessLog.insert(AccessLog(**one))

        async def chained(one: dict) -> None:
            await chain.append(AccessLog, [one])

        async def timed(write) -> tuple[list[float], float]:
            latencies: list[float] = []

            async def appender(worker: int) -> None:
                for n in range(SINGLE_APPENDS // concurrency):
                    start = time.perf_counter()
                    await write(row(client_ids[(worker * 7 + n) % clients]))
                    latencies.append(time.perf_counter() - start)

            started = time.perf_counter()
            await asyncio.gather(*[appender(w) for w in range(concurrency)])
            return latencies, time.perf_counter() - started

        plain_latencies, plain_seconds = await timed(plain)
        # Empty again for the chained run (the owner may TRUNCATE; the trigger guards rows).
        await AccessLog.raw(
            "DELETE FROM access_log" if AccessLog._meta.db.engine_type == "sqlite" else "TRUNCATE access_log"
        )
        latencies, single_seconds = await timed(chained)
        done = len(latencies)
        while done < rows:
            size = min(BATCH, rows - done)
            await chain.append(AccessLog, [row(client_ids[(done + i) % clients]) for i in range(size)])
            done += size
        period = Period(today - timedelta(days=730), today)
        report_times = []
        for _ in range(20):
            start = time.perf_counter()
            report = await log_report(client_ids[0], period)
            report_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        verdict = await chain.verify(AccessLog)
        verify_seconds = time.perf_counter() - start
        assert verdict.intact and verdict.rows == rows, verdict
    return {
        "plain_rate": len(plain_latencies) / plain_seconds,
        "plain_p50": percentile(plain_latencies, 0.5),
        "plain_p99": percentile(plain_latencies, 0.99),
        "appends": len(latencies),
        "append_rate": len(latencies) / single_seconds,
        "append_p50": percentile(latencies, 0.5),
        "append_p99": percentile(latencies, 0.99),
        "report_uses": len(report["uses"]),
        "report_p50": percentile(report_times, 0.5),
        "report_p99": percentile(report_times, 0.99),
        "verify_s": verify_seconds,
        "rows": rows,
    }


def run(kind: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as work:
        url, name = database_url(kind, work)
        env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": work, "LOG_FILE": ""}
        try:
            subprocess.run(
                [sys.executable, "-m", "server.cli", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True
            )
            os.environ.update(DATABASE_URL=url, DATA_DIR=work)
            from server.settings import get_settings

            get_settings.cache_clear()
            return asyncio.run(scenario(args.rows, args.clients, args.concurrency))
        finally:
            drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process runs one database
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run(args.one, args)))
        return
    print(
        f"| database | rows, one per call, {args.concurrency} at once | plain INSERT: rate, p50, p99 | chained: rate, "
        f"p50, p99 | report of one client ({args.rows:,} rows) p50 / p99 | verify {args.rows:,} rows |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind in args.databases.split(","):
        # One process per database: the app's engine is made once per process.
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                kind,
                "--rows",
                str(args.rows),
                "--clients",
                str(args.clients),
                "--concurrency",
                str(args.concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"| {kind} | {r['appends']:,} | {r['plain_rate']:,.0f}/s, {r['plain_p50'] * 1000:.1f} ms, "
            f"{r['plain_p99'] * 1000:.1f} ms | {r['append_rate']:,.0f}/s, {r['append_p50'] * 1000:.1f} ms, "
            f"{r['append_p99'] * 1000:.1f} ms | {r['report_p50'] * 1000:.0f} / {r['report_p99'] * 1000:.0f} ms "
            f"({r['report_uses']} uses) | {r['verify_s']:.1f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()

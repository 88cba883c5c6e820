"""The lead's dashboard at national scale: 200,000 clients and 2,000,000 visits.

usage: .venv/bin/python bench/dashboard.py [--clients 200000] [--visits 2000000] [--requests 100]
                                           [--databases postgres,sqlite]

The generator makes teams of 10 pairs with 250 clients each (25 per pair; 800 teams at full
scale), visits over two years (15 % anonymous, one or two workers, a theme each), a follow-up per
client and referrals, loaded with COPY (PostgreSQL) or executemany (SQLite) in chunks. Then a
real `rinnalla serve` answers `GET /api/v1/dashboard` (and the `/lead` page) for a lead of one
team and for an admin of every team, one request after another; the table gives p50/p95/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from visits import database_url, drop_database  # noqa: E402 - the bench's own helpers

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLIENTS_PER_TEAM = 250
PAIRS_PER_TEAM = 10
CHUNK = 50_000
THEMES = (
    "housing",
    "finances",
    "substances",
    "gambling",
    "crime",
    "mental_health",
    "independent_living",
    "learning",
    "authorities",
    "peer_support",
    "employment",
    "health",
)
STATUSES = ("referred", "contacted", "attended", "not_attended", "cancelled")
PASSWORD = "bench password for rinnalla"

COLUMNS = {
    "team": ("id", "name", "created_at"),
    "app_user": ("id", "email", "display_name", "password_hash", "role", "team", "language", "is_active", "created_at"),
    "work_pair": ("id", "team", "first_member", "second_member", "created_at"),
    "client": (
        "id",
        "team",
        "pair",
        "pseudonym",
        "search_key",
        "legal_name",
        "phone",
        "status",
        "started_on",
        "status_changed_on",
        "came_from",
        "institution",
        "release_date",
        "release_type",
        "created_at",
        "updated_at",
    ),
    "visit": (
        "id",
        "uuid",
        "team",
        "client",
        "anonymous_count",
        "occurred_at",
        "place",
        "kind",
        "notes",
        "together_with_client",
        "created_by",
        "received_at",
    ),
    "visit_worker": ("id", "visit", "user"),
    "visit_theme": ("id", "visit", "theme"),
    "followup": ("id", "team", "client", "pair", "due_at", "note", "done_at", "created_at"),
    "referral": ("id", "team", "client", "service", "note", "status", "referred_on", "created_by", "created_at"),
}


def generate(clients: int, visits: int, seed: int = 7):
    """(table, rows) chunks, in an order the foreign keys accept."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    teams = max(1, clients // CLIENTS_PER_TEAM)
    yield "team", [(t + 1, f"Team {t + 1}", now) for t in range(teams)]
    users, pairs, user_id = [], [], 0
    for t in range(teams):
        for p in range(PAIRS_PER_TEAM):
            first, second = user_id + 1, user_id + 2
            users += [
                (first, f"p{first}@bench.fi", f"Worker {first}", "x", "professional", t + 1, "fi", True, now),
                (second, f"e{second}@bench.fi", f"Expert {second}", "x", "experience_expert", t + 1, "fi", True, now),
            ]
            pairs.append((t * PAIRS_PER_TEAM + p + 1, t + 1, first, second, now))
            user_id += 2
    yield "app_user", users
    yield "work_pair", pairs
    client_team = []
    rows = []
    for c in range(clients):
        team = c // CLIENTS_PER_TEAM % teams + 1
        pair = (team - 1) * PAIRS_PER_TEAM + c % PAIRS_PER_TEAM + 1
        status = rng.choices(("active", "paused", "closed"), (8, 1, 1))[0]
        release = today + timedelta(days=rng.randint(-30, 120)) if rng.random() < 0.08 else None
        client_team.append((team, pair))
        rows.append(
            (
                c + 1,
                team,
                pair,
                f"Asiakas {c + 1}",
                f"asiakas {c + 1}",
                "",
                "",
                status,
                today,
                today,
                "street",
                "",
                release,
                "",
                now,
                now,
            )
        )
        if len(rows) == CHUNK:
            yield "client", rows
            rows = []
    yield "client", rows
    rows, workers, themes = [], [], []
    worker_id = 0
    for v in range(visits):
        client = rng.randrange(clients) + 1
        team, pair = client_team[client - 1]
        anonymous = rng.random() < 0.15
        first = (pair - 1) * 2 + 1
        when = now - timedelta(seconds=rng.randrange(730 * 86400))
        rows.append(
            (
                v + 1,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                team,
                None if anonymous else client,
                rng.randint(1, 5) if anonymous else 0,
                when,
                "",
                "street",
                "",
                False,
                first,
                when,
            )
        )
        worker_id += 1
        workers.append((worker_id, v + 1, first))
        if rng.random() < 0.5:
            worker_id += 1
            workers.append((worker_id, v + 1, first + 1))
        themes.append((v + 1, v + 1, rng.choice(THEMES)))
        if len(rows) == CHUNK:
            yield "visit", rows
            yield "visit_worker", workers
            yield "visit_theme", themes
            rows, workers, themes = [], [], []
    yield "visit", rows
    yield "visit_worker", workers
    yield "visit_theme", themes
    rows = []
    for c in range(clients):
        team, pair = client_team[c]
        due = now + timedelta(days=rng.randint(-60, 30))
        done = due if rng.random() < 0.3 else None
        rows.append((c + 1, team, c + 1, pair, due, "soita", done, now))
    yield "followup", rows
    rows = []
    for r in range(clients // 2):
        client = rng.randrange(clients) + 1
        team, pair = client_team[client - 1]
        rows.append(
            (
                r + 1,
                team,
                client,
                1,
                "",
                rng.choice(STATUSES),
                today - timedelta(days=rng.randint(0, 180)),
                (pair - 1) * 2 + 1,
                now,
            )
        )
    yield "referral", rows


def sqlite_value(value):
    if isinstance(value, datetime):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def load_sqlite(path: str, clients: int, visits: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    for table, rows in generate(clients, visits):
        if not rows:
            continue
        columns = COLUMNS[table]
        connection.executemany(
            f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
            f"VALUES ({', '.join('?' * len(columns))})",
            [tuple(sqlite_value(v) for v in row) for row in rows],
        )
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


async def load_postgres(url: str, clients: int, visits: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        for table, rows in generate(clients, visits):
            if rows:
                await connection.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))
        for table in COLUMNS:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def run(args: list[str], env: dict) -> str:
    return subprocess.run(
        [PY, "-m", "server.cli", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True, input=PASSWORD
    ).stdout


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_in(http: httpx.Client, email: str) -> None:
    page = http.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    response = http.post("/login", data={"email": email, "password": PASSWORD, "_csrf_token": token})
    assert response.status_code == 303, response.text[:200]


def timings(http: httpx.Client, path: str, requests: int) -> dict:
    for _ in range(3):
        assert http.get(path).status_code == 200
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = http.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return {
        "p50": statistics.median(times),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "n": requests,
        "bytes": len(response.content),
    }


def bench_database(kind: str, args: argparse.Namespace) -> list[dict]:
    data_dir = tempfile.mkdtemp(prefix=f"rinnalla-bench-dash-{kind}-")
    url, pg_name = database_url(kind, data_dir)
    env = {**os.environ, "DATA_DIR": data_dir, "DATABASE_URL": url, "RINNALLA_FAST_HASHES": "1"}
    rows = []
    server = None
    try:
        run(["migrate"], env)
        started = time.perf_counter()
        if kind == "sqlite":
            load_sqlite(url.removeprefix("sqlite:///"), args.clients, args.visits)
        else:
            asyncio.run(load_postgres(url, args.clients, args.visits))
        load_seconds = time.perf_counter() - started
        run(["user", "add", "lead@bench.fi", "--team", "Team 1", "--role", "lead", "--password-stdin"], env)
        run(["user", "add", "admin@bench.fi", "--role", "admin", "--password-stdin"], env)
        port = free_port()
        server = subprocess.Popen(
            [PY, "-m", "server.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for who, email, path, count in (
            ("lead, own team", "lead@bench.fi", "/api/v1/dashboard", args.requests),
            ("lead, own team (page)", "lead@bench.fi", "/lead", args.requests),
            ("admin, one team", "admin@bench.fi", "/api/v1/dashboard?team=2", args.requests),
            ("admin, every team", "admin@bench.fi", "/api/v1/dashboard", max(5, args.requests // 20)),
        ):
            with httpx.Client(base_url=base, timeout=300) as http:
                log_in(http, email)
                result = timings(http, path, count)
            rows.append({"database": kind, "who": who, "path": path, **result, "load s": load_seconds})
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_database(pg_name)
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--visits", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--databases", default="postgres,sqlite", type=lambda s: s.split(","))
    args = parser.parse_args()
    rows = [row for kind in args.databases for row in bench_database(kind, args)]
    print(
        f"{args.clients:,} clients, {args.visits:,} visits, {max(1, args.clients // CLIENTS_PER_TEAM)} teams; "
        f"requests one after another; {os.cpu_count()} CPUs.\n"
    )
    print("| database | who | path | p50 ms | p95 ms | p99 ms | requests | bytes | load s |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['database']} | {r['who']} | `{r['path']}` | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
            f"| {r['n']} | {r['bytes']:,} | {r['load s']:.0f} |"
        )


if __name__ == "__main__":
    main()

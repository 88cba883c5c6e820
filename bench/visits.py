"""Visit POST and caseload page under load, on SQLite and PostgreSQL. Prints a markdown table.

usage: .venv/bin/python bench/visits.py [--clients 2000] [--visits 20000] [--seconds 10] [--runs 3]
                                        [--databases sqlite,postgres] [--connections 50]

Method (as in shared/research/perf-anchors.md): one uvicorn worker pinned to CPU 0, the load
generator pinned to CPU 1 on loopback, a warm-up run, then N runs per row and their medians.
Closed loop (wrk, saturating): a fresh uuid per visit POST (first delivery); replays of 1,000
stored ids (the offline queue resending); the caseload page. Open loop: 50 phones each sending a
visit at a fixed rate, latency counted from when each request was due.
The database is seeded with N clients and M visits first. PostgreSQL: a scratch database on
127.0.0.1:5432 (TEST_POSTGRES_URL), dropped afterwards.
SQLite runs twice by default: `sqlite` with the shipped synchronous=FULL (a write is answered once
it is fsynced) and `sqlite-normal` with SQLITE_SYNCHRONOUS=NORMAL, to quote what FULL costs; the
WAL file's size is read after each saturating run (it must stay bounded, see
server/db/sqlite_engine.py).

Last run (2026-12-06, 2 shared CPUs with a load average of 8-14 from other jobs, 300 clients,
3,000 visits, 2 x 5 s, c=50): visit POST fresh 233 req/s with FULL vs 240 with NORMAL (0.97x),
replays 328 vs 258; the WAL after each saturating run 5.2 MiB (FULL) and at most 8.1 MiB (the
8 MiB checkpoint bound plus one group), where 0.3.0 left 415 MB after 15 s. Group commit makes
FULL's fsync (about 3 ms on this disk) one per group instead of one per visit, so it no longer
decides the throughput (not yet measured on a quiet machine).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://rinnalla_test:rinnalla_test@127.0.0.1:5432/postgres")
PASSWORD = "bench password for rinnalla"

SEED = r"""
import asyncio, random, sys, uuid
from datetime import date, datetime, timedelta, timezone
import server
from server.db.lifecycle import database, engine
from server.accounts.services import add_team, add_user, add_pair
from server.accounts.tables import Pair
from server.casework.tables import Client, Visit, THEMES, ClientTheme

async def main(n_clients, n_visits, replay_ids):
    async with database():
        await add_team("Bench")
        await add_user("a@bench.fi", "professional", sys.argv[4], "Bench")
        await add_user("b@bench.fi", "experience_expert", sys.argv[4], "Bench")
        await add_pair("a@bench.fi", "b@bench.fi")
        pair = (await Pair.select().first())
        rng = random.Random(1)
        today = date.today()
        for start in range(0, n_clients, 500):
            async with engine().transaction():
                await Client.insert(*[Client(team=pair["team"], pair=pair["id"], pseudonym=f"Asiakas {i}",
                                             started_on=today, status_changed_on=today)
                                      for i in range(start, min(start + 500, n_clients))])
        ids = [r["id"] for r in await Client.select(Client.id)]
        now = datetime.now(timezone.utc)
        replay = [line.strip() for line in open(replay_ids)]
        for start in range(0, n_visits, 1000):
            async with engine().transaction():
                await Visit.insert(*[Visit(uuid=uuid.UUID(replay[i]) if i < len(replay) else uuid.uuid4(),
                                           team=pair["team"], client=rng.choice(ids),
                                           occurred_at=now - timedelta(minutes=i), kind="street",
                                           notes="Lorem ipsum " * 10, created_by=pair["first_member"])
                                     for i in range(start, min(start + 1000, n_visits))])
        print(ids[0])

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
"""

POST_LUA = r"""
local hex = "0123456789abcdef"
local function h(n) local t = {} for i = 1, n do local r = math.random(1, 16) t[i] = hex:sub(r, r) end return table.concat(t) end
local replay = {}
local mode = os.getenv("BENCH_MODE") or "fresh"
if mode == "replay" then for line in io.lines(os.getenv("BENCH_REPLAY")) do replay[#replay + 1] = line end end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["x-csrftoken"] = os.getenv("BENCH_CSRF")
local client_id = os.getenv("BENCH_CLIENT")
local note = string.rep("Kerrottiin asunnosta ja Kelan hakemuksesta. ", 4)
request = function()
  local id
  if mode == "replay" then id = replay[math.random(1, #replay)]
  else id = h(8) .. "-" .. h(4) .. "-4" .. h(3) .. "-a" .. h(3) .. "-" .. h(12) end
  local body = '{"id":"' .. id .. '","client_id":' .. client_id .. ',"kind":"street","themes":["housing","finances"],' ..
               '"actions":["peer_support"],"notes":"' .. note .. '","occurred_at":"2026-11-20T12:00:00+02:00"}'
  return wrk.format(nil, "/api/v1/visits", nil, body)
end
"""

GET_LUA = r"""
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
"""

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: float(v) * UNIT[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct.get("50"), "p99": pct.get("99"), "errors": int(non2xx.group(1)) if non2xx else 0}


def wrk(url: str, seconds: int, connections: int, script: Path, env: dict) -> dict:
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    ).stdout
    return parse_wrk(out)


OPEN_LOOP = r"""
import asyncio, json, random, sys, time, uuid
import httpx

async def main(base_url, cookie, csrf, client_id, clients, interval, seconds):
    latencies, errors = [], 0
    headers = {"Cookie": cookie, "x-csrftoken": csrf, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as http:
        start = time.perf_counter() + 0.5
        async def one_client(k):
            nonlocal errors
            due = start + random.random() * interval  # spread the clients over one interval
            while due < start + seconds:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                body = {"id": str(uuid.uuid4()), "client_id": client_id, "kind": "street",
                        "themes": ["housing"], "notes": "Kerrottiin asunnosta."}
                try:
                    answer = await http.post("/api/v1/visits", content=json.dumps(body))
                    errors += answer.status_code != 201
                except httpx.HTTPError:
                    errors += 1
                # Latency from the moment the request was due: a late start counts (no coordinated omission).
                latencies.append((time.perf_counter() - due) * 1000)
                due += interval
        await asyncio.gather(*[one_client(k) for k in range(clients)])
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(json.dumps({"rps": len(latencies) / seconds, "p50": pick(0.5), "p99": pick(0.99), "errors": errors}))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]),
                 float(sys.argv[7])))
"""


def open_loop(base_url: str, env: dict, clients: int, interval: float, seconds: int) -> dict:
    """`clients` phones each sending a visit every `interval` seconds, whatever the answers."""
    import json

    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            PY,
            "-c",
            OPEN_LOOP,
            base_url,
            env["BENCH_COOKIE"],
            env["BENCH_CSRF"],
            env["BENCH_CLIENT"],
            str(clients),
            str(interval),
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def wait_port(port: int, process: subprocess.Popen) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def login(base_url: str) -> tuple[str, str]:
    import httpx

    with httpx.Client(base_url=base_url) as http:
        page = http.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        answer = http.post("/login", data={"email": "a@bench.fi", "password": PASSWORD, "_csrf_token": token})
        assert answer.status_code == 303, answer.text[:300]
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        return cookie, http.cookies["csrftoken"]


def database_url(kind: str, data_dir: str) -> tuple[str, str | None]:
    if kind.startswith("sqlite"):
        return f"sqlite:///{data_dir}/bench.sqlite", None
    name = f"rinnalla_bench_{os.getpid()}"
    subprocess.run(
        [
            PY,
            "-c",
            f"import asyncio, asyncpg\nasync def m():\n c = await asyncpg.connect({PG_ADMIN!r})\n"
            f" await c.execute('DROP DATABASE IF EXISTS {name} WITH (FORCE)')\n"
            f" await c.execute('CREATE DATABASE {name}')\n await c.close()\nasyncio.run(m())",
        ],
        check=True,
    )
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def drop_database(name: str | None) -> None:
    if name:
        subprocess.run(
            [
                PY,
                "-c",
                f"import asyncio, asyncpg\nasync def m():\n c = await asyncpg.connect({PG_ADMIN!r})\n"
                f" await c.execute('DROP DATABASE IF EXISTS {name} WITH (FORCE)')\n await c.close()\n"
                "asyncio.run(m())",
            ],
            check=True,
        )


def bench_database(kind: str, args: argparse.Namespace, work: Path) -> list[dict]:
    data_dir = tempfile.mkdtemp(prefix=f"rinnalla-bench-{kind}-")
    url, pg_name = database_url(kind, data_dir)
    env = {
        **os.environ,
        "DATA_DIR": data_dir,
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "SQLITE_SYNCHRONOUS": "NORMAL" if kind == "sqlite-normal" else "FULL",
    }
    env.pop("RINNALLA_FAST_HASHES", None)
    wal = Path(data_dir) / "bench.sqlite-wal"
    replay_file = work / "replay.txt"
    replay_file.write_text("\n".join(str(uuid.uuid4()) for _ in range(1000)))
    rows = []
    try:
        subprocess.run([PY, "-m", "server.cli", "migrate"], env=env, check=True, capture_output=True)
        seeded = subprocess.run(
            [PY, "-c", SEED, str(args.clients), str(args.visits), str(replay_file), PASSWORD],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        client_id = seeded.stdout.strip().splitlines()[-1]
        port = 8200 + {"sqlite": 0, "sqlite-normal": 2}.get(kind, 1)
        server = subprocess.Popen(
            ["taskset", "-c", "0", PY, "-m", "server.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_port(port, server)
            base_url = f"http://127.0.0.1:{port}"
            cookie, csrf = login(base_url)
            wrk_env = {
                "BENCH_COOKIE": cookie,
                "BENCH_CSRF": csrf,
                "BENCH_CLIENT": client_id,
                "BENCH_REPLAY": str(replay_file),
            }
            post_lua, get_lua = work / "post.lua", work / "get.lua"
            post_lua.write_text(POST_LUA)
            get_lua.write_text(GET_LUA)
            cases = [
                ("visit POST, fresh id", f"{base_url}/api/v1/visits", post_lua, {"BENCH_MODE": "fresh"}),
                ("visit POST, replayed id", f"{base_url}/api/v1/visits", post_lua, {"BENCH_MODE": "replay"}),
                ("caseload page GET /clients", f"{base_url}/clients", get_lua, {}),
            ]
            for rate in args.open_loop_rates:
                interval = args.connections / rate
                open_loop(base_url, wrk_env, args.connections, interval, 3)  # warm-up
                runs = [
                    open_loop(base_url, wrk_env, args.connections, interval, args.seconds) for _ in range(args.runs)
                ]
                label = f"visit POST, {args.connections} phones, {rate} req/s offered"
                rows.append(
                    {
                        "database": kind,
                        "case": label,
                        "runs": runs,
                        **{k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")},
                        "errors": sum(r["errors"] for r in runs),
                    }
                )
                print(
                    f"  {kind:8} {label:28} {rows[-1]['rps']:8.0f} req/s  p50 {rows[-1]['p50']:6.1f} ms  "
                    f"p99 {rows[-1]['p99']:6.1f} ms  non-201 {rows[-1]['errors']}",
                    file=sys.stderr,
                    flush=True,
                )
            for label, url_, script, extra in cases:
                wrk(url_, 3, args.connections, script, {**wrk_env, **extra})  # warm-up
                runs = [
                    wrk(url_, args.seconds, args.connections, script, {**wrk_env, **extra}) for _ in range(args.runs)
                ]
                wal_after = wal.stat().st_size if wal.exists() else None
                rows.append(
                    {
                        "database": kind,
                        "case": label,
                        "runs": runs,
                        **{k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")},
                        "errors": sum(r["errors"] for r in runs),
                        "wal": wal_after,
                    }
                )
                print(
                    f"  {kind:8} {label:28} {rows[-1]['rps']:8.0f} req/s  p50 {rows[-1]['p50']:6.1f} ms  "
                    f"p99 {rows[-1]['p99']:6.1f} ms  non-2xx {rows[-1]['errors']}  WAL {wal_after}",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        drop_database(pg_name)
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--visits", type=int, default=20000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--databases",
        default="sqlite,sqlite-normal,postgres",
        help="sqlite (synchronous=FULL, as shipped), sqlite-normal, postgres",
    )
    parser.add_argument(
        "--open-loop-rates",
        default="50,100",
        type=lambda v: [int(x) for x in v.split(",") if x],
        help="offered visit POSTs per second, spread over --connections phones (open loop)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="rinnalla-bench-"))
    rows = []
    for kind in args.databases.split(","):
        rows += bench_database(kind, args, work)
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nSeeded {args.clients} clients and {args.visits} visits; uvicorn 1 worker on CPU 0, wrk -c{args.connections} "
        f"on CPU 1, {args.runs} x {args.seconds} s, medians. Machine: {os.cpu_count()} CPUs, "
        f"{os.uname().sysname} {os.uname().release}.\n"
    )
    print("| database | case | req/s | p50 ms | p99 ms | non-2xx | runs req/s | WAL after |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for row in rows:
        runs = " / ".join(f"{r['rps']:.0f}" for r in row["runs"])
        wal = "" if row.get("wal") is None else f"{row['wal'] / 2**20:.1f} MiB"
        print(
            f"| {row['database']} | {row['case']} | {row['rps']:.0f} | {row['p50']:.1f} | {row['p99']:.1f} | "
            f"{row['errors']} | {runs} | {wal} |"
        )
    full = {r["case"]: r for r in rows if r["database"] == "sqlite"}
    normal = {r["case"]: r for r in rows if r["database"] == "sqlite-normal"}
    for case in full.keys() & normal.keys():
        if "visit POST" in case and normal[case]["rps"]:
            print(
                f"\nsynchronous=FULL vs NORMAL, {case}: {full[case]['rps']:.0f} vs {normal[case]['rps']:.0f} req/s "
                f"({full[case]['rps'] / normal[case]['rps']:.2f}x), p99 {full[case]['p99']:.1f} vs "
                f"{normal[case]['p99']:.1f} ms"
            )


if __name__ == "__main__":
    main()

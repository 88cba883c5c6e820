"""Rinnalla beside bare baselines in one sitting: req/s, p50, p99 and server CPU per request.

usage: .venv/bin/python bench/side_by_side.py [--seconds 3] [--rounds 2] [--connections 50]
       [--only page] [--pages-before COMMIT] [--no-poc]

Every server is one uvicorn worker (uvloop, httptools) pinned to CPU 0 with taskset; wrk (one
thread, 50 connections, installed with apt-get when missing) runs pinned to CPU 1 on loopback.
All servers are started first and stay up; each round runs every request kind against its
baseline and against Rinnalla in turn (A/B interleaved), after one warm-up pass. CPU per request
is the server process's utime+stime (/proc/<pid>/stat, every thread, so SQLite's commit thread
too) over the requests wrk completed; PostgreSQL's own processes are not counted, for the
baseline and Rinnalla alike. Medians over the rounds.

Baselines (bench/bare_apps.py): a Litestar hello; a kept-writer idempotent insert on SQLite
(inline on the loop, synchronous=NORMAL); a Litestar+Piccolo plain insert on PostgreSQL. When
shared/research/poc/sqlite_kept_connection is there, the proof of concept itself (aiosqlite,
synchronous=NORMAL) runs too: issue 21's visit target is stated against it. Rinnalla runs as
shipped (SQLite with synchronous=FULL), seeded with 100 clients, one of them with 500 visits,
and 1,000 stored visits of the logged-in worker to replay.

`--pages-before COMMIT` also serves that commit's code (its files from `git archive`, this
environment) on SQLite, seeded alike, and measures each page against it: before and after in one
run, interleaved. bench/pages.py counts the statements per page.

The machine may be shared: CPU per request is the figure that holds; req/s and latency move
with whatever else runs (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import visits as vb  # noqa: E402  (bench/visits.py: login, wrk parsing, scratch PostgreSQL)

PY = sys.executable
POC_DIR = ROOT.parent.parent / "shared" / "research" / "poc" / "sqlite_kept_connection"
if not POC_DIR.exists():
    POC_DIR = Path(os.environ.get("POC_DIR", "/work/shared/research/poc/sqlite_kept_connection"))
TICKS = os.sysconf("SC_CLK_TCK")

SEED = r"""
import asyncio, sys, uuid
from datetime import date, datetime, timedelta, timezone
import server
from server.db.lifecycle import database, engine
from server.accounts.services import add_team, add_user, add_pair
from server.accounts.tables import Pair
from server.casework.tables import Client, Visit, VisitTheme, VisitWorker

async def main(replay_file, password):
    async with database():
        await add_team("Bench")
        await add_user("a@bench.fi", "professional", password, "Bench")
        await add_user("b@bench.fi", "experience_expert", password, "Bench")
        await add_pair("a@bench.fi", "b@bench.fi")
        pair = await Pair.select().first()
        today = date.today()
        async with engine().transaction():
            await Client.insert(*[Client(team=pair["team"], pair=pair["id"], pseudonym=f"Asiakas {i}",
                                         started_on=today, status_changed_on=today) for i in range(100)])
        ids = [r["id"] for r in await Client.select(Client.id).order_by(Client.id)]
        now = datetime.now(timezone.utc)
        replay = [line.strip() for line in open(replay_file)]
        for start in range(0, 1500, 500):
            async with engine().transaction():
                rows = await Visit.insert(*[Visit(
                    uuid=uuid.UUID(replay[i - 500]) if i >= 500 else uuid.uuid4(), team=pair["team"],
                    client=ids[0] if i < 500 else ids[1 + i % 99], occurred_at=now - timedelta(hours=i),
                    kind="street", notes="Kerrottiin asunnosta ja Kelan hakemuksesta. " * 3,
                    created_by=pair["first_member"]) for i in range(start, start + 500)]).returning(Visit.id)
                await VisitWorker.insert(*[VisitWorker(visit=r["id"], user=pair["first_member"]) for r in rows])
                await VisitTheme.insert(*[VisitTheme(visit=r["id"], theme="housing") for r in rows])
        print(ids[0], ids[1])

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

# The proof of concept's own load script (fresh uuid4, or one of its 1,000 stored ids).
BARE_POST_LUA = r"""
local path = os.getenv("BARE_PATH") or "/visits"
local replay = os.getenv("BARE_WORKLOAD") == "replay"
local note = string.rep("Lorem ipsum dolor sit amet ", 8):sub(1, 200)
local hex = "0123456789abcdef"
local function h(n) local t = {} for i = 1, n do local r = math.random(1, 16); t[i] = hex:sub(r, r) end return table.concat(t) end
function init(args) math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1000000)) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  local id
  if replay then id = string.format("00000000-0000-4000-8000-%012d", math.random(1, 1000))
  else id = h(8) .. "-" .. h(4) .. "-4" .. h(3) .. "-a" .. h(3) .. "-" .. h(12) end
  local body = '{"id":"' .. id .. '","client_id":' .. math.random(1, 1000) ..
    ',"note":"' .. note .. '","created_at":"2025-06-01T12:00:00+00:00"}'
  return wrk.format(nil, path, nil, body)
end
"""
GET_LUA = 'wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")\n'
PLAIN_LUA = "\n"
BARE_DDL = (
    'CREATE TABLE IF NOT EXISTS "visit" ("id" INTEGER PRIMARY KEY NOT NULL, "uuid" UUID UNIQUE NOT NULL, '
    '"client_id" INTEGER NOT NULL DEFAULT 0, "note" TEXT NOT NULL DEFAULT \'\', '
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)'
)


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)


def prefill_bare(path: Path) -> None:
    """The bare SQLite table with exactly the proof of concept's 1,000 replay ids."""
    connection = sqlite3_connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(BARE_DDL)
    connection.executemany(
        'INSERT OR IGNORE INTO "visit" (uuid, client_id, note, created_at) VALUES (?,?,?,?)',
        [(f"00000000-0000-4000-8000-{i:012d}", 7, "x" * 200, "2025-06-01 12:00:00+00:00") for i in range(1, 1001)],
    )
    connection.commit()
    connection.close()


def bare_postgres() -> tuple[str, str]:
    """A scratch database of its own for the bare insert (Rinnalla's is bench/visits.py's)."""
    name = f"rinnalla_bare_{os.getpid()}"
    subprocess.run(
        [
            PY,
            "-c",
            f"import asyncio, asyncpg\nasync def m():\n c = await asyncpg.connect({vb.PG_ADMIN!r})\n"
            f" await c.execute('DROP DATABASE IF EXISTS {name} WITH (FORCE)')\n"
            f" await c.execute('CREATE DATABASE {name}')\n await c.close()\nasyncio.run(m())",
        ],
        check=True,
    )
    return vb.PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def sqlite3_connect(path: Path):
    import sqlite3

    return sqlite3.connect(path)


RUNNING: list[Server] = []  # stopped at the end, whatever failed


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Server:
    def __init__(self, label: str, command: list[str], port: int, env: dict, cwd: Path = ROOT) -> None:
        if not port_is_free(port):
            raise SystemExit(f"port {port} is taken: another server would be measured instead of {label}")
        self.label, self.port = label, port
        RUNNING.append(self)
        self.process = subprocess.Popen(
            ["taskset", "-c", "0", *command],
            env={**os.environ, **env},
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        vb.wait_port(port, self.process)
        if self.process.poll() is not None:
            raise SystemExit(f"{label} exited: {self.process.stdout.read()}")
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.process.poll() is not None:
            print(f"{self.label} had exited: {self.process.stdout.read()[-2000:]}", file=sys.stderr)
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def uvicorn(app: str, port: int, app_dir: Path | None = None) -> list[str]:
    return [
        PY,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        *(["--app-dir", str(app_dir)] if app_dir else []),
    ]


def measure(server: Server, path: str, script: Path, env: dict, seconds: int, connections: int) -> dict:
    before = cpu_seconds(server.process.pid)
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
            server.url + path,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    ).stdout
    cpu = cpu_seconds(server.process.pid) - before
    result = vb.parse_wrk(out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    result["cpu_ms"] = cpu * 1000 / max(total, 1)
    result["requests"] = total
    return result


def rinnalla(
    kind: str, work: Path, port: int, replay_file: Path, root: Path = ROOT
) -> tuple[Server, dict, str | None, tuple[str, str]]:
    """Rinnalla from `root` (this checkout, or an older commit's files for --pages-before)."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"rinnalla-sbs-{kind}-", dir=work))
    url, pg_name = vb.database_url(kind, str(data_dir))
    env = {"DATA_DIR": str(data_dir), "DATABASE_URL": url, "PYTHONPATH": str(root), "SQLITE_SYNCHRONOUS": "FULL"}
    full_env = {**os.environ, **env}
    full_env.pop("RINNALLA_FAST_HASHES", None)
    os.environ.pop("RINNALLA_FAST_HASHES", None)  # the servers inherit this environment: real hashes
    # cwd: `python -m` and `-c` put the working directory first on the path, before PYTHONPATH.
    subprocess.run([PY, "-m", "server.cli", "migrate"], env=full_env, check=True, capture_output=True, cwd=root)
    seeded = subprocess.run(
        [PY, "-c", SEED, str(replay_file), vb.PASSWORD],
        env=full_env,
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    )
    first, second = seeded.stdout.split()[-2:]
    label = f"rinnalla-{kind}" if root == ROOT else f"rinnalla-{kind}-before"
    server = Server(label, [PY, "-m", "server.cli", "serve", "--port", str(port)], port, env, cwd=root)
    cookie, csrf = vb.login(server.url)
    return (
        server,
        {"BENCH_COOKIE": cookie, "BENCH_CSRF": csrf, "BENCH_CLIENT": second, "BENCH_REPLAY": str(replay_file)},
        pg_name,
        (first, second),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--page-connections",
        type=int,
        default=4,
        help="pages are read by a few people at once; 50 renders in flight at a few ms each "
        "would finish none within a short run on a shared machine",
    )
    parser.add_argument("--no-poc", action="store_true", help="skip the proof of concept's own server")
    parser.add_argument("--only", default="", help="run only the request kinds whose label contains this")
    parser.add_argument(
        "--pages-before",
        default="",
        metavar="COMMIT",
        help="also serve this commit's code (git archive) on SQLite, seeded alike, as the pages' baseline",
    )
    args = parser.parse_args()
    ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="rinnalla-sbs-"))
    replay_file = work / "replay.txt"
    import uuid

    replay_file.write_text("\n".join(str(uuid.uuid4()) for _ in range(1000)))
    scripts = {name: work / f"{name}.lua" for name in ("bare_post", "post", "get", "plain")}
    scripts["bare_post"].write_text(BARE_POST_LUA)
    scripts["post"].write_text(vb.POST_LUA)
    scripts["get"].write_text(GET_LUA)
    scripts["plain"].write_text(PLAIN_LUA)
    servers = RUNNING
    pg_names: list[str | None] = []
    try:
        bare_db = work / "bare.sqlite"
        prefill_bare(bare_db)
        bare_pg_url, bare_pg = bare_postgres()
        pg_names.append(bare_pg)
        hello = Server(
            "hello", uvicorn("bench.bare_apps:app", 8301), 8301, {"BARE_APP": "hello", "PYTHONPATH": str(ROOT)}
        )
        kept = Server(
            "kept",
            uvicorn("bench.bare_apps:app", 8302),
            8302,
            {"BARE_APP": "kept", "BARE_DB": str(bare_db), "PYTHONPATH": str(ROOT)},
        )
        pginsert = Server(
            "pginsert",
            uvicorn("bench.bare_apps:app", 8303),
            8303,
            {"BARE_APP": "pginsert", "BARE_PG": bare_pg_url, "PYTHONPATH": str(ROOT)},
        )
        poc = None
        if POC_DIR.exists() and not args.no_poc:
            poc_db = work / "poc.sqlite"
            prefill_bare(poc_db)
            poc = Server(
                "poc",
                uvicorn("app:app", 8304, app_dir=POC_DIR),
                8304,
                {"POC_ENGINE": "kept", "POC_DB": str(poc_db)},
                cwd=work,
            )
        before = None
        if args.pages_before:
            before_root = work / "before"
            before_root.mkdir()
            archive = subprocess.run(["git", "archive", args.pages_before], cwd=ROOT, check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", str(before_root)], input=archive.stdout, check=True)
            r_before, env_before, _, (client_500_before, _other) = rinnalla(
                "sqlite", work, 8313, replay_file, before_root
            )
            before = (r_before, env_before, client_500_before)
        r_sqlite, env_sqlite, _, (client_500, _other) = rinnalla("sqlite", work, 8311, replay_file)
        r_pg, env_pg, pg_name, _ = rinnalla("postgres", work, 8312, replay_file)
        pg_names.append(pg_name)

        fresh, replay = {"BENCH_MODE": "fresh"}, {"BENCH_MODE": "replay"}
        bare_fresh, bare_replay = {"BARE_WORKLOAD": "fresh"}, {"BARE_WORKLOAD": "replay"}
        # (kind, baseline (server, path, script, env) or None, Rinnalla (server, path, script, env), target)
        kinds = [
            (
                "visit POST, SQLite, fresh",
                (kept, "/visits", "bare_post", bare_fresh),
                (r_sqlite, "/api/v1/visits", "post", {**env_sqlite, **fresh}),
                2.0,
            ),
            (
                "visit POST, SQLite, replay",
                (kept, "/visits", "bare_post", bare_replay),
                (r_sqlite, "/api/v1/visits", "post", {**env_sqlite, **replay}),
                2.0,
            ),
            (
                "visit POST, PostgreSQL",
                (pginsert, "/insert", "bare_post", bare_fresh),
                (r_pg, "/api/v1/visits", "post", {**env_pg, **fresh}),
                2.5,
            ),
            ("GET /api/v1/me", (hello, "/", "plain", {}), (r_sqlite, "/api/v1/me", "get", env_sqlite), 2.5),
            ("GET /healthz", (hello, "/", "plain", {}), (r_sqlite, "/healthz", "plain", {}), None),
        ]
        for label, path, target in (
            ("page: home", "/", 3.0),
            ("page: caseload", "/clients", 3.0),
            ("page: visit form", "/visits/new", 3.0),
            ("page: client with 500 visits", f"/clients/{client_500}", 4.0),
        ):
            baseline = None
            if before is not None:
                old_path = path.replace(f"/{client_500}", f"/{before[2]}")
                baseline = (before[0], old_path, "get", before[1])
            kinds.append((label, baseline, (r_sqlite, path, "get", env_sqlite), target))
        if poc is not None:
            kinds[0:0] = [
                ("(proof of concept /visits, fresh)", None, (poc, "/visits", "bare_post", bare_fresh), None),
                ("(proof of concept /visits, replay)", None, (poc, "/visits", "bare_post", bare_replay), None),
            ]
        kinds = [k for k in kinds if args.only.lower() in k[0].lower() or k[0].startswith("(")]
        results: dict[tuple[str, str], list[dict]] = {}
        loads = [os.getloadavg()[0]]
        for round_ in range(args.rounds + 1):  # round 0 warms every server up and is not counted
            for label, base, own, _target in kinds:
                for side, spec in (("base", base), ("own", own)):
                    if spec is None:
                        continue
                    server, path, script, env = spec
                    seconds = 1 if round_ == 0 else args.seconds
                    connections = args.page_connections if label.startswith("page") else args.connections
                    result = measure(server, path, scripts[script], env, seconds, connections)
                    if round_:
                        results.setdefault((label, side), []).append(result)
                        print(
                            f"  round {round_} {label:34} {side:4} {result['rps']:8.0f} req/s  "
                            f"p99 {result['p99']:7.1f} ms  CPU {result['cpu_ms']:.3f} ms  non-2xx {result['errors']}",
                            file=sys.stderr,
                            flush=True,
                        )
            loads.append(os.getloadavg()[0])
        report(kinds, results, args, loads, poc is not None)
    finally:
        for server in servers:
            server.stop()
        for name in pg_names:
            vb.drop_database(name)
        shutil.rmtree(work, ignore_errors=True)


def report(kinds, results, args, loads, with_poc: bool) -> None:
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    print(
        f"\nMachine: {os.cpu_count()} CPUs ({os.uname().release}), shared; load average during the run "
        f"{min(loads):.1f}-{max(loads):.1f}. uvicorn 1 worker on CPU 0, wrk -t1 -c{args.connections} on CPU 1, "
        f"(pages: -c{args.page_connections}), {args.rounds} interleaved rounds x {args.seconds} s, medians.\n"
    )
    print(
        "| request | baseline | req/s | p50 ms | p99 ms | CPU ms/req | Rinnalla req/s | p50 ms | p99 ms | "
        "CPU ms/req | ratio | target | non-2xx |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    poc_cpu = {}
    for label, base, _own, target in kinds:
        own_rows = results[(label, "own")]
        if label.startswith("(proof"):
            poc_cpu["replay" if "replay" in label else "fresh"] = med(own_rows, "cpu_ms")
        base_rows = results.get((label, "base"))
        cells = ["—"] * 4
        ratio = ""
        if base_rows:
            cells = [
                f"{med(base_rows, 'rps'):.0f}",
                f"{med(base_rows, 'p50'):.1f}",
                f"{med(base_rows, 'p99'):.1f}",
                f"{med(base_rows, 'cpu_ms'):.3f}",
            ]
            ratio = f"{med(own_rows, 'cpu_ms') / max(med(base_rows, 'cpu_ms'), 1e-9):.2f}x"
        goal = "" if target is None else (f"<= {target} ms" if label.startswith("page") else f"<= {target}x")
        errors = sum(r["errors"] for r in own_rows) + sum(r["errors"] for r in base_rows or [])
        name = (
            {
                "kept": "bare kept writer",
                "pginsert": "bare Piccolo insert",
                "hello": "bare hello",
                "rinnalla-sqlite-before": f"Rinnalla {args.pages_before}",
            }.get(base[0].label, "")
            if base
            else ""
        )
        print(
            f"| {label} | {name} | {' | '.join(cells)} | {med(own_rows, 'rps'):.0f} | {med(own_rows, 'p50'):.1f} | "
            f"{med(own_rows, 'p99'):.1f} | {med(own_rows, 'cpu_ms'):.3f} | {ratio} | {goal} | {errors} |"
        )
    if ("visit POST, SQLite, fresh", "own") not in results or ("visit POST, SQLite, replay", "own") not in results:
        return
    fresh = statistics.median(r["cpu_ms"] for r in results[("visit POST, SQLite, fresh", "own")])
    replay = statistics.median(r["cpu_ms"] for r in results[("visit POST, SQLite, replay", "own")])
    print(
        f"\nRinnalla visit POST on SQLite: replay {replay:.3f} ms vs fresh {fresh:.3f} ms of CPU "
        f"(target: replay <= fresh)."
    )
    if with_poc and poc_cpu:
        print(
            f"Against the proof of concept itself (issue 21's anchor): fresh {fresh / poc_cpu['fresh']:.2f}x "
            f"({poc_cpu['fresh']:.3f} ms), replay {replay / poc_cpu['replay']:.2f}x ({poc_cpu['replay']:.3f} ms); "
            f"target <= 2.0x."
        )


if __name__ == "__main__":
    main()

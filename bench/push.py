"""Reminders dispatched per second to a loopback push service, against encryption alone.

usage: .venv/bin/python bench/push.py [--reminders 10000] [--pairs 100] [--dispatchers 1,2]
                                      [--databases sqlite,postgres] [--runs 3]

Each reminder goes to a pair, whose two workers have one phone each: 10,000 reminders are 20,000
encrypted pushes. The push service (aiohttp, its own process, pinned to CPU 1) answers 201 at
once and counts each (phone, Topic) it gets, so duplicates would show. A dispatcher is the real
`server.push.dispatcher.dispatch_due` in its own process, set up first and then started together
with the others; its time runs from the start to its last batch recorded (claim, encrypt, POST,
record). The ceiling is `WebPusher.encode` alone (ephemeral ECDH + HKDF + AES-GCM) on one core,
measured in the same run: the issue's target is at least half of it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from visits import database_url, drop_database  # noqa: E402 - the bench's own helpers

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

RECEIVER = r"""
import collections, sys
from aiohttp import web
seen = collections.Counter()
async def push(request):
    await request.read()
    seen[(request.match_info["token"], request.headers.get("Topic"))] += 1
    return web.Response(status=201)
async def report(_app):  # run_app stops on SIGTERM; this runs on the way out
    print(f"{sum(seen.values())} {len(seen)} {sum(n - 1 for n in seen.values())}", flush=True)
app = web.Application()
app.on_cleanup.append(report)
app.router.add_post("/push/{token}", push)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None, backlog=1024)
"""

SEED = r"""
import asyncio, os, sys
from datetime import timedelta
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from server.db.lifecycle import database, migrate
from server.accounts.services import add_team, add_user, add_pair
from server.accounts.tables import Pair
from server.casework.tables import Client
from server.push.subscriptions import save_subscription
from server.push.tables import Reminder
from server.push.vapid import b64url
from server.timeutil import utcnow, local_today

async def main(pairs, reminders, port):
    await migrate()
    async with database():
        await add_team("Bench")
        clients = []
        for n in range(pairs):
            for who in ("a", "b"):
                await add_user(f"{who}{n}@bench.fi", "professional", "bench password 12345", "Bench")
            await add_pair(f"a{n}@bench.fi", f"b{n}@bench.fi")
        for pair in await Pair.select(Pair.id, Pair.team, Pair.first_member, Pair.second_member):
            rows = await Client.insert(Client(team=pair["team"], pair=pair["id"], pseudonym=f"c{pair['id']}",
                                              started_on=local_today(), status_changed_on=local_today()))
            clients.append(rows[0]["id"])
            for user in (pair["first_member"], pair["second_member"]):
                key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
                await save_subscription({"endpoint": f"http://127.0.0.1:{port}/push/u{user}", "p256dh": b64url(key),
                                         "auth": b64url(os.urandom(16))}, "bench", "fi", user_id=user)

async def fill(reminders):
    async with database():
        clients = [row["id"] for row in await Client.select(Client.id, Client.team)]
        team = (await Client.select(Client.team).first())["team"]
        now = utcnow()
        await Reminder.delete().where(Reminder.id > 0)
        rows = [Reminder(dedupe_key=f"bench:{n}", kind="followup", audience="pair", team=team,
                         client=clients[n % len(clients)], event_at=now + timedelta(hours=3), due_at=now,
                         next_attempt_at=now) for n in range(reminders)]
        for start in range(0, len(rows), 1000):
            await Reminder.insert(*rows[start:start + 1000])

if sys.argv[1] == "seed":
    asyncio.run(main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
else:
    asyncio.run(fill(int(sys.argv[2])))
"""

DISPATCHER = r"""
import asyncio, json, sys, time
from server.db.lifecycle import database
from server.push.dispatcher import dispatch_due
from server.push.transport import http_session
from server.push.vapid import authorization, public_key

async def main():
    async with database(), http_session() as session:
        public_key()
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        tally = await dispatch_due(session)
        elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "claimed": tally.claimed, "sent": tally.sent,
                      "deliveries": tally.deliveries, "retried": tally.retried}), flush=True)
asyncio.run(main())
"""

CEILING = r"""
import json, os, sys, time
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import WebPusher
from server.push.vapid import b64url
payload = json.dumps({"title": "Rinnalla-muistutus", "body": "Sinulla on muistutus. Avaa Rinnalla.",
                      "url": "/clients/123", "tag": "r12345"}).encode()
subs = []
for _ in range(256):
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    subs.append({"endpoint": "http://127.0.0.1/push/x", "keys": {"p256dh": b64url(key), "auth": b64url(os.urandom(16))}})
count, started = 0, time.perf_counter()
while time.perf_counter() - started < float(sys.argv[1]):
    WebPusher(subs[count % 256]).encode(payload, "aes128gcm")
    count += 1
print(count / (time.perf_counter() - started))
"""


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1 else []


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ceiling(seconds: float = 3.0) -> float:
    out = subprocess.run(
        [*pinned(0), PY, "-c", CEILING, str(seconds)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def run_dispatchers(count: int, env: dict) -> dict:
    cpus = [0] if count == 1 else [0, 1]
    procs = [
        subprocess.Popen(
            [*pinned(cpus[n % len(cpus)]), PY, "-c", DISPATCHER],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(count)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [json.loads(proc.stdout.readline()) for proc in procs]
    for proc in procs:
        proc.wait(timeout=60)
    return {
        "seconds": max(r["seconds"] for r in results),
        "sent": sum(r["sent"] for r in results),
        "deliveries": sum(r["deliveries"] for r in results),
        "retried": sum(r["retried"] for r in results),
        "split": "/".join(str(r["claimed"]) for r in results),
    }


def bench_database(kind: str, args: argparse.Namespace, encrypt_only: float) -> list[dict]:
    data_dir = tempfile.mkdtemp(prefix=f"rinnalla-bench-push-{kind}-")
    url, pg_name = database_url(kind, data_dir)
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": data_dir,
        "DATABASE_URL": url,
        "RINNALLA_FAST_HASHES": "1",
        "PUSH_ENDPOINT_ALLOWLIST": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }
    rows = []
    try:
        subprocess.run(
            [PY, "-c", SEED, "seed", str(args.pairs), str(args.reminders), str(port)], cwd=ROOT, env=env, check=True
        )
        for dispatchers in args.dispatchers:
            runs = []
            for _run in range(args.runs):
                receiver = subprocess.Popen(
                    [*pinned(1), PY, "-c", RECEIVER, str(port)], env=env, stdout=subprocess.PIPE, text=True
                )
                try:
                    wait_port(port)
                    subprocess.run([PY, "-c", SEED, "fill", str(args.reminders)], cwd=ROOT, env=env, check=True)
                    result = run_dispatchers(dispatchers, env)
                finally:
                    receiver.terminate()
                    got, distinct, duplicates = map(int, receiver.communicate(timeout=30)[0].split())
                runs.append({**result, "received": got, "distinct": distinct, "duplicates": duplicates})
            best = statistics.median_low([r["seconds"] for r in runs])
            run = next(r for r in runs if r["seconds"] == best)
            rate = args.reminders / run["seconds"]
            push_rate = run["deliveries"] / run["seconds"]
            rows.append(
                {
                    "database": kind,
                    "dispatchers": dispatchers,
                    "reminders/s": rate,
                    "pushes/s": push_rate,
                    "÷ ceiling": push_rate / encrypt_only,
                    "runs pushes/s": " / ".join(f"{r['deliveries'] / r['seconds']:.0f}" for r in runs),
                    "sent": run["sent"],
                    "received": run["received"],
                    "duplicates": run["duplicates"],
                    "claimed split": run["split"],
                }
            )
    finally:
        drop_database(pg_name)
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def wait_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("push receiver did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--dispatchers", default="1,2", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--databases", default="sqlite,postgres", type=lambda s: s.split(","))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    encrypt_only = ceiling()
    print(f"Encryption alone (WebPusher.encode, aes128gcm, one core): {encrypt_only:,.0f} pushes/s\n")
    rows = [row for kind in args.databases for row in bench_database(kind, args, encrypt_only)]
    header = list(rows[0])
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" ---: " if isinstance(rows[0][h], (int, float)) else " --- " for h in header) + "|")
    for row in rows:
        print(
            "| "
            + " | ".join(
                f"{v:,.0f}" if isinstance(v, float) and k != "÷ ceiling" else f"{v:.2f}" if k == "÷ ceiling" else str(v)
                for k, v in row.items()
            )
            + " |"
        )
    print(f"\n{args.reminders:,} reminders × 2 phones each; median of {args.runs} runs; {os.cpu_count()} CPUs.")


if __name__ == "__main__":
    main()

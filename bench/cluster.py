"""Several processes on PostgreSQL: 2 web and 2 worker processes side by side.

usage: .venv/bin/python bench/cluster.py [--phones 40] [--seconds 20] [--reminders 5000]

Phones (asyncio tasks, each with its own login) send visits to the two web processes in turn
(a round-robin balancer on loopback), each visit twice: once to one process and again, as a
phone's queue would after a lost answer, to the other. Meanwhile two `rinnalla worker`
processes send the reminders that are due to a loopback push service that counts what it gets.
The table gives throughput and latency of the visit POSTs, and the counts that must hold:
visits stored = distinct visits sent, reminders sent = due, no duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from push import RECEIVER, SEED, free_port, wait_port  # noqa: E402 - the bench's own helpers
from visits import database_url, drop_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PASSWORD = "bench password 12345"


async def phone(
    number: int, ports: list[int], client_id: int, seconds: float, latencies: list[float], sent: set[str]
) -> None:
    email = f"a{number % 100}@bench.fi"
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) for port in ports]
    try:
        page = await clients[0].get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        response = await clients[0].post("/login", data={"email": email, "password": PASSWORD, "_csrf_token": token})
        assert response.status_code == 303, response.text[:200]
        for other in clients[1:]:
            other.cookies.update(clients[0].cookies)  # one phone, one session, whichever process answers
        csrf = clients[0].cookies["csrftoken"]
        deadline = time.monotonic() + seconds
        turn = number
        while time.monotonic() < deadline:
            visit = {
                "id": str(uuid.uuid4()),
                "anonymous_count": 1,
                "kind": "street",
                "occurred_at": datetime.now(UTC).isoformat(),
            }
            for attempt in range(2):  # sent, then resent to the other process
                http = clients[(turn + attempt) % len(clients)]
                started = time.perf_counter()
                answer = await http.post("/api/v1/visits", json=visit, headers={"x-csrftoken": csrf})
                latencies.append((time.perf_counter() - started) * 1000)
                assert answer.status_code in (200, 201), answer.text[:200]
            sent.add(visit["id"])
            turn += 1
    finally:
        for http in clients:
            await http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--reminders", type=int, default=5000)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="rinnalla-bench-cluster-")
    url, pg_name = database_url("postgres", data_dir)
    push_port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": data_dir,
        "DATABASE_URL": url,
        "RINNALLA_FAST_HASHES": "1",
        "PUSH_ENDPOINT_ALLOWLIST": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
        "LOG_FILE": f"{data_dir}/cluster.log",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
    }  # every phone logs in from 127.0.0.1
    processes: list[subprocess.Popen] = []
    try:
        subprocess.run(
            [PY, "-c", SEED, "seed", "50", str(args.reminders), str(push_port)], cwd=ROOT, env=env, check=True
        )
        receiver = subprocess.Popen([PY, "-c", RECEIVER, str(push_port)], env=env, stdout=subprocess.PIPE, text=True)
        wait_port(push_port)
        ports = [free_port(), free_port()]
        for port in ports:
            processes.append(
                subprocess.Popen(
                    [PY, "-m", "server.cli", "serve", "--port", str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in ports:
            wait_port(port)
        subprocess.run([PY, "-c", SEED, "fill", str(args.reminders)], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        workers = [
            subprocess.Popen(
                [PY, "-m", "server.cli", "worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        processes += workers
        latencies: list[float] = []
        sent: set[str] = set()

        async def drive() -> None:
            await asyncio.gather(*(phone(n, ports, 0, args.seconds, latencies, sent) for n in range(args.phones)))

        asyncio.run(drive())
        elapsed = time.perf_counter() - started
        stored, reminder_states = asyncio.run(_counts(url))
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=120)
        receiver.terminate()
        got, distinct, duplicates = map(int, receiver.communicate(timeout=30)[0].split())
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)
        drop_database(pg_name)
        shutil.rmtree(data_dir, ignore_errors=True)
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    print(
        f"2 web + 2 worker processes on PostgreSQL, {args.phones} phones for {args.seconds:.0f} s, "
        f"{args.reminders:,} reminders due; {os.cpu_count()} CPUs.\n"
    )
    print(
        "| visit POSTs | req/s | p50 ms | p99 ms | visits sent (distinct) | visits stored | reminders due | "
        "reminders sent | pushes received | duplicate pushes |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {len(latencies):,} | {len(latencies) / args.seconds:,.0f} | {statistics.median(latencies):.1f} | "
        f"{pick(0.99):.1f} | {len(sent):,} | {stored:,} | {args.reminders:,} | "
        f"{reminder_states.get('sent', 0):,} | {got:,} | {duplicates} |"
    )
    print(f"\n(reminders by state: {reminder_states}; all sent after {elapsed:.1f} s)")


async def _counts(url: str) -> tuple[int, dict[str, int]]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        # The workers may still be sending: wait (polling the database) until nothing is due.
        for _ in range(600):
            left = await connection.fetchval(
                "SELECT COUNT(*) FROM reminder WHERE kind = 'followup' AND state IN ('pending', 'sending')"
            )
            if not left:
                break
            await asyncio.sleep(0.5)
        stored = await connection.fetchval("SELECT COUNT(*) FROM visit")
        states = {
            r["state"]: r["n"]
            for r in await connection.fetch(  # the bench's own, not supervision's
                "SELECT state, COUNT(*) AS n FROM reminder WHERE kind = 'followup' GROUP BY state"
            )
        }
        return stored, states
    finally:
        await connection.close()


if __name__ == "__main__":
    main()

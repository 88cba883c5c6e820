"""schemathesis against the app's own OpenAPI description, on a live server, logged in.

Every operation of /schema/openapi.json gets a bounded number of generated requests (paths,
query strings; bodies are read by hand and refused when absent), once as a worker and once as a
lead. The run must give 0 answers of 500 and no answer that breaks the schema it claims. Its
figures (operations, requests, failures) are printed in pytest's summary (without xdist) and
written to .test-data/schemathesis-<database>.json, to be quoted.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from pathlib import Path

import anyio
import httpx
import pytest
import requests
import schemathesis  # the `test` extra: a missing package fails here, it is never skipped quietly
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.casework import api, make_client
from tests.support.fixtures import login
from tests.support.live_server import live_server

pytestmark = pytest.mark.anyio

# Enough to reach each parameter's edge cases on this slow machine in about a minute; a deeper
# run: RINNALLA_SCHEMA_EXAMPLES=200 pytest tests/test_api_schema.py.
EXAMPLES_PER_OPERATION = int(os.environ.get("RINNALLA_SCHEMA_EXAMPLES", "20"))
# These end the session the run is using: the rest of the run would only meet the login page.
SESSION_ENDERS = {("POST", "/logout"), ("POST", "/settings/sessions/{session_id}/end")}
FIGURES_FILE = Path(".test-data") / f"schemathesis-{os.environ.get('RINNALLA_TEST_DB', 'sqlite')}.json"


class FiguresInSummary:
    """Puts the run's figures at the end of pytest's output, where they can be quoted."""

    def __init__(self, figures: dict):
        self.figures = figures

    def pytest_terminal_summary(self, terminalreporter):
        f = self.figures
        terminalreporter.write_line(
            f"schemathesis: {f['operations']} operations, {f['requests']} requests, {f['failures']} failures, "
            f"{f['answers_500']} answers of 500 ({f['examples_per_operation']} examples per operation, "
            f"{f['seconds']} s, as {' and '.join(f['roles'])}; statuses {f['statuses']}; figures in {FIGURES_FILE})"
        )


def fuzz(schema_json: dict, base_url: str, cookies: dict, csrf: str) -> dict:
    """Runs in a thread (schemathesis calls with requests, synchronously)."""
    schema = schemathesis.openapi.from_dict(schema_json)
    session = requests.Session()
    session.cookies.update(cookies)
    session.headers["x-csrftoken"] = csrf
    statuses: Counter = Counter()
    failures: list[str] = []
    operations = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SESSION_ENDERS:
            continue
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(base_url=base_url, session=session, allow_redirects=False, timeout=30)
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except (Exception, BaseExceptionGroup) as found:  # recorded; the test fails on them below
                for problem in getattr(found, "exceptions", None) or [found]:
                    failures.append(
                        f"{operation.method.upper()} {operation.path} -> {response.status_code}: "  # noqa: B023 - run() is called in this iteration
                        f"{type(problem).__name__}: {str(problem).splitlines()[0][:160]}"
                    )

        run()
    return {
        "operations": operations,
        "requests": sum(statuses.values()),
        "failures": len(failures),
        "answers_500": statuses.get(500, 0),
        "statuses": dict(sorted(statuses.items())),
        "examples_per_operation": EXAMPLES_PER_OPERATION,
        "seconds": round(time.monotonic() - started, 1),
        "failure_lines": sorted(set(failures))[:50],
    }


def combined(runs: list[dict]) -> dict:
    statuses: Counter = Counter()
    for run in runs:
        statuses.update(run["statuses"])
    return {
        "operations": runs[0]["operations"],
        "requests": sum(r["requests"] for r in runs),
        "failures": sum(r["failures"] for r in runs),
        "answers_500": sum(r["answers_500"] for r in runs),
        "statuses": dict(sorted(statuses.items())),
        "examples_per_operation": EXAMPLES_PER_OPERATION,
        "seconds": round(sum(r["seconds"] for r in runs), 1),
        "roles": [r["role"] for r in runs],
        "failure_lines": [line for r in runs for line in r["failure_lines"]],
    }


async def test_the_api_answers_every_generated_request_without_500_and_as_described(world, request):
    own = await make_client(world.team_a, "Kallion Kaisa")
    runs = []
    async with live_server() as (base_url, _process):
        # A worker, then a lead: the lead's routes answer a worker 403 and would go untested. Both
        # log in first: the run's own POST /login attempts soon make the login throttle answer 429.
        sessions = [(role, httpx.AsyncClient(base_url=base_url)) for role in ("professional", "lead")]
        for (_role, http), email in zip(sessions, ("alice@example.org", "lena@example.org"), strict=False):
            await login(http, email)
            # Something to find: a visit, so the ids the run guesses sometimes exist.
            visit = await api(
                http,
                "POST",
                "/api/v1/visits",
                {
                    "id": str(uuid.uuid4()),
                    "client_id": own,
                    "kind": "street",
                    "occurred_at": "2026-11-23T10:15:00+02:00",
                },
            )
            assert visit.status_code == 201, visit.text
        for role, http in sessions:
            schema_json = (await http.get("/schema/openapi.json")).json()
            figures = await anyio.to_thread.run_sync(
                fuzz, schema_json, base_url, dict(http.cookies), http.cookies["csrftoken"]
            )
            # The run tested the app, not its login page: the session is still there.
            assert (await http.get("/api/v1/me")).status_code == 200
            await http.aclose()
            runs.append({**figures, "role": role})
    figures = combined(runs)
    request.config.pluginmanager.register(FiguresInSummary(figures), "schemathesis-figures")
    FIGURES_FILE.parent.mkdir(exist_ok=True)
    FIGURES_FILE.write_text(json.dumps(figures, indent=2) + "\n")
    assert figures["operations"] >= 100 and figures["requests"] >= 2 * figures["operations"]
    assert figures["answers_500"] == 0, figures["failure_lines"]
    assert figures["failures"] == 0, figures["failure_lines"]

"""What the offline app costs a phone: bytes, load times on slow 3G, and draining a queue.

    DATA_DIR=/tmp/bench-offline .venv/bin/python bench/offline.py [--queue 500] [--runs 3]

Starts `rinnalla serve` on a fresh SQLite database with the demo data, drives Debian's
Chromium (Playwright) and prints tables:
- bytes of the visit form page with every file it loads, raw and gzipped (level 6);
- first load (nothing cached) and repeat load (service worker) of the visit form with the
  network throttled to DevTools' "Slow 3G" (2 s latency, 400 kbit/s each way). Each load gives
  three moments, counted from the start of the navigation: *first paint* (the browser's first
  contentful paint: the form is on screen), *form usable* (the page script has enhanced the
  form, `html[data-forms-ready]`: a visit typed now goes to the phone's queue) and *load event*
  (every file of the page fetched; the figure earlier runs reported). Also the requests the
  first load made and the bytes it moved (as sent, compressed where the server compresses);
- the time to send a queue of N waiting visits (sealed in IndexedDB, as the app keeps them)
  once the network is back, and the visits the server then holds;
- Lighthouse scores, when the `lighthouse` command is installed (npm), else a note.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from tests.support.browser import CHROMIUM, FLAGS, PHONE  # noqa: E402

EMAIL, PASSWORD = "anna@demo.rinnalla.fi", "rinnalla-demo-2026"
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 400 * 1024 / 8, "uploadThroughput": 400 * 1024 / 8}

# Fills the phone's queue the way the visit form does (the app's own modules, its own key).
FILL_QUEUE = """async ([count, assetBase]) => {
  const { enqueue } = await import(assetBase + "js/outbox.js");
  const { keysOf } = await import(assetBase + "js/seal.js");
  const userId = Number(document.querySelector('meta[name="rinnalla-user"]').content);
  const keys = await keysOf(userId);
  const when = new Date(Date.now() - 3600 * 1000);
  when.setMinutes(when.getMinutes() - when.getTimezoneOffset());
  for (let i = 0; i < count; i++) {
    await enqueue(userId, keys, { id: crypto.randomUUID(), anonymous_count: String(1 + (i % 3)), kind: "street",
      occurred_at: when.toISOString().slice(0, 16), place: "Bench " + i, themes: ["housing"], actions: [],
      workers: [], together_with_client: false });
  }
  return userId;
}"""

DRAIN = """async ([userId, assetBase]) => {
  const { drain } = await import(assetBase + "js/outbox.js");
  const { tokens } = await import(assetBase + "js/session.js");
  const { unlock } = await import(assetBase + "js/seal.js");
  await unlock(userId, await tokens.current()); // as the page does at start-up: the content opens only then
  const started = performance.now();
  let sent = 0;
  for (;;) {
    const summary = await drain(userId, tokens);
    sent += summary.sent;
    if (!summary.sent) break;
  }
  return { sent, ms: performance.now() - started };
}"""


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{data_dir / 'bench.sqlite'}"}
    env.pop("RINNALLA_FAST_HASHES", None)
    subprocess.run([sys.executable, "-m", "server.cli", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "server.cli", "demo"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


async def log_in(page, base: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#email", EMAIL)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(f"{base}/")


async def page_bytes(browser, base: str) -> list[tuple[str, int, int]]:
    context = await browser.new_context(**PHONE, service_workers="block")
    page = await context.new_page()
    await log_in(page, base)
    bodies: list[tuple[str, bytes]] = []

    async def keep(response):
        if response.request.resource_type in {"document", "stylesheet", "script"}:
            bodies.append((response.url.removeprefix(base), await response.body()))

    page.on("response", keep)
    await page.goto(f"{base}/visits/new", wait_until="networkidle")
    await context.close()
    return [(url, len(body), len(gzip.compress(body, 6))) for url, body in bodies]


# Notes the moment the page script marks the forms ready, in the page's own clock (from the
# navigation's start), so the figure does not include Playwright's polling.
FORMS_READY_CLOCK = """
new MutationObserver((changes, observer) => {
  if (document.documentElement?.dataset.formsReady) {
    window.__formsReadyAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-forms-ready"] });
"""


async def page_html(browser, base: str) -> bytes:
    context = await browser.new_context(**PHONE, service_workers="block")
    page = await context.new_page()
    await log_in(page, base)
    response = await page.goto(f"{base}/visits/new")
    body = await response.body()
    await context.close()
    return body


def gzip_levels(html: bytes, repeats: int = 300) -> str:
    """What compressing the page costs the server per response, level by level (CPU time)."""
    rows = ["\n| gzip level (visit form page) | bytes | CPU ms per page |", "|---|---:|---:|"]
    for level in (1, 4, 6, 9):
        started = time.process_time()
        for _ in range(repeats):
            packed = gzip.compress(html, level, mtime=0)
        rows.append(f"| {level} | {len(packed):,} | {(time.process_time() - started) * 1000 / repeats:.3f} |")
    return "\n".join([f"\nvisit form page: {len(html):,} bytes of HTML", *rows])


async def load_moments(page) -> dict[str, float]:
    """First contentful paint, forms usable and load event, ms from the navigation's start."""
    await page.locator("html[data-forms-ready]").wait_for(state="attached", timeout=120000)
    await page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0", timeout=120000)
    return await page.evaluate(
        """() => ({
        paint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
        usable: window.__formsReadyAt ?? NaN,
        load: performance.getEntriesByType("navigation")[0].loadEventEnd,
      })"""
    )


async def slow_3g_loads(browser, base: str) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """First load, repeat load and a load with no network of the visit form.

    DevTools' throttling applies to the page, not to the service worker's own fetches: the
    repeat load's page (network first, through the worker) travels unthrottled, so on a real
    Slow 3G network it costs one more round trip (2 s) and the page's bytes than measured here.
    """
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    await log_in(page, base)  # the session cookie only: then a fresh context with nothing cached
    cookies = await context.cookies()
    await context.close()
    context = await browser.new_context(**PHONE)
    await context.add_cookies(cookies)
    await context.add_init_script(FORMS_READY_CLOCK)
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    moved: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda event: moved.__setitem__(event["requestId"], event["encodedDataLength"]))
    await page.goto(f"{base}/visits/new")
    first = await load_moments(page)
    first |= {"requests": len(moved), "bytes": sum(moved.values())}
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await page.locator("html[data-offline-ready]").wait_for(state="attached", timeout=120000)
    await page.goto(f"{base}/visits/new")
    repeat = await load_moments(page)
    # With no network at all: the worker answers with the release's shell page and files.
    await context.set_offline(True)
    await page.goto(f"{base}/visits/new")
    offline = await load_moments(page)
    await context.close()
    return first, repeat, offline


async def drain_queue(browser, base: str, size: int) -> tuple[int, float]:
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    await log_in(page, base)
    await page.locator("html[data-offline-ready]").wait_for(state="attached")
    asset_base = (
        (await page.evaluate("document.querySelector('script[type=module]').src"))
        .removesuffix("js/app.js")
        .removeprefix(base)
    )
    await context.route("**/api/v1/visits", lambda route: route.abort("internetdisconnected"))
    user_id = await page.evaluate(FILL_QUEUE, [size, asset_base])
    await context.unroute("**/api/v1/visits")
    result = await page.evaluate(DRAIN, [user_id, asset_base])
    await context.close()
    return result["sent"], result["ms"]


LIGHTHOUSE_VERSION = "13.5.0"
LOCAL_NODE = ROOT / "bench" / ".node"


def lighthouse_command() -> str | None:
    """Lighthouse from PATH, or installed once under bench/.node (npm) where the registry answers."""
    local = LOCAL_NODE / "node_modules" / ".bin" / "lighthouse"
    if shutil.which("lighthouse"):
        return shutil.which("lighthouse")
    if not local.exists() and shutil.which("npm"):
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(LOCAL_NODE),
                f"lighthouse@{LIGHTHOUSE_VERSION}",
                "--no-audit",
                "--no-fund",
            ],
            check=False,
            capture_output=True,
            timeout=600,
        )
    return str(local) if local.exists() else None


def lighthouse(base: str, cookie_header: str) -> str:
    command = lighthouse_command()
    if not command:
        return "lighthouse: not available here (no npm or no registry); scores not measured"
    with tempfile.TemporaryDirectory() as out:
        report = Path(out) / "report.json"
        subprocess.run(
            [
                command,
                f"{base}/visits/new",
                "--quiet",
                "--output=json",
                f"--output-path={report}",
                f"--chrome-path={CHROMIUM}",
                "--chrome-flags=--headless=new --no-sandbox",
                f"--extra-headers={json.dumps({'Cookie': cookie_header})}",
                "--form-factor=mobile",
            ],
            check=False,
            capture_output=True,
            timeout=300,
        )
        if not report.exists():
            return "lighthouse: did not produce a report"
        categories = json.loads(report.read_text())["categories"]
        return " · ".join(f"{name} {round((cat['score'] or 0) * 100)}" for name, cat in categories.items())


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--no-lighthouse", action="store_true", help="skip the Lighthouse scores")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("DATA_DIR") or tempfile.mkdtemp(prefix="bench-offline-"))
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    server = start_server(data_dir, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            sizes = await page_bytes(browser, base)
            print("\n| visit form and its files | bytes | gzipped |\n|---|---:|---:|")
            for url, raw, packed in sizes:
                name = re.sub(r"^/assets/\w+/", "", url)  # the release hash says nothing here
                print(f"| `{name}` | {raw:,} | {packed:,} |")
            print(f"| **total** | **{sum(s[1] for s in sizes):,}** | **{sum(s[2] for s in sizes):,}** |")
            print(gzip_levels(await page_html(browser, base)))

            loads = [await slow_3g_loads(browser, base) for _ in range(args.runs)]
            first = [load[0] for load in loads]
            print(
                f"\nfirst load: {statistics.median(f['requests'] for f in first):.0f} requests, "
                f"{statistics.median(f['bytes'] for f in first):,.0f} bytes on the wire (median of {args.runs})"
            )
            print(f"\n| visit form on Slow 3G ({args.runs} runs) | median ms | min | max |\n|---|---:|---:|---:|")
            for label, index, moment in (
                ("first load: first paint", 0, "paint"),
                ("first load: form usable", 0, "usable"),
                ("first load: load event", 0, "load"),
                ("repeat load (service worker): first paint", 1, "paint"),
                ("repeat load (service worker): form usable", 1, "usable"),
                ("repeat load (service worker): load event", 1, "load"),
                ("no network (service worker): first paint", 2, "paint"),
                ("no network (service worker): form usable", 2, "usable"),
            ):
                values = [load[index][moment] for load in loads]
                print(f"| {label} | {statistics.median(values):,.0f} | {min(values):,.0f} | {max(values):,.0f} |")

            print(f"\n| draining {args.queue} waiting visits | sent | seconds | visits/s |\n|---|---:|---:|---:|")
            for run in range(args.runs):
                sent, ms = await drain_queue(browser, base, args.queue)
                print(f"| run {run + 1} | {sent} | {ms / 1000:.2f} | {sent / (ms / 1000):.0f} |")
            await browser.close()
        with httpx.Client(base_url=base) as http:
            http.get("/login")
            http.post("/login", data={"email": EMAIL, "password": PASSWORD, "_csrf_token": http.cookies["csrftoken"]})
            stored = http.get("/api/v1/visits", params={"limit": 1}).json()["total"]
            cookie_header = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
        print(f"\nvisits on the server after the drains (demo data included): {stored:,}")
        if not args.no_lighthouse:
            print(lighthouse(base, cookie_header))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())

"""The network switch itself: a real upstream HTTP server, httpx, raw sockets and real Chromium.

The upstream is a small standard-library server that records what reached it, so every test
can check the proxy's claims against what the server really received.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import httpx
import pytest

from tests.support.browser import PHONE, chromium
from tests.support.network import NetworkSwitch, canned_response, parse_request_head, with_connection_close

pytestmark = pytest.mark.anyio

FAST = 3.0  # seconds: a network error must show well before any browser or client timeout

PAGE = b"<!doctype html><html><head><title>switch</title></head><body>up</body></html>"
# Passes every fetch through, as an offline-first app's worker does before it falls back to a queue.
SERVICE_WORKER = b"""
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => event.respondWith(fetch(event.request)));
"""


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    """What reached the real server, and a way to hold one request open (GET /hold)."""

    base_url: str = ""
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def count(self, method: str, path_prefix: str = "/") -> int:
        with self.lock:
            return sum(1 for s in self.seen if s.method == method and s.path.startswith(path_prefix))

    def last(self) -> Seen:
        with self.lock:
            return self.seen[-1]


def make_handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive by default: the proxy must still close

        def log_message(self, *args: object) -> None:
            pass

        def record(self) -> bytes:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            with upstream.lock:
                upstream.seen.append(Seen(self.command, self.path, headers, body))
            return body

        def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self.record()
            if self.path == "/hold":
                upstream.held.set()
                upstream.release.wait(30)
            if self.path == "/":
                self.reply(200, PAGE, "text/html; charset=utf-8")
            elif self.path == "/sw.js":
                self.reply(200, SERVICE_WORKER, "text/javascript")
            else:
                self.reply(200, json.dumps({"path": self.path}).encode())

        def do_POST(self) -> None:
            body = self.record()
            if self.path == "/hold":
                upstream.held.set()
                upstream.release.wait(30)
            self.reply(201, json.dumps({"stored": body.decode()}).encode())

    return Handler


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    state = Upstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def net(upstream: Upstream) -> Iterator[NetworkSwitch]:
    with NetworkSwitch(upstream.base_url) as switch:
        yield switch
        assert switch.errors == []  # the proxy's own bugs would otherwise only show as odd failures


def fresh_client(net: NetworkSwitch) -> httpx.Client:
    return httpx.Client(base_url=net.base_url, timeout=10)


# -- HTTP framing ------------------------------------------------------------------------------------


def test_request_heads_are_parsed_for_method_target_and_length():
    request = parse_request_head(b"POST /api/v1/visits?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12")
    assert (request.method, request.target, request.content_length, request.chunked) == (
        "POST",
        "/api/v1/visits?x=1",
        12,
        False,
    )
    assert parse_request_head(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked").chunked


def test_connection_headers_are_replaced_by_close():
    head = b"GET / HTTP/1.1\r\nHost: a:1\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX: y"
    assert with_connection_close(head) == b"GET / HTTP/1.1\r\nHost: a:1\r\nX: y\r\nConnection: close\r\n\r\n"


def test_canned_responses_are_complete_json_responses():
    head, body = canned_response(503, "down").split(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b"Connection: close" in head and f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body)["error"] == "down"


def test_upstream_is_a_url_or_a_host_and_port(upstream: Upstream):
    host, port = upstream.base_url.removeprefix("http://").split(":")
    assert NetworkSwitch(upstream.base_url).upstream == NetworkSwitch(host, int(port)).upstream == (host, int(port))
    with pytest.raises(ValueError):
        NetworkSwitch("127.0.0.1:8000")


# -- forwarding -----------------------------------------------------------------------------------------


def test_requests_pass_through_unchanged_except_for_connection_close(net: NetworkSwitch, upstream: Upstream):
    with fresh_client(net) as http:
        got = http.get("/api/v1/things?page=2")
        posted = http.post("/api/v1/visits", json={"note": "käynti"})
    assert got.status_code == 200 and got.json() == {"path": "/api/v1/things?page=2"}
    assert got.headers["connection"] == "close"  # the proxy closes after each response
    assert posted.status_code == 201 and json.loads(posted.json()["stored"]) == {"note": "käynti"}
    last = upstream.last()
    assert last.headers["host"] == net.base_url.removeprefix("http://")  # Host passed unchanged
    assert last.headers["connection"] == "close"
    assert upstream.count("POST", "/api/v1/visits") == 1
    assert net.requests_seen("POST", "/api/v1/visits") == 1
    assert net.requests_seen("GET", "/api/v1/things") == 1
    assert net.requests_seen() == 2


def test_chunked_request_bodies_fail_clearly(net: NetworkSwitch, upstream: Upstream):
    with fresh_client(net) as http:
        response = http.post("/api/v1/visits", content=iter([b"part one", b"part two"]))  # chunked
    assert response.status_code == 501 and "chunked" in response.json()["error"]
    assert upstream.count("POST") == 0


# -- offline ------------------------------------------------------------------------------------------


def test_going_offline_resets_idle_connections_at_once(net: NetworkSwitch):
    with socket.create_connection(("127.0.0.1", net.port), timeout=FAST) as idle:
        with fresh_client(net) as http:
            assert http.get("/ping").status_code == 200  # the proxy is surely serving `idle` by now
        net.go_offline()
        with pytest.raises(ConnectionResetError):
            idle.recv(1)  # reset already: recv neither waits nor sees a polite end of stream


def request_in_thread(net: NetworkSwitch, method: str, path: str, **kwargs) -> tuple[list, threading.Event]:
    """Sends one request from a thread; its response or exception lands in the list, then the event."""
    outcome: list[BaseException | httpx.Response] = []
    done = threading.Event()

    def call() -> None:
        try:
            with fresh_client(net) as http:
                outcome.append(http.request(method, path, **kwargs))
        except BaseException as exc:
            outcome.append(exc)
        finally:
            done.set()

    threading.Thread(target=call, daemon=True).start()
    return outcome, done


def test_going_offline_kills_a_request_in_flight(net: NetworkSwitch, upstream: Upstream):
    outcome, done = request_in_thread(net, "GET", "/hold")
    assert upstream.held.wait(FAST)
    net.go_offline()
    assert done.wait(FAST), "the client still waits although its connection was killed"
    assert isinstance(outcome[0], httpx.TransportError), outcome


def test_offline_refuses_new_connections_until_online_again(net: NetworkSwitch, upstream: Upstream):
    net.go_offline()
    assert net.offline
    started = time.monotonic()
    with fresh_client(net) as http, pytest.raises(httpx.TransportError):
        http.post("/api/v1/visits", json={})
    assert time.monotonic() - started < FAST
    with pytest.raises(ConnectionResetError):  # on connect, send or receive, whichever comes first
        with socket.create_connection(("127.0.0.1", net.port), timeout=FAST) as fresh:
            fresh.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            fresh.recv(1)
    assert upstream.count("POST") == 0 and net.requests_seen() == 0

    net.go_online()
    with fresh_client(net) as http:
        assert http.post("/api/v1/visits", json={}).status_code == 201
    assert upstream.count("POST") == 1


# -- one-shot faults -------------------------------------------------------------------------------------


def test_a_cut_request_is_stored_upstream_but_the_client_gets_no_answer(net: NetworkSwitch, upstream: Upstream):
    cut = net.cut_response_once("/api/v1/visits")
    with fresh_client(net) as http:
        assert http.get("/api/v1/visits").status_code == 200  # a GET is not the POST to cut
        assert not cut.is_set()
        with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
            http.post("/api/v1/visits", json={"n": 1})
        assert cut.is_set()
        assert upstream.count("POST", "/api/v1/visits") == 1  # the server has it all the same
        assert upstream.last().body == b'{"n":1}'
        assert http.post("/api/v1/visits", json={"n": 2}).status_code == 201  # exactly once
    assert upstream.count("POST", "/api/v1/visits") == 2
    assert net.requests_seen("POST", "/api/v1/visits") == 2


def test_a_cut_waits_until_the_server_has_answered(net: NetworkSwitch, upstream: Upstream):
    cut = net.cut_response_once("/hold")
    outcome, done = request_in_thread(net, "POST", "/hold", json={})
    assert upstream.held.wait(FAST)
    # The server is still busy with the request: the phone must not have heard anything yet,
    # else a test could look in the database before the server wrote to it.
    assert not cut.is_set() and not done.is_set()
    upstream.release.set()
    assert cut.wait(FAST) and done.wait(FAST)
    assert isinstance(outcome[0], httpx.RemoteProtocolError), outcome


def test_a_failed_request_is_answered_by_the_proxy_and_never_forwarded(net: NetworkSwitch, upstream: Upstream):
    failed = net.fail_once("/api/v1/visits", status=503)
    with fresh_client(net) as http:
        first = http.post("/api/v1/visits", json={"n": 1})
        assert first.status_code == 503 and first.headers["content-type"] == "application/json"
        assert first.headers["connection"] == "close" and "error" in first.json()
        assert failed.is_set() and upstream.count("POST") == 0
        assert http.post("/api/v1/visits", json={"n": 2}).status_code == 201  # exactly once
    assert upstream.count("POST") == 1
    assert net.requests_seen("POST", "/api/v1/visits") == 2


async def test_waiting_for_a_cut_does_not_block_the_event_loop(net: NetworkSwitch, upstream: Upstream):
    net.cut_response_once("/api/v1/visits")
    async with httpx.AsyncClient(base_url=net.base_url, timeout=10) as http, anyio.create_task_group() as tasks:
        tasks.start_soon(net.wait_cut, FAST)  # waits while the same loop sends the request below
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/api/v1/visits", json={})
    assert upstream.count("POST") == 1


async def test_waiting_for_a_cut_that_never_comes_times_out(net: NetworkSwitch):
    net.cut_response_once("/api/v1/visits")
    with pytest.raises(TimeoutError, match="no request was cut"):
        await net.wait_cut(timeout=0.05)


# -- real Chromium ------------------------------------------------------------------------------------------

FETCH = """async ([path, method]) => {
    const started = performance.now();
    try {
        const response = await fetch(path, {method, headers: {"Content-Type": "application/json"},
                                            body: method === "POST" ? JSON.stringify({at: started}) : undefined});
        return {ok: true, status: response.status, ms: performance.now() - started};
    } catch (error) {
        return {ok: false, error: error.name, ms: performance.now() - started};
    }
}"""


def assert_rejected_fast(result: dict) -> None:
    assert result["ok"] is False and result["error"] == "TypeError", result
    assert result["ms"] < FAST * 1000, result


@contextlib.asynccontextmanager
async def phone(net: NetworkSwitch):
    async with chromium() as browser:
        context = await browser.new_context(**PHONE)
        page = await context.new_page()
        await page.goto(f"{net.base_url}/")
        try:
            yield page
        finally:
            await context.close()


async def test_chromium_fetch_fails_fast_offline_and_a_cut_post_still_reaches_the_server(
    net: NetworkSwitch, upstream: Upstream
):
    async with phone(net) as page:
        assert (await page.evaluate(FETCH, ["/api/v1/visits", "POST"]))["status"] == 201

        net.go_offline()
        assert_rejected_fast(await page.evaluate(FETCH, ["/api/v1/visits", "POST"]))
        assert_rejected_fast(await page.evaluate(FETCH, ["/api/v1/things", "GET"]))
        assert upstream.count("POST") == 1

        net.go_online()
        assert (await page.evaluate(FETCH, ["/api/v1/visits", "POST"]))["status"] == 201
        assert upstream.count("POST") == 2

        net.cut_response_once("/api/v1/visits")
        assert_rejected_fast(await page.evaluate(FETCH, ["/api/v1/visits", "POST"]))
        await net.wait_cut(FAST)
        assert upstream.count("POST") == 3  # stored, though the phone never heard back
        assert (await page.evaluate(FETCH, ["/api/v1/visits", "POST"]))["status"] == 201
    assert upstream.count("POST") == 4
    assert net.requests_seen("POST", "/api/v1/visits") == 4  # Chromium did not quietly resend the cut POST


async def test_chromium_service_worker_fetches_fail_offline_too(net: NetworkSwitch, upstream: Upstream):
    async with phone(net) as page:
        await page.evaluate("""async () => {
            await navigator.serviceWorker.register("/sw.js");
            await navigator.serviceWorker.ready;
            if (!navigator.serviceWorker.controller) {
                await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve));
            }
        }""")
        assert (await page.evaluate(FETCH, ["/api/v1/visits", "POST"]))["status"] == 201
        assert upstream.count("POST") == 1

        net.go_offline()
        assert_rejected_fast(await page.evaluate(FETCH, ["/api/v1/visits", "POST"]))
        net.go_online()
        assert (await page.evaluate(FETCH, ["/api/v1/visits", "POST"]))["status"] == 201
    assert upstream.count("POST") == 2

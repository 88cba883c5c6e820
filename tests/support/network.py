"""A switchable loopback proxy between a real browser and a real server: a phone losing its network.

Playwright's `context.set_offline()` does not reliably reach service-worker fetches, so browser
tests point Chromium at this proxy instead of the server and flip the network here:

    with NetworkSwitch(base_url) as net:
        await page.goto(f"{net.base_url}/")
        net.go_offline()                          # every connection dies; new ones are reset
        net.go_online()
        net.cut_response_once("/api/v1/visits")   # the server stores it, the phone never hears back
        net.fail_once("/api/v1/visits", 503)      # the proxy answers 503 itself, once
        net.requests_seen("POST", "/api/v1/visits")

The proxy runs its own asyncio loop in a daemon thread, so it keeps serving while the test's
own loop is blocked awaiting Playwright, whatever loop or thread the test runs in. Every
switch is thread-safe and has taken effect when the call returns.

Each browser request gets a fresh upstream connection with `Connection: close`, and the
response goes back to the browser verbatim except that it too says `Connection: close`, and
the proxy then closes the browser's connection. One request per connection keeps the
framing trivial (upstream EOF ends the response) and leaves no idle keep-alive connection
that could outlive a switch.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from urllib.parse import urlsplit

import anyio

_HEAD_END = b"\r\n\r\n"
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection"}
_READ_SIZE = 64 * 1024
_SWITCH_TIMEOUT = 10.0  # seconds for the proxy loop to carry out a switch; a hang is a bug


@dataclass(frozen=True)
class Request:
    """The parts of a browser's request the proxy needs: where it starts, how long it is."""

    method: str
    target: str
    head: bytes  # request line and headers as received, without the blank line
    content_length: int
    chunked: bool


@dataclass
class _Rule:
    """A one-shot fault: the next request matching method and path prefix gets it."""

    kind: str  # "cut" or "fail"
    method: str | None
    path_prefix: str
    summary: threading.Event  # the switch's "some cut/fail has happened" event, for wait_cut()
    status: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def happened(self) -> None:
        self.done.set()
        self.summary.set()


def matches(seen: tuple[str, str], method: str | None, path_prefix: str) -> bool:
    """Does a (method, target) seen match a method (None: any) and a path prefix?"""
    return (method is None or seen[0] == method.upper()) and seen[1].startswith(path_prefix)


class HttpFramingError(Exception):
    """The browser sent something this proxy deliberately does not handle."""


def parse_request_head(head: bytes) -> Request:
    """Parse a request line and headers (without the final blank line)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpFramingError(f"not an HTTP/1.x request line: {lines[0]!r}")
    headers = _header_dict(lines[1:])
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise HttpFramingError(f"bad Content-Length: {headers['content-length']!r}") from None
    return Request(parts[0], parts[1], head, length, chunked)


def _header_dict(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def with_connection_close(head: bytes) -> bytes:
    """Replace hop-by-hop connection headers with `Connection: close` (head without blank line)."""
    lines = head.split(b"\r\n")
    kept = [lines[0]] + [
        line for line in lines[1:] if line.split(b":", 1)[0].strip().lower().decode("latin-1") not in _HOP_BY_HOP
    ]
    return b"\r\n".join([*kept, b"Connection: close"]) + _HEAD_END


def canned_response(status: int, message: str) -> bytes:
    """A complete HTTP/1.1 response the proxy sends on its own (injected failures, its own errors)."""
    body = json.dumps({"error": message, "status": status, "from": "NetworkSwitch"}).encode()
    head = (
        f"HTTP/1.1 {status} {_reason(status)}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Injected Failure"


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0): the browser sees ERR_CONNECTION_RESET at once, no waiting."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass  # already gone: nothing left to reset
    writer.transport.abort()


class NetworkSwitch:
    """A loopback TCP proxy in front of one upstream HTTP server, with switches for network faults."""

    def __init__(self, upstream: str, port: int | None = None) -> None:
        """`NetworkSwitch("http://127.0.0.1:8000")` or `NetworkSwitch("127.0.0.1", 8000)`."""
        if port is None:
            parts = urlsplit(upstream)
            if parts.scheme != "http" or parts.hostname is None or parts.port is None:
                raise ValueError(f"upstream must look like http://HOST:PORT, not {upstream!r}")
            upstream, port = parts.hostname, parts.port
        self.upstream = (upstream, port)
        self._lock = threading.Lock()  # guards _offline, _rules and _seen across threads
        self._offline = False
        self._rules: list[_Rule] = []
        self._seen: list[tuple[str, str]] = []
        self.errors: list[BaseException] = []  # the proxy's own bugs, kept for tests to assert on
        self._cut = threading.Event()
        self._failed = threading.Event()
        # Only touched on the proxy's loop:
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._listener: socket.socket | None = None

    # -- life cycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("NetworkSwitch is not started")
        return self._listener.getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> NetworkSwitch:
        """Listen on a free loopback port and serve from a daemon thread; returns self."""
        if self._thread is not None:
            raise RuntimeError("NetworkSwitch already started")
        # Bound and listening before start() returns, so base_url works at once and early
        # connections wait in the backlog rather than being refused.
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="NetworkSwitch", daemon=True)
        self._thread.start()
        self._call(self._serve())
        return self

    def close(self) -> None:
        """Stop listening, kill every connection and stop the thread. Safe to call twice."""
        if self._loop is None or self._thread is None:
            return
        try:
            self._call(self._shut_down())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=_SWITCH_TIMEOUT)
            self._loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> NetworkSwitch:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- switches -----------------------------------------------------------------------------

    @property
    def offline(self) -> bool:
        with self._lock:
            return self._offline

    def go_offline(self) -> None:
        """Drop the network: reset every open connection now, and reset each new one on accept.

        Resetting (rather than no longer listening) makes Chromium fail at once with
        ERR_CONNECTION_RESET, so a page's fetch() rejects with a TypeError without a timeout.
        Blocks the calling thread (even an event loop's) only for the few milliseconds the
        proxy's own loop takes to reset the sockets.
        """
        with self._lock:
            self._offline = True
        self._call(self._drop_all_connections())

    def go_online(self) -> None:
        """Forward again. Connections reset while offline stay dead, as on a real phone."""
        with self._lock:
            self._offline = False

    def cut_response_once(self, path_prefix: str, method: str | None = "POST") -> threading.Event:
        """The next matching request reaches the server in full, but its response is thrown away.

        The proxy reads the server's whole response (so the server has finished with the
        request), then closes the browser's connection without a byte: the browser's fetch()
        rejects although the server stored the request. Returns an event set once that has
        happened; `wait_cut()` awaits the same. Later requests pass.
        """
        return self._add_rule(_Rule("cut", method, path_prefix, self._cut))

    def fail_once(self, path_prefix: str, status: int = 500, method: str | None = "POST") -> threading.Event:
        """The next matching request is not forwarded: the proxy answers `status` with a JSON body.

        Returns an event set once that has happened; `wait_failed()` awaits the same.
        """
        return self._add_rule(_Rule("fail", method, path_prefix, self._failed, status))

    async def wait_cut(self, timeout: float = 10.0) -> None:
        """Wait (without blocking the test's loop) until a `cut_response_once` has happened."""
        await self._wait(self._cut, timeout, "no request was cut")

    async def wait_failed(self, timeout: float = 10.0) -> None:
        """Wait (without blocking the test's loop) until a `fail_once` has happened."""
        await self._wait(self._failed, timeout, "no request was failed")

    # -- what went through ----------------------------------------------------------------------

    def requests_seen(self, method: str | None = None, path_prefix: str = "/") -> int:
        """How many requests matched (cut and failed ones included; those reset offline never arrive)."""
        return sum(1 for seen in self.requests() if matches(seen, method, path_prefix))

    def requests(self) -> list[tuple[str, str]]:
        """Every request line seen so far, as (method, target), oldest first; for assertion messages."""
        with self._lock:
            return list(self._seen)

    # -- inside the proxy's thread ------------------------------------------------------------------

    def _call(self, coroutine: Coroutine[object, object, None]) -> None:
        """Run a coroutine on the proxy loop and wait for it, so a switch is done when we return."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("NetworkSwitch is not started")
        if threading.current_thread() is self._thread:
            raise RuntimeError("NetworkSwitch switches must not be called from its own thread")
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=_SWITCH_TIMEOUT)

    def _add_rule(self, rule: _Rule) -> threading.Event:
        with self._lock:
            rule.summary.clear()  # wait_cut()/wait_failed() wait for this rule, not an earlier one
            self._rules.append(rule)
        return rule.done

    async def _wait(self, event: threading.Event, timeout: float, message: str) -> None:
        if not await anyio.to_thread.run_sync(event.wait, timeout):
            raise TimeoutError(f"{message} within {timeout} s; requests seen: {self.requests()}")

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._handle_client, sock=self._listener)

    async def _shut_down(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._drop_all_connections()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _drop_all_connections(self) -> None:
        writers = list(self._writers)
        for writer in writers:
            _reset(writer)
        # The sockets really close in connection_lost, a loop turn later: wait for it, so
        # the browser already sees them dead when go_offline() returns.
        await asyncio.gather(*(writer.wait_closed() for writer in writers), return_exceptions=True)

    async def _handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            if self.offline:
                _reset(writer)
                return
            await self._handle_request(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass  # the browser went away or we reset it (go_offline): nothing to answer
        except Exception as exc:  # a bug here must not vanish into the proxy thread's log
            self.errors.append(exc)
            _reset(writer)
        finally:
            await self._finish(writer)
            self._tasks.discard(task)

    async def _finish(self, writer: asyncio.StreamWriter) -> None:
        """Close after flushing what was written; still registered, so go_offline() can kill it meanwhile."""
        try:
            writer.close()
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass  # reset by go_offline() or by the browser while flushing
        finally:
            self._writers.discard(writer)

    async def _handle_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read one request, then forward, cut or fail it; the connection closes afterwards."""
        try:
            request = parse_request_head((await reader.readuntil(_HEAD_END))[: -len(_HEAD_END)])
        except asyncio.LimitOverrunError:
            writer.write(canned_response(431, "request headers too large for NetworkSwitch"))
            return
        except HttpFramingError as exc:
            writer.write(canned_response(400, str(exc)))
            return
        if request.chunked:  # browsers send Content-Length for fetch() bodies; fail loudly otherwise
            writer.write(canned_response(501, "NetworkSwitch does not handle chunked request bodies"))
            return
        body = await reader.readexactly(request.content_length)
        rule = self._take(request)
        if rule is None:
            await self._forward(request, body, writer, cut=False)
        elif rule.kind == "fail":
            rule.happened()  # before the browser can see the answer, so a test may rely on the event
            writer.write(canned_response(rule.status, f"injected by NetworkSwitch.fail_once for {request.target}"))
            await writer.drain()
        else:
            await self._forward(request, body, writer, cut=True)
            rule.happened()  # the connection closes only after this (in _finish)

    def _take(self, request: Request) -> _Rule | None:
        """Count the request and take the first pending fault that matches it, if any."""
        with self._lock:
            if self._offline:
                raise ConnectionResetError("went offline while the request was arriving")
            self._seen.append((request.method, request.target))
            for rule in self._rules:
                if matches((request.method, request.target), rule.method, rule.path_prefix):
                    self._rules.remove(rule)
                    return rule
        return None

    async def _forward(self, request: Request, body: bytes, writer: asyncio.StreamWriter, *, cut: bool) -> None:
        """Send one request upstream on a fresh connection; relay (or, if cut, swallow) the response."""
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError as exc:
            writer.write(canned_response(502, f"NetworkSwitch cannot reach upstream {self.upstream}: {exc}"))
            return
        self._writers.add(up_writer)
        try:
            if writer.transport.is_closing():
                return  # went offline while connecting: the request never left the phone
            up_writer.write(with_connection_close(request.head) + body)
            await up_writer.drain()
            if cut:
                while await up_reader.read(_READ_SIZE):
                    pass  # the server has answered in full: it has processed the request
                return
            head = await up_reader.readuntil(_HEAD_END)
            writer.write(with_connection_close(head[: -len(_HEAD_END)]))
            async for chunk in _chunks(up_reader):
                writer.write(chunk)
                await writer.drain()  # incremental, and back-pressure from a slow browser
        finally:
            self._writers.discard(up_writer)
            up_writer.close()


async def _chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """The rest of an upstream response, as it arrives, until the server closes (Connection: close)."""
    while chunk := await reader.read(_READ_SIZE):
        yield chunk

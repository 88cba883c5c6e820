"""A push service on loopback, standing in for FCM / Mozilla / Apple: it checks and decrypts.

Like a real one it takes `POST /push/<token>`, checks the VAPID JWT (signature against the key
in the header, which must be the server's public key; audience = our origin; subject; expiry),
and, playing the phone, decrypts the aes128gcm body with the subscription's private key
(http_ece). A test scripts a token's answers (410, 429 with Retry-After, 500...) and can hold
answers back until released. Tests wait on what arrived through a condition, never by sleeping.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.jwt import decode as jwt_decode


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass
class Phone:
    """One browser's subscription: its keys stay here, as on a phone."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # scripted, then 201

    def subscription(self) -> dict[str, Any]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }


@dataclass
class Delivery:
    token: str
    payload: dict[str, Any]
    ttl: int
    urgency: str
    topic: str
    claims: dict[str, Any]


class PushService:
    def __init__(self, server_public_key: str) -> None:
        self.server_public_key = server_public_key
        self.phones: dict[str, Phone] = {}
        self.delivered: list[Delivery] = []
        self.requests = 0
        self.arrived = 0  # counted before the gate: requests being held count too
        self.problems: list[str] = []
        self.changed = threading.Condition()
        self.gate = threading.Event()
        self.gate.set()
        self._ids = itertools.count(1)
        server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256})  # many senders at once
        self._server = server_class(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> PushService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()

    def phone(self, *answers: int | tuple[int, dict[str, str]]) -> Phone:
        token = f"p{next(self._ids)}-{os.urandom(4).hex()}"
        scripted = [a if isinstance(a, tuple) else (a, {}) for a in answers]
        phone = Phone(
            token, f"{self.origin}/push/{token}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16), scripted
        )
        self.phones[token] = phone
        return phone

    def to(self, phone: Phone) -> list[Delivery]:
        return [d for d in self.delivered if d.token == phone.token]

    def wait_for(self, count: int, timeout: float = 30.0, what: str = "delivered") -> None:
        """Until `count` deliveries (or `arrived` requests) have come; fails the test after `timeout`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while (self.arrived if what == "arrived" else len(self.delivered)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"push service: {len(self.delivered)} deliveries, {self.requests} requests, waited for {count}"
                    )
                self.changed.wait(left)

    # -- the HTTP side ------------------------------------------------------------------

    def _check(self, headers: Any, body: bytes, phone: Phone) -> Delivery:
        scheme, _, params = headers.get("Authorization", "").partition(" ")
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        assert scheme.lower() == "vapid", "no VAPID authorization"
        assert parts.get("k") == self.server_public_key, "VAPID key is not the server's public key"
        claims = jwt_decode(parts["t"], parts["k"])  # raises on a bad signature
        assert claims["aud"] == self.origin, f"audience {claims['aud']}"
        assert claims["sub"].startswith(("mailto:", "https:")), "subject"
        assert claims["exp"] > time.time(), "expired JWT"
        assert headers.get("Content-Encoding") == "aes128gcm"
        assert len(body) <= 4096, "body over 4096 bytes"
        plain = http_ece.decrypt(body, private_key=phone.private_key, auth_secret=phone.auth, version="aes128gcm")
        return Delivery(
            phone.token,
            json.loads(plain),
            int(headers.get("TTL", "0")),
            headers.get("Urgency", ""),
            headers.get("Topic", ""),
            claims,
        )

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real services

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service.changed:
                    service.arrived += 1
                    service.changed.notify_all()
                service.gate.wait()
                phone = service.phones.get(self.path.rsplit("/", 1)[-1])
                with service.changed:
                    service.requests += 1
                    service.changed.notify_all()
                if phone is None:
                    return self._reply(404)
                if phone.answers:
                    status, headers = phone.answers.pop(0)
                    return self._reply(status, headers)
                try:
                    delivery = service._check(self.headers, body, phone)
                except Exception as exc:  # noqa: BLE001 - the test reads the problem
                    service.problems.append(f"{type(exc).__name__}: {exc}")
                    return self._reply(400)
                with service.changed:
                    service.delivered.append(delivery)
                    service.changed.notify_all()
                self._reply(201)

            def _reply(self, status: int, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender was killed while we held its request
                    self.close_connection = True

        return Handler

"""A reverse proxy on 127.0.0.1 in front of a real Prometheus: what an auth gateway, a
multi-tenant Mimir front end or a flaky load balancer does to the requests autoopt sends.

It checks the ``Authorization`` header against the one expected (401 with a JSON error
otherwise), requires the headers it is told to, answers the next ``fail`` requests with a
status of choice, and records every request's path and headers. Optionally over TLS with a
self-signed certificate made by ``openssl``.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from tests.prometheus.servers import need


@dataclass
class Gate:
    upstream: str
    authorization: str | None = None  # the exact header expected; None: no check
    required: dict[str, str] = field(default_factory=dict)
    fail: int = 0  # answer this many next requests with `status`
    status: int = 503
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _handler(gate: Gate) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, method: str) -> None:
            gate.seen.append((self.path, dict(self.headers.items())))
            if gate.fail > 0:
                gate.fail -= 1
                self._answer(gate.status, b"upstream unavailable", "text/plain")
                return
            if gate.authorization is not None and self.headers.get("Authorization") != (
                gate.authorization
            ):
                error = {"status": "error", "errorType": "auth", "error": "invalid credentials"}
                self._answer(401, json.dumps(error).encode())
                return
            for name, value in gate.required.items():
                if self.headers.get(name) != value:
                    self._answer(400, f"missing or wrong {name}".encode(), "text/plain")
                    return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            kind = self.headers.get("Content-Type")
            answer = requests.request(
                method,
                gate.upstream + self.path,
                data=body,
                headers={"Content-Type": kind} if kind else {},
                timeout=60,
            )
            self._answer(answer.status_code, answer.content, answer.headers["Content-Type"])

        def do_GET(self) -> None:
            self._forward("GET")

        def do_POST(self) -> None:
            self._forward("POST")

    return Handler


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (``openssl req -x509``)."""
    openssl = shutil.which("openssl") or need("openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


@contextmanager
def gateway(gate: Gate, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """The proxy's base URL while it runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gate))
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

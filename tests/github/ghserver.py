"""A GitHub-shaped REST server on 127.0.0.1 for the forge tests.

It keeps state (pull requests, comments, labels, statuses), answers with the shapes of the
examples in GitHub's OpenAPI description, paginates with ``Link`` headers, and checks every
request — method and templated path, query and path parameters, JSON body, the headers GitHub
asks for, the token — against ``openapi-subset.json``. Anything wrong is recorded in
``violations`` (the ``github`` fixture fails the test on any); the replies are checked against
the response schemas too, so the server cannot drift from GitHub's shapes.

Faults are queued with ``GitHubServer.fail(...)``: a status with headers and body instead of
the real answer, or a delay before the real answer (longer than the client's timeout).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.github.ghstate import DOCS, OWNER, REPO, GitHubState, Handlers, Reply
from tests.github.openapi_check import OperationIndex, load_spec

__all__ = ["NOW", "OWNER", "REPO", "TOKEN", "Fault", "GitHubServer", "Recorded"]

TOKEN = "ghp_s3cretT0kenThatMustNeverBePrinted0123"  # the server accepts only this one
NOW = 1_800_000_000.0  # the forge's injected clock in the tests: 2027-01-15T08:00:00Z


@dataclass
class Fault:
    """Replace the answer to the next ``times`` matching requests."""

    method: str
    path_contains: str
    status: int = 500
    body: Any = field(default_factory=lambda: {"message": "Server Error"})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # > 0: handle the request, then wait this long before answering
    times: int = 1
    reset: bool = False  # drop the connection with a TCP reset instead of answering


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0


class GitHubServer:
    """Start with ``start()``; ``url`` is the API base to hand to ``GitHubForge``."""

    def __init__(self, token: str, prefix: str = "") -> None:
        self.token = token
        self.prefix = prefix
        self.index = OperationIndex(load_spec())
        self.state = GitHubState(self.index)
        self.handlers = Handlers(self.state)
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    def start(self) -> GitHubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget every pull request, comment, status, recorded request and queued fault."""
        with self.state.lock:
            self.state = GitHubState(self.index)
            self.handlers = Handlers(self.state)
            self.requests.clear()
            self.faults.clear()

    def fail(self, method: str, path_contains: str, **kwargs: Any) -> Fault:
        fault = Fault(method, path_contains, **kwargs)
        self.faults.append(fault)
        return fault

    def calls(self, method: str | None = None, path_contains: str = "") -> list[Recorded]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and path_contains in r.path
        ]

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path_contains in path:
                fault.times -= 1
                return fault
        return None


def _make_handler(server: GitHubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms stalls

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            _serve(server, self)

        do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    return Handler


def _check_headers(server: GitHubServer, request: BaseHTTPRequestHandler) -> list[str]:
    headers = request.headers
    problems = []
    if headers.get("Accept") != "application/vnd.github+json":
        problems.append(f"Accept is {headers.get('Accept')!r}")
    if headers.get("X-GitHub-Api-Version") != "2022-11-28":
        problems.append(f"X-GitHub-Api-Version is {headers.get('X-GitHub-Api-Version')!r}")
    if not headers.get("User-Agent"):
        problems.append("no User-Agent")
    if headers.get("Authorization") != f"Bearer {server.token}":
        problems.append("Authorization is not 'Bearer <token>'")
    return problems


def _page(
    server: GitHubServer,
    request: BaseHTTPRequestHandler,
    path: str,
    query: dict[str, str],
    items: list[Any],
) -> tuple[list[Any], dict[str, str]]:
    per_page = int(query.get("per_page", 30))
    page = int(query.get("page", 1))
    last = max(1, -(-len(items) // per_page))
    links = []
    host = request.headers.get("Host", "")
    for rel, number in (("next", page + 1), ("last", last)):
        if number <= last and (rel != "next" or page < last):
            url = f"http://{host}{server.prefix}{path}?{urlencode({**query, 'page': number})}"
            links.append(f'<{url}>; rel="{rel}"')
    headers = {"Link": ", ".join(links)} if links else {}
    return items[(page - 1) * per_page : page * per_page], headers


def _serve(server: GitHubServer, request: BaseHTTPRequestHandler) -> None:
    split = urlsplit(request.path)
    raw_query = parse_qs(split.query, keep_blank_values=True)
    length = int(request.headers.get("Content-Length") or 0)
    raw_body = request.rfile.read(length) if length else b""
    path = split.path
    try:
        body = json.loads(raw_body) if raw_body else None
    except ValueError:
        body = None  # check_body records the violation
    record = Recorded(request.command, path, raw_query, body)
    with server.state.lock:
        server.requests.append(record)
    status, payload, headers = _answer(server, request, record, raw_body)
    record.status = status
    if status == RESET:
        _reset(request)
        return
    _write(request, status, payload, headers)


RESET = -1  # the status recorded for a request answered by a TCP reset


def _reset(request: BaseHTTPRequestHandler) -> None:
    """Close the socket with SO_LINGER 0: the kernel sends RST, the client sees a reset."""
    import socket
    import struct

    sock = request.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.close_connection = True
    sock.close()


def _answer(
    server: GitHubServer, request: BaseHTTPRequestHandler, record: Recorded, raw_body: bytes
) -> tuple[int, Any, dict[str, str]]:
    where = f"{record.method} {record.path}"
    if not record.path.startswith(server.prefix + "/"):
        server.violations.append(f"{where}: not under the API prefix {server.prefix!r}")
        return 404, {"message": "Not Found"}, {}
    path = record.path[len(server.prefix) :]
    op = server.index.match(record.method, path)
    if op is None:
        server.violations.append(f"{where}: no such operation in GitHub's OpenAPI description")
        return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
    problems = _check_headers(server, request)
    problems += server.index.check_parameters(op, record.query)
    problems += server.index.check_body(op, request.headers.get("Content-Type", ""), raw_body)
    if problems:
        server.violations.extend(f"{where}: {p}" for p in problems)
        return 422, {"message": "Validation Failed", "documentation_url": DOCS}, {}
    with server.state.lock:
        fault = server.take_fault(record.method, path)
    if fault is not None and fault.reset:
        return RESET, None, {}
    if fault is not None and fault.delay == 0:
        return fault.status, fault.body, fault.headers
    query = {k: v[-1] for k, v in record.query.items()}
    handler = getattr(server.handlers, op.operation_id.replace("/", "_").replace("-", "_"))
    with server.state.lock:
        try:
            status, payload = handler(op, query, record.body)
        except Reply as reply:
            status, payload = reply.status, reply.body
    headers: dict[str, str] = {}
    if status == 200 and op.method == "get" and isinstance(payload, list):
        payload, headers = _page(server, request, path, query, payload)
    server.violations.extend(
        f"{where}: {p}" for p in server.index.check_response(op, status, payload)
    )
    if fault is not None:
        record.status = status
        time.sleep(fault.delay)
    return status, payload, headers


def _write(
    request: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str]
) -> None:
    html = isinstance(payload, str)  # a str payload is sent as is: an HTML error page
    data = payload.encode() if html else json.dumps(payload).encode()
    kind = "text/html" if html else "application/json; charset=utf-8"
    try:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
        request.close_connection = True

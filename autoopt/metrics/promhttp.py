"""The HTTP side of the Prometheus source: the API calls, auth, TLS, retries and a breaker.

One :class:`PromClient` per source, over an injected ``requests.Session``. Only three
endpoints are used: ``/api/v1/query``, ``/api/v1/query_range`` (both sent as POST forms, so a
selector naming a thousand services fits) and ``/api/v1/status/buildinfo``. Every call goes
through :meth:`PromClient.call`:

* a failure that may pass (connection refused or reset, a timeout, HTTP 429 or 5xx) is
  retried with exponential backoff (``backoff``, ×2 per try, ``Retry-After`` honoured up to
  30 s), ``retries`` times;
* a failure that will not pass (HTTP 4xx: a bad query, wrong auth, a wrong URL) is a
  :class:`~autoopt.errors.MetricsError` at once, with the server's own message;
* a circuit breaker counts failed attempts: 5 within a minute open it for a minute (calls
  fail at once, saying until when), then one trial call is let through (half-open) — its
  success closes the breaker, its failure opens it again.

Secrets come from the environment variables the settings name; they go into headers only
and no message ever includes them (nor the user:password of a URL).
"""

from __future__ import annotations

import re
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from autoopt.errors import MetricsError
from autoopt.spec.prometheus import PrometheusSource

FAILURES_TO_OPEN = 5
FAILURE_WINDOW = 60.0  # seconds
OPEN_FOR = 60.0  # seconds
MAX_RETRY_AFTER = 30.0
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def redact(url: str) -> str:
    """``url`` without a ``user:password@`` part."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass
class Breaker:
    """Closed → (5 failures in 60 s) → open for 60 s → half-open: one trial call."""

    clock: Callable[[], float] = time.monotonic
    failures: deque[float] = field(default_factory=deque)
    opened_at: float | None = None
    trial: bool = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if self.clock() - self.opened_at < OPEN_FOR else "half-open"

    def before(self) -> float | None:
        """None to go ahead; else the seconds until the breaker lets a trial through."""
        state = self.state
        if state == "closed":
            return None
        if state == "half-open" and not self.trial:
            self.trial = True
            return None
        assert self.opened_at is not None
        return max(OPEN_FOR - (self.clock() - self.opened_at), 0.0)

    def success(self) -> None:
        self.failures.clear()
        self.opened_at, self.trial = None, False

    def failure(self) -> None:
        now = self.clock()
        if self.opened_at is not None:  # the half-open trial failed: open again
            self.opened_at, self.trial = now, False
            return
        self.failures.append(now)
        while self.failures and now - self.failures[0] > FAILURE_WINDOW:
            self.failures.popleft()
        if len(self.failures) >= FAILURES_TO_OPEN:
            self.opened_at, self.trial = now, False
            self.failures.clear()


def _secret(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name)
    if not value:
        raise MetricsError(f"prometheus auth: environment variable {name} ({what}) is not set")
    return value


def _verify(spec: PrometheusSource, root: Path) -> bool | str:
    if spec.tls.insecure_skip_verify:
        return False
    if spec.tls.ca_file is None:
        return True
    path = Path(spec.tls.ca_file).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise MetricsError(f"prometheus tls.ca_file {spec.tls.ca_file}: no such file")
    return str(path)


def _cert(spec: PrometheusSource, root: Path) -> tuple[str, str] | str | None:
    if spec.tls.cert_file is None:
        return None
    paths = []
    for name in (spec.tls.cert_file, spec.tls.key_file):
        if name is None:
            continue
        path = Path(name).expanduser()
        path = path if path.is_absolute() else root / path
        if not path.is_file():
            raise MetricsError(f"prometheus tls: {name}: no such file")
        paths.append(str(path))
    return (paths[0], paths[1]) if len(paths) == 2 else paths[0]


class PromClient:
    """The Prometheus HTTP API behind one base URL (Thanos, Mimir's ``/prometheus``, and
    VictoriaMetrics speak the same one)."""

    def __init__(
        self,
        spec: PrometheusSource,
        session: Any,
        env: Mapping[str, str],
        root: Path,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self.base = spec.url.rstrip("/")
        self.shown = redact(self.base)
        self.session = session
        self.sleep = sleep
        self.breaker = Breaker(clock)
        self.sent: list[str] = []  # every query sent, in order (--explain, tests)
        self.calls = 0  # HTTP requests made, retries included
        self.headers = {"Accept": "application/json", **spec.headers}
        self.auth: tuple[str, str] | None = None
        if spec.auth is not None and spec.auth.bearer_token_env:
            token = _secret(env, spec.auth.bearer_token_env, "bearer token")
            self.headers["Authorization"] = f"Bearer {token}"
        elif spec.auth is not None and spec.auth.basic is not None:
            basic = spec.auth.basic
            self.auth = (
                _secret(env, basic.username_env, "basic auth user"),
                _secret(env, basic.password_env, "basic auth password"),
            )
        self.verify = _verify(spec, root)
        self.cert = _cert(spec, root)

    # ------------------------------------------------------------------ API calls

    def query(self, promql: str, at: float) -> list[dict[str, Any]]:
        """An instant query at ``at`` (Unix seconds): the ``vector`` result."""
        self.sent.append(promql)
        data = self.call("/api/v1/query", {"query": promql, "time": _num(at)})
        return _result(data, "vector", self.shown)

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[Any]:
        """A range query: the ``matrix`` result (``values`` of ``[t, "v"]`` per series)."""
        self.sent.append(promql)
        form = {"query": promql, "start": _num(start), "end": _num(end), "step": _num(step)}
        return _result(self.call("/api/v1/query_range", form), "matrix", self.shown)

    def buildinfo(self) -> dict[str, Any]:
        data = self.call("/api/v1/status/buildinfo", None)
        found = data.get("data")
        return found if isinstance(found, dict) else {}

    # ------------------------------------------------------------------ transport

    def call(self, path: str, form: dict[str, str] | None) -> dict[str, Any]:
        """POST ``form`` (GET when None) to ``path``; the decoded JSON of a 2xx answer."""
        delay = self.spec.backoff.total_seconds()
        last = ""
        for attempt in range(self.spec.retries + 1):
            wait = self.breaker.before()
            if wait is not None:
                raise MetricsError(
                    f"prometheus {self.shown}: not queried: {FAILURES_TO_OPEN} failures within "
                    f"{FAILURE_WINDOW:.0f}s opened the circuit breaker (next try in "
                    f"{wait:.0f}s); last error: {last or 'see above'}"
                )
            outcome, retry_after = self._attempt(path, form)
            if isinstance(outcome, dict):
                self.breaker.success()
                return outcome
            last = outcome
            self.breaker.failure()
            if attempt < self.spec.retries:
                self.sleep(min(max(delay, retry_after or 0.0), MAX_RETRY_AFTER))
                delay *= 2
        raise MetricsError(
            f"prometheus {self.shown}{path}: {last} (after {self.spec.retries + 1} attempts)"
        )

    def _attempt(
        self, path: str, form: dict[str, str] | None
    ) -> tuple[dict[str, Any] | str, float | None]:
        """The JSON answer, or why a retry may help (and the server's Retry-After)."""
        import requests
        from urllib3.exceptions import InsecureRequestWarning

        self.calls += 1
        url = self.base + path
        options: dict[str, Any] = {
            "headers": self.headers,
            "timeout": self.spec.timeout.total_seconds(),
            "verify": self.verify,
            "auth": self.auth,
        }
        if self.cert is not None:
            options["cert"] = self.cert
        try:
            with warnings.catch_warnings():  # insecure_skip_verify was asked for: no warning
                warnings.simplefilter("ignore", InsecureRequestWarning)
                if form is None:
                    response = self.session.get(url, **options)
                else:
                    response = self.session.post(url, data=form, **options)
        except requests.exceptions.SSLError as exc:
            raise MetricsError(f"prometheus {self.shown}: TLS error: {_clean(exc)}") from None
        except requests.exceptions.Timeout:
            return f"timed out after {self.spec.timeout.total_seconds():g}s", None
        except requests.exceptions.ConnectionError as exc:
            return f"cannot connect ({_clean(exc)})", None
        if response.status_code in _RETRY_STATUS:
            return _status_line(response), _retry_after(response)
        if response.status_code >= 400:
            raise MetricsError(f"prometheus {self.shown}{path}: {_status_line(response)}")
        try:
            data = response.json()
        except ValueError:
            raise MetricsError(
                f"prometheus {self.shown}{path}: the answer is not JSON (is this the "
                f"Prometheus API? {_snippet(response.text)})"
            ) from None
        if not isinstance(data, dict) or data.get("status") != "success":
            raise MetricsError(f"prometheus {self.shown}{path}: {_api_error(data)}")
        return data, None


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _result(data: dict[str, Any], kind: str, shown: str) -> list[Any]:
    body = data.get("data")
    if not isinstance(body, dict) or body.get("resultType") != kind:
        got = body.get("resultType") if isinstance(body, dict) else type(body).__name__
        raise MetricsError(f"prometheus {shown}: expected a {kind} result, got {got}")
    result = body.get("result")
    return result if isinstance(result, list) else []


def _api_error(data: Any) -> str:
    if isinstance(data, dict) and data.get("error"):
        kind = data.get("errorType")
        return f"{kind}: {data['error']}" if kind else str(data["error"])
    return f"unexpected answer {_snippet(str(data))}"


def _status_line(response: Any) -> str:
    """``HTTP 401 Unauthorized: <the server's message>``."""
    message = ""
    try:
        data = response.json()
    except ValueError:
        message = _snippet(response.text)
    else:
        message = _api_error(data) if isinstance(data, dict) else _snippet(str(data))
    head = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
    return f"{head}: {message}" if message else head


def _retry_after(response: Any) -> float | None:
    text = response.headers.get("Retry-After", "")
    try:
        return max(float(text), 0.0)
    except ValueError:
        return None


_SPACE = re.compile(r"\s+")


def _snippet(text: str, limit: int = 200) -> str:
    flat = _SPACE.sub(" ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _clean(exc: Exception) -> str:
    """The reason of a connection error without the object reprs requests puts around it."""
    text = str(exc)
    found = re.search(r"\] ([^')\]]+)", text) or re.search(r"Caused by (\w+)", text)
    return _snippet(found.group(1) if found else text, 160)

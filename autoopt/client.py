"""What an application imports: read its config, pick a variant per request, record metrics.

    from autoopt.client import Client, record

    client = Client("configs/chat-service.yaml")
    variant = client.choose(user_id)          # Variant(version, params, role)
    ...call the model with variant.params...
    record("metrics/requests.jsonl", service="chat-service", version=variant.version,
           model=variant.params["model"], latency_ms=812.0, tokens_in=950, tokens_out=210,
           error=False)

The split is sticky: a key's bucket is a SHA-256 hash of the service, the canary version and
the key, uniform in [0, 100); the key goes to the canary when its bucket is below the current
weight, so a key on the canary at 5% stays on it at 25%. The config file is re-read when its
modification time, size or inode changes (checked at most once per ``check_every`` seconds).

This module imports no pandas, numpy, git or engine: only the document loader.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Literal

from autoopt.errors import AutooptError, UserError
from autoopt.spec.load import load_document
from autoopt.spec.models import Canary, LLMConfig, Release

Role = Literal["stable", "canary"]
_SCALE = 100.0 / 2**64


class RecordError(UserError, ValueError):
    """A metric row that cannot be recorded (a negative latency, quality outside 0–100…)."""


@dataclass(frozen=True)
class Variant:
    """What one request should run with."""

    version: str
    params: Mapping[str, Any]
    role: Role

    def __hash__(self) -> int:  # params is a read-only mapping, which does not hash
        return hash((self.version, self.role))


def bucket(salt: str, key: str) -> float:
    """A key's stable position in [0, 100): SHA-256 of ``salt`` and ``key``."""
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") * _SCALE


@dataclass(frozen=True)
class _State:
    config: LLMConfig
    stamp: tuple[int, int, int]
    stable: Variant
    canary: Variant | None
    weight: float
    salt: str


def _variant(release: Release | Canary, role: Role) -> Variant:
    return Variant(release.version, MappingProxyType(release.params.flat()), role)


class Client:
    """Reads one LLMConfig file and chooses stable or canary per request key."""

    def __init__(self, path: str | os.PathLike[str], *, check_every: float = 1.0) -> None:
        self.path = Path(path)
        self.check_every = check_every
        self.last_error: AutooptError | None = None
        self._lock = threading.Lock()
        self._failed: tuple[int, int, int] | None = None  # the file version that did not load
        self._state = self._load()
        self._checked = time.monotonic()

    def _stamp(self) -> tuple[int, int, int]:
        try:
            info = self.path.stat()
        except OSError:
            return (0, 0, 0)  # gone or unreadable: the loader says why
        return info.st_mtime_ns, info.st_size, info.st_ino

    def _load(self) -> _State:
        stamp = self._stamp()
        config: LLMConfig = load_document(self.path, kind="LLMConfig").document
        spec = config.spec
        canary = spec.canary
        live = canary is not None and not spec.paused
        return _State(
            config=config,
            stamp=stamp,
            stable=_variant(spec.stable, "stable"),
            canary=_variant(canary, "canary") if canary is not None and live else None,
            weight=float(canary.weight) if canary is not None and live else 0.0,
            salt=f"{config.metadata.name}:{canary.version if canary else ''}",
        )

    @property
    def config(self) -> LLMConfig:
        """The configuration in use (after any reload)."""
        self._refresh()
        return self._state.config

    @property
    def service(self) -> str:
        return self._state.config.metadata.name

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is checking; serve the current config meanwhile
        try:
            self._checked = now
            stamp = self._stamp()
            if stamp not in (self._state.stamp, self._failed):
                self._state = self._load()
                self.last_error = self._failed = None
        except AutooptError as exc:  # keep serving the last good config
            self.last_error, self._failed = exc, stamp
        finally:
            self._lock.release()

    def choose(self, key: str | int | bytes) -> Variant:
        """The variant for this request key: canary for ``weight``% of keys, sticky."""
        self._refresh()
        state = self._state
        if state.canary is None:
            return state.stable
        text = key.decode("utf-8", "backslashreplace") if isinstance(key, bytes) else str(key)
        return state.canary if bucket(state.salt, text) < state.weight else state.stable


def _number(name: str, value: float | None, *, low: float = 0.0, high: float = math.inf) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise RecordError(f"{name} must be between {low:g} and {high:g}, got {value!r}")


def _timestamp(value: datetime | float | None) -> str:
    if value is None:
        moment = datetime.now(UTC)
    elif isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    else:
        _number("timestamp", value)
        moment = datetime.fromtimestamp(value, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def metric_row(  # noqa: PLR0913 — one keyword per canonical column
    *,
    service: str,
    version: str,
    model: str,
    latency_ms: float,
    tokens_in: int,
    tokens_out: int,
    error: bool,
    quality: float | None = None,
    ttft_ms: float | None = None,
    cost_usd: float | None = None,
    timestamp: datetime | float | None = None,
    variant: str | None = None,
) -> dict[str, Any]:
    """One canonical metrics row (unset optional fields left out), validated."""
    for name, text in (("service", service), ("version", version), ("model", model)):
        if not isinstance(text, str) or not text:
            raise RecordError(f"{name} must be a non-empty string, got {text!r}")
    _number("latency_ms", latency_ms)
    _number("ttft_ms", ttft_ms)
    _number("cost_usd", cost_usd)
    _number("quality", quality, high=100.0)
    for name, count in (("tokens_in", tokens_in), ("tokens_out", tokens_out)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise RecordError(f"{name} must be a non-negative integer, got {count!r}")
    if not isinstance(error, bool):
        raise RecordError(f"error must be True or False, got {error!r}")
    row: dict[str, Any] = {"timestamp": _timestamp(timestamp), "service": service}
    row |= {"version": version, "variant": variant, "model": model, "latency_ms": latency_ms}
    row |= {"ttft_ms": ttft_ms, "tokens_in": tokens_in, "tokens_out": tokens_out}
    row |= {"cost_usd": cost_usd, "error": error, "quality": quality}
    return {k: v for k, v in row.items() if v is not None}


_FILE_LOCK = threading.Lock()  # serialises writes to file objects shared between threads


def append_line(target: str | os.PathLike[str] | IO[Any], line: str) -> None:
    """Append one whole line: one ``O_APPEND`` write to a path, or one write+flush to a file."""
    data = line.encode()
    if isinstance(target, str | os.PathLike):
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:  # a regular file takes it in one write; loop only on a short write
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        return
    with _FILE_LOCK:
        target.write(data if "b" in getattr(target, "mode", "") else line)
        target.flush()


def record(  # noqa: PLR0913 — one keyword per canonical column
    target: str | os.PathLike[str] | IO[Any],
    *,
    service: str,
    version: str,
    model: str,
    latency_ms: float,
    tokens_in: int,
    tokens_out: int,
    error: bool,
    quality: float | None = None,
    ttft_ms: float | None = None,
    cost_usd: float | None = None,
    timestamp: datetime | float | None = None,
    variant: str | None = None,
) -> dict[str, Any]:
    """Append one canonical metrics row as a JSON line to ``target``; return the row.

    ``target`` is a path (opened in append mode for this one write) or an open file. Quality
    is 0–100; ``timestamp`` is a datetime (naive means UTC) or epoch seconds, now when absent.
    Raises :class:`RecordError` (a ``ValueError``) for a value that cannot be a metric.
    """
    row = metric_row(
        service=service,
        version=version,
        model=model,
        latency_ms=latency_ms,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        error=error,
        quality=quality,
        ttft_ms=ttft_ms,
        cost_usd=cost_usd,
        timestamp=timestamp,
        variant=variant,
    )
    append_line(target, json.dumps(row, separators=(",", ":")) + "\n")
    return row


#: Latency buckets (seconds) for LLM calls: 100 ms to two minutes, not the library's web
#: defaults (5 ms–10 s). Put a bound near every latency limit you gate on (docs/prometheus.md).
LLM_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)


class PrometheusRecorder:
    """autoopt's Prometheus layout, exported through ``prometheus-client``.

    The metrics are what ``metrics: {type: prometheus, layout: autoopt}`` reads:
    ``llm_request_duration_seconds`` (a histogram over every request, labelled
    ``error="true"`` on failures), the counters ``llm_requests_total``,
    ``llm_request_errors_total``, ``llm_tokens_input_total``, ``llm_tokens_output_total`` and
    ``llm_cost_usd_total`` (only when ``cost_usd`` is given: give it always or never, else
    autoopt prices the tokens), and ``llm_quality_score`` (0–100, its ``_sum``/``_count``),
    each labelled ``service``, ``version`` and ``model``. Serve them as you serve the rest
    of your app's metrics (``prometheus_client.start_http_server``, your framework's
    ``/metrics``). Needs the ``prometheus`` extra: ``pip install 'autoopt[prometheus]'``.
    """

    def __init__(
        self, registry: Any = None, *, buckets: tuple[float, ...] = LLM_LATENCY_BUCKETS
    ) -> None:
        try:
            from prometheus_client import REGISTRY, Counter, Histogram, Summary
        except ImportError:
            raise UserError(
                "PrometheusRecorder needs prometheus-client: pip install 'autoopt[prometheus]'"
            ) from None
        where = registry if registry is not None else REGISTRY
        labels = ("service", "version", "model")
        self.latency = Histogram(
            "llm_request_duration_seconds",
            "End-to-end latency of LLM requests (failed ones labelled error=true).",
            (*labels, "error"),
            buckets=buckets,
            registry=where,
        )

        def counter(name: str, text: str) -> Any:
            return Counter(name, text, labels, registry=where)

        self.requests = counter("llm_requests", "LLM requests.")
        self.errors = counter("llm_request_errors", "LLM requests that failed.")
        self.tokens_in = counter("llm_tokens_input", "Input (prompt) tokens.")
        self.tokens_out = counter("llm_tokens_output", "Output (completion) tokens.")
        self.cost = counter("llm_cost_usd", "Cost of LLM requests, USD.")
        self.quality = Summary(
            "llm_quality_score", "Quality scores, 0-100.", labels, registry=where
        )

    def prepare(self, service: str, version: str, model: str, *, cost: bool = True) -> None:
        """Start every series of a (service, version, model) at zero before its first request.

        A series that appears with its first request already counted hides that request from
        ``increase`` (Prometheus sees no rise from zero); call this when a version starts
        serving (for both variants of a :class:`Client`'s config, on start-up and on change).
        """
        key = (service, version, model)
        for failed in ("false", "true"):
            self.latency.labels(*key, failed)
        for counter in (self.requests, self.errors, self.tokens_in, self.tokens_out):
            counter.labels(*key)
        if cost:
            self.cost.labels(*key)
        self.quality.labels(*key)

    def record(  # noqa: PLR0913 — one keyword per canonical column
        self,
        *,
        service: str,
        version: str,
        model: str,
        latency_ms: float,
        tokens_in: int,
        tokens_out: int,
        error: bool,
        quality: float | None = None,
        cost_usd: float | None = None,
    ) -> None:
        """Count one request (validated as :func:`metric_row` validates a row)."""
        metric_row(
            service=service,
            version=version,
            model=model,
            latency_ms=latency_ms,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            error=error,
            quality=quality,
            cost_usd=cost_usd,
        )
        key = (service, version, model)
        self.latency.labels(*key, "true" if error else "false").observe(latency_ms / 1000.0)
        self.requests.labels(*key).inc()
        self.errors.labels(*key).inc(1 if error else 0)  # the series exists from the start
        self.tokens_in.labels(*key).inc(tokens_in)
        self.tokens_out.labels(*key).inc(tokens_out)
        if cost_usd is not None:
            self.cost.labels(*key).inc(cost_usd)
        if quality is not None:
            self.quality.labels(*key).observe(quality)


__all__ = [
    "LLM_LATENCY_BUCKETS",
    "Client",
    "PrometheusRecorder",
    "RecordError",
    "Variant",
    "bucket",
    "metric_row",
    "record",
]

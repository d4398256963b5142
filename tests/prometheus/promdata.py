"""Synthetic LLM traffic with known ground truth, written as Prometheus series.

Per-request events are drawn first (seeded); the series are what an app instrumented with
autoopt's layout would have exposed at every scrape: cumulative counters and histogram
buckets per (service, version, instance). The same series go to Prometheus (OpenMetrics text
for ``promtool tsdb create-blocks-from openmetrics``) and to VictoriaMetrics (its JSON-lines
import format), and the truth for any scrape-aligned window comes from the events.

What the data holds, as issue 13 asks: two services with two versions each (different latency
and error rates), two instances per version, a counter reset (one instance restarts), a
sparse version whose series start inside the data and whose short windows are empty, and
``le`` spelt ``"1.0"`` by one instance (Python's client) and ``"1"`` by the other (Go's).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCRAPE = 15  # seconds
BOUNDS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, math.inf)


@dataclass(frozen=True)
class Arm:
    service: str
    version: str
    model: str
    rate: float  # requests per second per instance
    latency_mu: float  # lognormal, seconds
    error_rate: float
    quality: float
    first: int = 0  # the scrape index at which its series appear
    reset_at: int | None = None  # instance "b" restarts here (counters from 0)


ARMS = (
    Arm("chat", "v1", "gpt-4o-mini", 0.8, math.log(0.8), 0.02, 82.0, reset_at=240),
    Arm("chat", "v2", "gpt-4o", 0.6, math.log(1.6), 0.05, 88.0),
    Arm("search", "v1", "gpt-4o-mini", 0.5, math.log(0.4), 0.01, 75.0),
    Arm("search", "v2", "gpt-4o-mini", 0.004, math.log(0.5), 0.10, 70.0, first=120),
)
INSTANCES = ("a", "b")
PRICES = {"gpt-4o-mini": (0.15e-6, 0.6e-6), "gpt-4o": (2.5e-6, 10e-6)}


@dataclass
class Events:
    """Every request of one (arm, instance): the scrape interval it fell in and its values."""

    interval: np.ndarray  # j: the request happened in (t0 + (j−1)·s, t0 + j·s]
    latency: np.ndarray  # seconds
    error: np.ndarray
    tokens_in: np.ndarray
    tokens_out: np.ndarray
    cost: np.ndarray
    quality: np.ndarray


@dataclass
class Traffic:
    t0: int
    scrapes: int
    events: dict[tuple[Arm, str], Events] = field(default_factory=dict)

    def time(self, j: int) -> int:
        return self.t0 + j * SCRAPE

    # ------------------------------------------------------------------ truth

    def pooled(self, service: str, version: str, start: int, end: int) -> Events | None:
        """The events of a version in the scrape-aligned window ``(start, end]`` (seconds)."""
        lo, hi = (start - self.t0) // SCRAPE, (end - self.t0) // SCRAPE
        parts = [
            e
            for (arm, _inst), e in self.events.items()
            if arm.service == service and arm.version == version
        ]
        keep = [(e, (e.interval > lo) & (e.interval <= hi)) for e in parts]
        if not keep:
            return None
        return Events(
            *(
                np.concatenate([getattr(e, name)[mask] for e, mask in keep])
                for name in Events.__dataclass_fields__
            )
        )

    # ------------------------------------------------------------------ series

    def series(self) -> Iterator[tuple[str, dict[str, str], list[int], list[float]]]:
        """(metric, labels, timestamps in seconds, values) of every exposed series."""
        for (arm, instance), events in self.events.items():
            labels = {
                "service": arm.service,
                "version": arm.version,
                "instance": instance,
                "model": arm.model,
                "job": "llm-app",
            }
            reset = arm.reset_at if instance == "b" else None
            stamps = list(range(arm.first, self.scrapes + 1))
            times = [self.time(j) for j in stamps]
            per = _per_interval(events, self.scrapes)
            for metric, values in per.items():
                yield metric, labels, times, _cumulative(values, stamps, reset)
            for failed in (False, True):  # the histogram tells failures apart
                outcome = events.error == failed
                for bound in BOUNDS:
                    inside = outcome & (events.latency <= bound)
                    counts = np.bincount(events.interval[inside], minlength=self.scrapes + 1)
                    extra = {"error": "true" if failed else "false", "le": _le(bound, instance)}
                    yield (
                        "llm_request_duration_seconds_bucket",
                        {**labels, **extra},
                        times,
                        _cumulative(counts.astype(float), stamps, reset),
                    )

    def odd(self) -> Iterator[tuple[str, dict[str, str], list[int], list[float]]]:
        """Service "odd": a counter that reads NaN for five scrapes (a broken exporter), and
        a series without a version label (a label mismatch)."""
        stamps = list(range(self.scrapes + 1))
        times = [self.time(j) for j in stamps]
        labels = {"service": "odd", "version": "v1", "instance": "a", "model": "m", "job": "x"}
        values = [float(j) if not 101 <= j <= 105 else math.nan for j in stamps]
        yield "llm_requests_total", labels, times, values
        yield "llm_request_errors_total", labels, times, [0.0] * len(times)
        unlabelled = {k: v for k, v in labels.items() if k != "version"}
        yield (
            "llm_requests_total",
            {**unlabelled, "instance": "c"},
            times,
            [float(j) for j in stamps],
        )

    def openmetrics(self) -> str:
        """The series as OpenMetrics text, one family at a time (promtool's input)."""
        families: dict[str, list[str]] = {}
        for metric, labels, times, values in (*self.series(), *self.odd()):
            family, kind = _family(metric)
            lines = families.setdefault(f"# TYPE {family} {kind}", [])
            text = ",".join(f'{k}="{v}"' for k, v in labels.items())
            lines.extend(
                f"{metric}{{{text}}} {_num(v)} {t}" for t, v in zip(times, values, strict=True)
            )
        out = []
        for head, lines in families.items():
            out.append(head)
            out.extend(lines)
        out.append("# EOF")
        return "\n".join(out) + "\n"

    def jsonlines(self) -> str:
        """The series in VictoriaMetrics' ``/api/v1/import`` format (NaN left out: JSON has
        no NaN)."""
        out = []
        for metric, labels, times, values in (*self.series(), *self.odd()):
            kept = [(t, v) for t, v in zip(times, values, strict=True) if not math.isnan(v)]
            line = {
                "metric": {"__name__": metric, **labels},
                "values": [v for _t, v in kept],
                "timestamps": [t * 1000 for t, _v in kept],
            }
            out.append(json.dumps(line) + "\n")
        return "".join(out)


def _le(bound: float, instance: str) -> str:
    if math.isinf(bound):
        return "+Inf"
    return repr(bound) if instance == "a" else f"{bound:g}"


def _num(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _family(metric: str) -> tuple[str, str]:
    if metric.startswith("llm_request_duration_seconds"):
        return "llm_request_duration_seconds", "histogram"
    if metric.startswith("llm_quality_score"):
        return "llm_quality_score", "summary"
    return metric.removesuffix("_total"), "counter"


def _per_interval(events: Events, scrapes: int) -> dict[str, np.ndarray]:
    def total(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(events.interval, weights=weights, minlength=scrapes + 1)

    return {
        "llm_requests_total": total(),
        "llm_request_errors_total": total(events.error.astype(float)),
        "llm_tokens_input_total": total(events.tokens_in),
        "llm_tokens_output_total": total(events.tokens_out),
        "llm_cost_usd_total": total(events.cost),
        "llm_request_duration_seconds_count": total(),
        "llm_request_duration_seconds_sum": total(events.latency),
        "llm_quality_score_sum": total(events.quality),
        "llm_quality_score_count": total(),
    }


def _cumulative(per: np.ndarray, stamps: list[int], reset: int | None) -> list[float]:
    """The counter at each scrape in ``stamps``; after ``reset`` it restarts from zero."""
    out, value = [], 0.0
    for j in stamps:
        if j == reset:
            value = 0.0
        value += float(per[j]) if j > stamps[0] else 0.0
        out.append(round(value, 9))
    return out


def generate(t0: int, scrapes: int = 480, seed: int = 13) -> Traffic:
    """Two hours (by default) of traffic from ``t0`` (a multiple of the scrape interval)."""
    rng = np.random.default_rng(seed)
    traffic = Traffic(t0, scrapes)
    for arm in ARMS:
        for instance in INSTANCES:
            # a restart: no request in the scrape interval it happens in, so every series
            # of the instance (even a bucket with one request since) visibly drops
            quiet = arm.reset_at if instance == "b" else None
            traffic.events[(arm, instance)] = _draw(arm, scrapes, rng, quiet)
    return traffic


def _draw(arm: Arm, scrapes: int, rng: np.random.Generator, quiet: int | None) -> Events:
    per = rng.poisson(arm.rate * SCRAPE, scrapes + 1)
    per[: arm.first + 1] = 0  # nothing before (or at) the series' first scrape
    if quiet is not None:
        per[quiet] = 0
    interval = np.repeat(np.arange(scrapes + 1), per)
    n = interval.size
    latency = np.round(rng.lognormal(arm.latency_mu, 0.6, n), 3)
    error = rng.random(n) < arm.error_rate
    tokens_in = rng.integers(50, 1500, n).astype(float)
    tokens_out = rng.integers(10, 600, n).astype(float)
    p_in, p_out = PRICES[arm.model]
    cost = tokens_in * p_in + tokens_out * p_out
    quality = np.round(np.clip(rng.normal(arm.quality, 6.0, n), 0, 100), 2)
    return Events(interval, latency, error, tokens_in, tokens_out, cost, quality)


def truth_summary(events: Events) -> dict[str, Any]:
    """What PromQL can know exactly about a window's events."""
    n = int(events.interval.size)
    return {
        "n": n,
        "errors": int(events.error.sum()),
        "tokens_out_mean": float(events.tokens_out.sum() / n),
        "cost_per_request": float(events.cost.sum() / n),
        "quality": float(events.quality.sum() / n),
    }


def rows_csv(traffic: Traffic, seed: int = 5) -> str:
    """The same requests as per-request rows (the files source's canonical CSV), each at a
    random moment inside the scrape interval that counted it."""
    import io

    import pandas as pd

    rng = np.random.default_rng(seed)
    parts = []
    for (arm, _instance), e in traffic.events.items():
        offset = rng.uniform(0.001, SCRAPE - 0.001, e.interval.size)
        seconds = traffic.t0 + (e.interval - 1) * SCRAPE + offset
        parts.append(
            pd.DataFrame(
                {
                    "timestamp": pd.to_datetime(seconds, unit="s", utc=True),
                    "service": arm.service,
                    "version": arm.version,
                    "model": arm.model,
                    "latency_ms": e.latency * 1000,
                    "tokens_in": e.tokens_in,
                    "tokens_out": e.tokens_out,
                    "cost_usd": e.cost,
                    "error": e.error,
                    "quality": e.quality,
                }
            )
        )
    frame = pd.concat(parts).sort_values("timestamp")
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue()

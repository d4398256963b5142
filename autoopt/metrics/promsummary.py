"""Per-version summaries from PromQL answers (:mod:`autoopt.metrics.promstats` for the maths).

Definitions differ from the per-request files in two places, both because a counter cannot
tell requests apart: ``tokens_out_mean`` is over every request (errors included), and the
means' intervals come from the spread between the window's sub-intervals (batch means).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from autoopt.metrics import promlayout as L
from autoopt.metrics.pricing import PricingReport, Rates, rates_for
from autoopt.metrics.promhttp import PromClient
from autoopt.metrics.promread import Grid, Key, Oddities, matrix, moment, totals, vector
from autoopt.metrics.promstats import merge_buckets, per_bucket, quantile_from_buckets
from autoopt.metrics.promstats import ratio_estimate as ratio
from autoopt.metrics.sources import SummaryRead, SummaryRequest
from autoopt.metrics.stats import wilson
from autoopt.metrics.table import RowsReport
from autoopt.spec.models import PriceOverride
from autoopt.values import Candidate, Estimate, Summary, Window

Arrays = dict[Key, NDArray[np.float64]]
_DAY = 86400.0


@dataclass
class WindowData:
    """Every quantity of the services of one window, as the server answered."""

    grid: Grid
    counters: dict[str, Arrays]  # quantity → (service, version[, model]) → per-interval
    buckets: dict[Key, dict[float, float]]  # (service, version) → bound (s) → cumulative
    present_at_start: set[Key]
    odd: Oddities
    queries: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # quantities with no series at all


def _series(layout: L.Layout) -> dict[str, L.Series | None]:
    quality = layout.quality
    return {
        "requests": layout.requests,
        "errors": layout.errors,
        "tokens_in": layout.tokens_in,
        "tokens_out": layout.tokens_out,
        "cost": layout.cost,
        "quality_sum": L.Series(f"{quality}_sum") if quality else None,
        "quality_count": L.Series(f"{quality}_count") if quality else None,
    }


_BY_MODEL = frozenset({"tokens_in", "tokens_out"})


def fetch_window(
    client: PromClient, layout: L.Layout, services: Sequence[str], grid: Grid
) -> WindowData:
    """One query per quantity (for all ``services``), the buckets, and the presence check."""
    sent = len(client.sent)
    odd = Oddities()
    counters: dict[str, Arrays] = {}
    labels = [layout.service, layout.version]
    for name, series in _series(layout).items():
        if series is None:
            continue
        by_model = name in _BY_MODEL
        query = L.increase(layout, series, services, grid.delta, by_model=by_model)
        keys = [*labels, layout.model] if by_model else labels
        counters[name] = matrix(client, query, grid, keys, series.metric, odd)
    span = grid.delta * grid.k
    bucket_rows = vector(
        client,
        L.buckets(layout, services, span),
        grid.end,
        [*labels, "le"],
        f"{layout.latency}_bucket",
        odd,
    )
    buckets: dict[Key, dict[float, float]] = {}
    for (service, version, le), count in bucket_rows.items():
        merged = merge_buckets([(le, count)])
        target = buckets.setdefault((service, version), {})
        for bound, value in merged.items():
            target[bound] = target.get(bound, 0.0) + value
    # a second in: VictoriaMetrics does not see a sample stamped exactly at the query time
    # when it is the series' first
    at = grid.start + 1
    present = vector(client, L.presence(layout, layout.requests, services), at, labels, "", odd)
    missing = [name for name, data in counters.items() if not data]
    data = WindowData(grid, counters, buckets, set(present), odd, missing=missing)
    data.queries = client.sent[sent:]
    return data


def summary_read(
    request: SummaryRequest, data: WindowData, prices: Mapping[str, PriceOverride]
) -> SummaryRead:
    """The :class:`SummaryRead` of one service from its window's data."""
    grid = data.grid
    window = Window(moment(grid.start), moment(grid.end))
    service = request.service
    requests = {k: v for k, v in data.counters.get("requests", {}).items() if k[0] == service}
    report, pricing = RowsReport(), PricingReport()
    read = SummaryRead(service, window, [], report, pricing, queries=list(data.queries))
    read.notes.extend(data.odd.lines())
    traffic = _traffic(requests, grid)
    for key in sorted(requests, key=lambda k: k[1]):
        counts = requests[key]
        if round(float(counts.sum())) <= 0:
            continue
        found, notes = _summary(key, counts, data, prices, pricing, window, traffic)
        params = request.candidates.get(key[1])
        if params is None:
            notes.insert(0, f"version {key[1]} is not in the config's history")
        if key not in data.present_at_start:
            notes.append(
                f"its series start inside the window (after {window.start.isoformat()}): "
                "requests before the first scrape are not counted"
            )
        candidate = Candidate(service, key[1], MappingProxyType(dict(params or {})))
        read.summaries.append(
            Summary(candidate, found[0], found[1], window, MappingProxyType(found[2]), tuple(notes))
        )
        report.accepted += found[0]
    return read


def _traffic(requests: Arrays, grid: Grid) -> float:
    """The service's requests per day over the sub-intervals that carry any."""
    if not requests:
        return 0.0
    every = sum(requests.values())
    busy = np.flatnonzero(np.asarray(every) > 0)
    if busy.size == 0:
        return 0.0
    seconds = max((int(busy[-1]) - int(busy[0]) + 1) * grid.delta, 60.0)
    return float(np.sum(every)) / (seconds / _DAY)


def _summary(
    key: Key,
    counts: NDArray[np.float64],
    data: WindowData,
    prices: Mapping[str, PriceOverride],
    pricing: PricingReport,
    window: Window,
    per_day: float,
) -> tuple[tuple[int, int, dict[str, Estimate]], list[str]]:
    notes: list[str] = []
    n = round(float(counts.sum()))
    errors_found = data.counters.get("errors", {}).get(key)
    if errors_found is None:
        errors_found = np.zeros_like(counts)
        if "errors" in data.counters:
            notes.append("no error series: counted as 0 errors")
    errors = min(round(float(errors_found.sum())), n)
    metrics: dict[str, Estimate | None] = {"error_rate": wilson(errors, n)}
    metrics.update(_latency(data.buckets.get(key), n, notes))
    tokens_out = totals(data.counters.get("tokens_out", {})).get(key)
    if tokens_out is not None:
        metrics["tokens_out_mean"] = ratio(tokens_out, counts)
    cost = _cost(key, counts, data, prices, pricing, window, notes)
    if cost is not None:
        metrics["cost_per_request"] = cost
        metrics["daily_cost_usd"] = _scaled(cost, per_day)
    q_sum = data.counters.get("quality_sum", {}).get(key)
    q_count = data.counters.get("quality_count", {}).get(key)
    if q_sum is not None and q_count is not None:
        metrics["quality"] = ratio(q_sum, q_count)
    else:
        notes.append("no quality scores in the metrics")
    kept = {k: v for k, v in metrics.items() if v is not None}
    return (n, errors, kept), notes


def _latency(
    cumulative: dict[float, float] | None, n: int, notes: list[str]
) -> dict[str, Estimate | None]:
    if not cumulative:
        notes.append("no latency histogram series")
        return {}
    bounds_s, counts = per_bucket(cumulative)
    bounds = tuple(b * 1000.0 for b in bounds_s)
    total = int(counts.sum())
    if n and abs(total - n) > max(1, 0.01 * n):
        notes.append(f"the latency histogram counts {total} requests, the request counter {n}")
    out: dict[str, Estimate | None] = {}
    for name, q in (("latency_p50_ms", 0.5), ("latency_p95_ms", 0.95), ("latency_p99_ms", 0.99)):
        out[name] = quantile_from_buckets(q, bounds, counts)
    p95 = out["latency_p95_ms"]
    if p95 is not None and not math.isfinite(p95.high):
        notes.append(
            f"p95 latency is above the histogram's highest finite bucket ({bounds[-2]:g} ms): "
            "its interval is open"
        )
    return out


def _cost(
    key: Key,
    counts: NDArray[np.float64],
    data: WindowData,
    prices: Mapping[str, PriceOverride],
    pricing: PricingReport,
    window: Window,
    notes: list[str],
) -> Estimate | None:
    given = data.counters.get("cost", {}).get(key)
    if given is not None:
        pricing.given += round(float(counts.sum()))
        return ratio(given, counts)
    priced = _priced(key, data, prices, pricing, window, round(float(counts.sum())))
    if priced is None:
        notes.append("cost unknown (no cost series, and no price for the models' tokens)")
        return None
    return ratio(priced, counts)


def _priced(
    key: Key,
    data: WindowData,
    prices: Mapping[str, PriceOverride],
    pricing: PricingReport,
    window: Window,
    n: int,
) -> NDArray[np.float64] | None:
    """Per-interval cost from the tokens per model and the prices (None if any is unknown)."""
    tokens_in = {k[2]: v for k, v in data.counters.get("tokens_in", {}).items() if k[:2] == key}
    tokens_out = {k[2]: v for k, v in data.counters.get("tokens_out", {}).items() if k[:2] == key}
    models = sorted(set(tokens_in) | set(tokens_out))
    if not models:
        return None
    day = window.end.astimezone(UTC).date()
    cost = np.zeros(data.grid.k)
    for model in models:
        rates: Rates | None = rates_for(model, overrides=prices, day=day)
        t_in = tokens_in.get(model, np.zeros(data.grid.k))
        t_out = tokens_out.get(model, np.zeros(data.grid.k))
        if rates is None:
            name = model or "(no model label)"
            pricing.unknown[name] = pricing.unknown.get(name, 0) + n
            return None
        pricing.used.setdefault(model, rates)
        cost = cost + t_in * rates.base.input + t_out * rates.base.output
    return cost


def _scaled(estimate: Estimate, factor: float) -> Estimate:
    se = estimate.se * factor if estimate.se is not None and math.isfinite(estimate.se) else None
    return Estimate(estimate.value * factor, estimate.low * factor, estimate.high * factor, se)

"""The judge's stable/canary samples from Prometheus: per-interval counts and buckets.

All rollouts of a run share one time grid of ``Δ`` (the smallest requested interval, a whole
number of the settings' ``step``; the step itself when no interval is asked), aligned to
multiples of ``Δ`` since the epoch. Three range queries per grid (and per distinct
``stable_shift``, read with ``offset``) serve every rollout at once: requests, errors, and
the latency histogram's buckets, each ``sum by (service, version[, le]) (increase(…[Δ]))``.

A grid piece ``(t − Δ, t]`` belongs to the stage whose window holds its midpoint, and to the
``interval``-long chunk (counted from the stage's start) that holds it; with no interval, a
stage is one chunk. Each chunk becomes an :class:`~autoopt.values.Interval` whose arms carry
``n``, ``errors`` and ``latency_hist`` (the successful requests' latencies where the layout
tells them apart: ``error!="true"`` in autoopt's, ``error_type=""`` in OTel's) and no
per-request latencies; quality and cost are not in them (counters carry no per-request
spread), which the read's notes say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from autoopt.metrics import promlayout as L
from autoopt.metrics.pricing import PricingReport
from autoopt.metrics.promhttp import PromClient
from autoopt.metrics.promread import Grid, Key, Oddities, epoch, matrix
from autoopt.metrics.promstats import parse_le, per_bucket
from autoopt.metrics.sources import ArmsRead, ArmsRequest
from autoopt.metrics.table import RowsReport
from autoopt.values import ArmSample, Interval, LatencyHistogram, StageObservation

if TYPE_CHECKING:
    from numpy.typing import NDArray

MAX_POINTS = 1440  # grid pieces per query; rollouts further apart get their own grid
_NO_LATENCIES = np.empty(0, dtype="float64")


@dataclass
class _Read:
    """One grid's answers, for one shift: key → per-piece values."""

    requests: dict[Key, NDArray[np.float64]]
    errors: dict[Key, NDArray[np.float64]]
    buckets: dict[Key, dict[float, NDArray[np.float64]]]  # (service, version) → bound → pieces


def _delta(requests: Sequence[ArmsRequest], step: float) -> float:
    asked = [r.interval.total_seconds() for r in requests if r.interval and r.interval.days >= 0]
    smallest = min([a for a in asked if a > 0], default=step)
    return max(round(smallest / step), 1) * step


def _span(request: ArmsRequest) -> tuple[float, float]:
    shift = request.stable_shift.total_seconds()
    starts = [epoch(w.start) for w in request.stages.values()]
    ends = [epoch(w.end) for w in request.stages.values()]
    return min(starts) - shift, max(ends)


def _grids(requests: Sequence[ArmsRequest], delta: float) -> list[tuple[Grid, list[int]]]:
    """Requests grouped so that each group's grid has at most MAX_POINTS pieces."""
    spans = {i: _span(r) for i, r in enumerate(requests) if r.stages}
    groups: list[tuple[float, float, list[int]]] = []
    for i in sorted(spans, key=lambda j: spans[j][0]):
        lo, hi = spans[i]
        if groups and (max(groups[-1][1], hi) - groups[-1][0]) / delta <= MAX_POINTS:
            start, end, members = groups[-1]
            groups[-1] = (start, max(end, hi), [*members, i])
        else:
            groups.append((lo, hi, [i]))
    out = []
    for lo, hi, members in groups:
        end = math.floor(hi / delta) * delta
        start = math.floor(lo / delta) * delta
        out.append((Grid(end, delta, max(round((end - start) / delta), 1)), members))
    return out


def _fetch(
    client: PromClient,
    layout: L.Layout,
    services: Sequence[str],
    grid: Grid,
    shift: float,
    odd: Oddities,
) -> _Read:
    labels = [layout.service, layout.version]
    delta = grid.delta

    def counter(series: L.Series | None) -> dict[Key, NDArray[np.float64]]:
        if series is None:
            return {}
        query = L.increase(layout, series, services, delta, shift=shift)
        return matrix(client, query, grid, labels, series.metric, odd)

    requests, errors = counter(layout.requests), counter(layout.errors)
    query = L.buckets(layout, services, delta, shift=shift, successes=True)
    rows = matrix(client, query, grid, [*labels, "le"], f"{layout.latency}_bucket", odd)
    buckets: dict[Key, dict[float, NDArray[np.float64]]] = {}
    for (service, version, le), values in rows.items():
        target = buckets.setdefault((service, version), {})
        bound = parse_le(le)
        target[bound] = target[bound] + values if bound in target else values
    return _Read(requests, errors, buckets)


def arms(
    client: PromClient,
    layout: L.Layout,
    step: float,
    requests: Sequence[ArmsRequest],
    source: Any,
) -> ArmsRead:
    """One :class:`StageObservation` per request, in order."""
    sent, odd = len(client.sent), Oddities()
    delta = _delta(requests, step)
    found: list[StageObservation] = [StageObservation(()) for _ in requests]
    accepted = 0
    for grid, members in _grids(requests, delta):
        services = sorted({requests[i].service for i in members})
        shifts = sorted({0.0, *(_shift(requests[i], delta) for i in members)})
        reads = {s: _fetch(client, layout, services, grid, s, odd) for s in shifts}
        for i in members:
            request = requests[i]
            stable = reads[_shift(request, delta)]
            found[i], n = _observation(request, grid, stable, reads[0.0])
            accepted += n
    read = ArmsRead(found, RowsReport(accepted=accepted), PricingReport(), source.description)
    read.notes = [
        *odd.lines(),
        "from aggregates: latency as histogram buckets; quality and cost are not judged "
        "(counters carry no per-request spread)",
    ]
    read.queries = client.sent[sent:]
    return read


def _shift(request: ArmsRequest, delta: float) -> float:
    return round(request.stable_shift.total_seconds() / delta) * delta


def _observation(
    request: ArmsRequest, grid: Grid, stable: _Read, current: _Read
) -> tuple[StageObservation, int]:
    times = grid.times()
    mids = times - grid.delta / 2
    chunks: dict[tuple[int, int], list[int]] = {}
    for stage in sorted(request.stages):
        window = request.stages[stage]
        lo, hi = epoch(window.start), epoch(window.end)
        size = request.interval.total_seconds() if request.interval else math.inf
        for j in np.flatnonzero((mids >= lo) & (mids < hi)).tolist():
            piece = 0 if math.isinf(size) or size <= 0 else int((mids[j] - lo) // size)
            chunks.setdefault((stage, piece), []).append(j)
    intervals, total = [], 0
    s_key, c_key = (request.service, request.stable), (request.service, request.canary)
    for (stage, _piece), pieces in sorted(chunks.items()):
        s_arm = _sample(stable, s_key, pieces)
        c_arm = _sample(current, c_key, pieces)
        if s_arm.n == 0 and c_arm.n == 0:
            continue
        total += s_arm.n + c_arm.n
        intervals.append(Interval(stage=stage, stable=s_arm, canary=c_arm))
    return StageObservation(tuple(intervals)), total


def _empty() -> ArmSample:
    return ArmSample(n=0, errors=0, latencies_ms=_NO_LATENCIES)


def _sample(read: _Read, key: Key, pieces: list[int]) -> ArmSample:
    counts = read.requests.get(key)
    if counts is None:
        return _empty()
    n = round(float(counts[pieces].sum()))
    errors_found = read.errors.get(key)
    errors = round(float(errors_found[pieces].sum())) if errors_found is not None else 0
    hist = None
    cumulative = {b: float(v[pieces].sum()) for b, v in read.buckets.get(key, {}).items()}
    if cumulative:
        bounds_s, per = per_bucket(cumulative)
        hist = LatencyHistogram(tuple(b * 1000.0 for b in bounds_s), per)
    return ArmSample(n=n, errors=min(errors, n), latencies_ms=_NO_LATENCIES, latency_hist=hist)

"""The judge's observations for many rollouts in one scan (the protocol's ``arms``).

Every request's two arms and stage windows become two small tables; one join cuts the
services' rows into (request, stage, piece, arm) and each group becomes an
:class:`~autoopt.values.ArmSample` — the numbers :func:`autoopt.metrics.arms.observation` gives
for the same rows (tested equal).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from autoopt.metrics.pushdown import TS, plain, window_sql
from autoopt.metrics.sources import ArmsRead, ArmsRequest
from autoopt.values import ArmSample, Interval, StageObservation, Window

if TYPE_CHECKING:
    from autoopt.metrics.store import Store

_US = timedelta(microseconds=1)


def _micros(delta: timedelta) -> int:
    return delta // _US


def _tables(store: Store, requests: Sequence[ArmsRequest]) -> None:
    store.execute(
        "CREATE OR REPLACE TEMP TABLE arm (req INTEGER, arm TINYINT, service VARCHAR, "
        "version VARCHAR, shift BIGINT)"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE stage (req INTEGER, stage INTEGER, lo BIGINT, hi BIGINT, "
        "step BIGINT)"
    )
    arms, stages = [], []
    for i, r in enumerate(requests):
        arms += [
            (i, 0, r.service, r.stable, _micros(r.stable_shift)),
            (i, 1, r.service, r.canary, 0),
        ]
        step = _micros(r.interval) if r.interval and r.interval > timedelta(0) else None
        for k, w in r.stages.items():
            stages.append((i, int(k), _epoch_us(w.start), _epoch_us(w.end), step))
    store.con.executemany("INSERT INTO arm VALUES (?, ?, ?, ?, ?)", arms)
    if stages:
        store.con.executemany("INSERT INTO stage VALUES (?, ?, ?, ?, ?)", stages)


def _epoch_us(moment: Any) -> int:
    from autoopt.metrics.pushdown import _EPOCH

    return _micros(moment - _EPOCH)


def _span(requests: Sequence[ArmsRequest]) -> Window | None:
    starts = [w.start - r.stable_shift for r in requests for w in r.stages.values()]
    ends = [w.end for r in requests for w in r.stages.values()]
    return Window(min(starts), max(ends)) if starts else None


def arms(store: Store, requests: Sequence[ArmsRequest]) -> ArmsRead:
    """One :class:`StageObservation` per request; the rows of the requested services inside
    the stage windows are accounted for."""
    span = _span(requests)
    services = sorted({r.service for r in requests})
    inside = window_sql(span) if span is not None else "false"
    table = store.scope(services, where=f"{TS} IS NULL OR ({inside})")
    _tables(store, requests)
    at = f"epoch_us(t.{TS}) + a.shift"
    data = store.execute(
        f"SELECT a.req, g.stage, CASE WHEN g.step IS NULL THEN 0 ELSE ({at} - g.lo) // g.step "
        "END AS piece, a.arm, t.error, t.latency_ms, t.quality, t.cost_usd "
        f"FROM {table} t JOIN arm a ON t.service = a.service AND t.version = a.version "
        f"JOIN stage g ON g.req = a.req AND {at} >= g.lo AND {at} < g.hi "
        "WHERE t.reason = 0 ORDER BY a.req, g.stage, piece, a.arm"
    ).fetchnumpy()
    report = store.accounting(table, "true")
    (accepted,) = store.execute(f"SELECT count(*) FROM {table} WHERE reason = 0").fetchone()
    report.accepted = int(accepted)
    from autoopt.metrics.costs import report as pricing

    priced = pricing(store.con, table, "true", store.used)
    store.drop(table)
    observations = _observations(data, len(requests))
    return ArmsRead(observations, report, priced, store.description, list(store.notes))


def _observations(data: dict[str, Any], count: int) -> list[StageObservation]:
    columns = {c: plain(v) for c, v in data.items()}
    keys = np.stack([np.asarray(columns[c], dtype="int64") for c in ("req", "stage", "piece")])
    found: list[list[Interval]] = [[] for _ in range(count)]
    if keys.shape[1] == 0:
        return [StageObservation(()) for _ in range(count)]
    change = np.flatnonzero(np.any(keys[:, 1:] != keys[:, :-1], axis=0)) + 1
    bounds = [0, *change.tolist(), keys.shape[1]]
    arm = np.asarray(columns["arm"], dtype="int64")
    for start, end in pairwise(bounds):
        rows = np.arange(start, end)
        req, stage = int(keys[0, start]), int(keys[1, start])
        pick = {c: columns[c][rows] for c in ("error", "latency_ms", "quality", "cost_usd")}
        which = arm[rows]
        found[req].append(
            Interval(
                stage=stage,
                stable=sample({c: v[which == 0] for c, v in pick.items()}),
                canary=sample({c: v[which == 1] for c, v in pick.items()}),
            )
        )
    return [StageObservation(tuple(f)) for f in found]


def sample(columns: dict[str, Any]) -> ArmSample:
    """The sufficient statistics of one arm's rows (latencies of successes, finite only)."""
    return arm_of(
        np.asarray(columns["error"], dtype=bool),
        np.asarray(columns["latency_ms"], dtype="float64"),
        _finite(columns["quality"]),
        _finite(columns["cost_usd"]),
    )


def arm_of(errors: Any, latency: Any, quality: Any, cost: Any) -> ArmSample:
    """One arm from per-request ``errors`` and ``latency`` and the finite ``quality``/``cost``.

    The judge sees the latency of successful requests only, finite ones; quality and cost as
    count, sum and sum of squares. Every row-based source builds its arms here.
    """
    kept = latency[~errors]
    kept = kept[np.isfinite(kept)]
    return ArmSample(
        n=int(errors.size),
        errors=int(errors.sum()),
        latencies_ms=kept,
        quality_n=int(quality.size),
        quality_sum=float(quality.sum()),
        quality_sumsq=float(np.square(quality).sum()),
        cost_n=int(cost.size),
        cost_sum=float(cost.sum()),
        cost_sumsq=float(np.square(cost).sum()),
    )


def _finite(values: Any) -> Any:
    array = np.asarray(values, dtype="float64")
    return array[np.isfinite(array)]

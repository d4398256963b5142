"""Plain runs and what-if runs: stable and a candidate on the same simulated requests.

Simulated traffic is summarised by the same code that summarises production
(``autoopt.metrics.summarise``), so both read alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

import simulator
from autoopt.errors import SimulationError
from autoopt.metrics import summarise
from autoopt.values import Z95, Estimate, Summary, Window

#: Called with the fraction of the work done, in (0, 1].
Progress = Callable[[float], None]

#: Metrics shown by what-if comparisons, in order.
SHOWN = (
    "error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "ttft_p95_ms",
    "cost_per_request",
    "daily_cost_usd",
    "quality",
    "tokens_out_mean",
)


@dataclass(frozen=True)
class Comparison:
    """One metric for both arms; ``delta`` is relative (absolute for ``error_rate``)."""

    metric: str
    stable: Estimate | None
    candidate: Estimate | None
    delta: Estimate | None  # None when not comparable (unmeasured, or stable is 0)


@dataclass(frozen=True)
class WhatIf:
    scenario: str
    seed: int
    replicas: int
    duration: timedelta
    stable: str
    candidate: str
    candidate_params: Mapping[str, Any]
    requests: int  # per arm, over all replicas
    rows: tuple[Comparison, ...]
    events: Mapping[str, int] = field(default_factory=dict)

    def row(self, metric: str) -> Comparison:
        return next(r for r in self.rows if r.metric == metric)


@dataclass(frozen=True)
class Run:
    """A scenario simulated as written: one summary per version seen."""

    scenario: str
    seed: int
    duration: timedelta
    summaries: tuple[Summary, ...]
    events: Mapping[str, int]
    frame: pd.DataFrame


def summarise_frame(
    frame: pd.DataFrame, service: str, start: datetime, seconds: float
) -> list[Summary]:
    window = Window(start, start + timedelta(seconds=seconds))
    return summarise(frame, service, {}, window)


def run(scenario: simulator.Scenario, *, seed: int, progress: Progress | None = None) -> Run:
    """Simulate a scenario as written (its variants, faults and traffic)."""
    result = simulator.run_scenario(scenario, seed=seed, progress=progress)
    spec = scenario.spec
    summaries = summarise_frame(result.frame, spec.service, spec.start, spec.duration)
    if not summaries:
        raise SimulationError("the scenario produced no requests; lengthen --duration")
    return Run(
        scenario=scenario.metadata.name,
        seed=seed,
        duration=timedelta(seconds=spec.duration),
        summaries=tuple(summaries),
        events=event_counts(result.events),
        frame=result.frame,
    )


def replica_seeds(seed: int, replicas: int) -> list[int]:
    """Independent seeds for ``replicas`` runs, derived from ``seed`` (the first is ``seed``)."""
    spawned = np.random.SeedSequence(seed).spawn(max(replicas - 1, 0))
    return [seed, *(int(s.generate_state(1)[0]) for s in spawned)]


def what_if(
    scenario: simulator.Scenario,
    candidate: simulator.Params,
    *,
    candidate_version: str,
    seed: int,
    replicas: int = 1,
    progress: Progress | None = None,
) -> tuple[WhatIf, pd.DataFrame]:
    """Stable and candidate each on all the traffic of the same requests (common random
    numbers), ``replicas`` times with independent seeds. The first replica uses ``seed``, so
    its stable arm is exactly the plain run of the stable-only scenario with that seed.

    Returns the comparison and the generated metrics (both arms, all replicas, with a
    ``replica`` column).
    """
    from autoopt.simulate.scenarios import with_stable

    stable = scenario.spec.variants.stable
    scenario = with_stable(scenario, stable.params, stable.version)
    spec = scenario.spec
    if candidate_version == spec.variants.stable.version:
        raise SimulationError(f"the candidate's version {candidate_version!r} is the stable's")
    pairs: list[tuple[Summary, Summary]] = []
    frames, events = [], dict[str, int]()
    seeds = replica_seeds(seed, replicas)
    for i, replica_seed in enumerate(seeds):
        base, other = simulator.run_paired(
            scenario, candidate, seed=replica_seed, version=candidate_version
        )
        a = summarise_frame(base.frame, spec.service, spec.start, spec.duration)
        b = summarise_frame(other.frame, spec.service, spec.start, spec.duration)
        if not a or not b:
            raise SimulationError("the scenario produced no requests; lengthen --duration")
        pairs.append((a[0], b[0]))
        frames += [base.frame.assign(replica=i), other.frame.assign(replica=i)]
        for kind, count in event_counts(other.events).items():
            events[kind] = events.get(kind, 0) + count
        if progress is not None:
            progress((i + 1) / len(seeds))
    result = WhatIf(
        scenario=scenario.metadata.name,
        seed=seed,
        replicas=replicas,
        duration=timedelta(seconds=spec.duration),
        stable=spec.variants.stable.version,
        candidate=candidate_version,
        candidate_params=candidate.model_dump(mode="json"),
        requests=sum(s.n for s, _ in pairs),
        rows=tuple(compare(metric, pairs) for metric in SHOWN),
        events=events,
    )
    return result, pd.concat(frames, ignore_index=True)


def compare(metric: str, pairs: Sequence[tuple[Summary, Summary]]) -> Comparison:
    """Pool replicas. One replica: each arm's own interval, and the delta's interval from
    the two standard errors (conservative: it ignores the positive correlation common
    random numbers create). Several: t-intervals over the replicas, the delta from the
    paired per-replica differences (which does use the correlation)."""
    stable = [s.get(metric) for s, _ in pairs]
    cand = [c.get(metric) for _, c in pairs]
    if any(e is None for e in (*stable, *cand)):
        return Comparison(metric, _pool(stable), _pool(cand), None)
    absolute = metric == "error_rate"
    diffs = []
    for s, c in zip(stable, cand, strict=True):
        assert s is not None and c is not None
        if absolute:
            diffs.append(c.value - s.value)
        elif s.value != 0:
            diffs.append(c.value / s.value - 1.0)
    if len(diffs) != len(pairs):
        return Comparison(metric, _pool(stable), _pool(cand), None)
    single = len(pairs) == 1
    delta = _single_delta(stable[0], cand[0], absolute) if single else _t_interval(diffs)
    return Comparison(metric, _pool(stable), _pool(cand), delta)


def _pool(estimates: Sequence[Estimate | None]) -> Estimate | None:
    present = [e for e in estimates if e is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return _t_interval([e.value for e in present])


def _t_interval(values: Sequence[float]) -> Estimate:
    from scipy import stats

    n = len(values)
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, sd / math.sqrt(n))


def _single_delta(stable: Estimate | None, cand: Estimate | None, absolute: bool) -> Estimate:
    assert stable is not None and cand is not None
    if absolute:
        value = cand.value - stable.value
        se = math.hypot(stable.stderr, cand.stderr)
    else:
        ratio = cand.value / stable.value
        value = ratio - 1.0
        rel = math.hypot(stable.stderr / stable.value, cand.stderr / max(cand.value, 1e-12))
        se = abs(ratio) * rel
    if not math.isfinite(se):
        return Estimate(value, -math.inf, math.inf)
    return Estimate(value, value - Z95 * se, value + Z95 * se, se)


def event_counts(events: Sequence[Any]) -> dict[str, int]:
    """Events by kind (``rate_limited`` counts the 429s, not the minutes)."""
    counts: dict[str, int] = {}
    for event in events:
        weight = int(event.value) if event.kind == "rate_limited" else 1
        counts[event.kind] = counts.get(event.kind, 0) + weight
    return counts

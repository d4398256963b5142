"""The one adapter between autoopt and the ``simulator`` package.

It turns autoopt's documents into scenarios (by calibration on the user's metrics), runs
what-if comparisons on common random numbers, and summarises simulated traffic with the same
code that summarises production (``autoopt.metrics.summarise``), so both read alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoopt.errors import Location, Problem, SimulationError, SpecError
from autoopt.metrics import summarise
from autoopt.spec.models import Params
from autoopt.values import METRICS, Estimate, Summary, Window

if TYPE_CHECKING:
    import pandas as pd

    import simulator

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


def sim_params(params: Params) -> simulator.Params:
    """autoopt's params as the simulator's (the fields that change simulated behaviour)."""
    import simulator

    data: dict[str, Any] = {"model": params.model}
    if params.max_tokens is not None:
        data["max_tokens"] = params.max_tokens
    if params.retries is not None:
        data["retries"] = params.retries
    if params.timeout is not None:
        data["timeout_s"] = params.timeout.total_seconds()
    if params.fallbacks:
        data["fallbacks"] = tuple(params.fallbacks)
    if params.temperature is not None:
        data["temperature"] = params.temperature
    return simulator.Params.model_validate(data)


def load_scenario(path: Path) -> simulator.Scenario:
    """Load a scenario file; its located errors become autoopt's :class:`SpecError`."""
    import simulator

    try:
        return simulator.load_scenario(path)
    except simulator.ScenarioError as exc:
        raise SpecError(
            [Problem(Location(p.path, p.line, p.col), p.field, p.message) for p in exc.problems]
        ) from None


def scenario_from_library(name: str) -> simulator.Scenario:
    import simulator

    known = simulator.list_scenarios()
    if name not in known:
        raise SimulationError(f"no scenario named {name!r} (known: {', '.join(known)})")
    return load_scenario(simulator.scenario_path(name))


def calibrated(
    frame: pd.DataFrame,
    *,
    service: str,
    stable_version: str,
    stable: Params,
    duration: timedelta | None = None,
    start: datetime | None = None,
) -> simulator.Scenario:
    """A scenario fitted to ``service``'s metrics, with the config's stable version as the only
    variant; the traffic profile, token shapes and model behaviour come from the data."""
    import simulator

    rows = frame.loc[frame["service"] == service]
    if rows.empty:
        raise SimulationError(f"no metrics rows for service {service!r} to calibrate from")
    fitted = simulator.calibrate(rows, service=service)
    overrides: dict[str, Any] = {}
    if duration is not None:
        overrides["duration"] = duration.total_seconds()
    if start is not None:
        overrides["start"] = start
    scenario = replace_spec(fitted, **overrides)
    require_models(scenario, [stable])
    return simulator.with_stable(scenario, sim_params(stable), version=stable_version)


def replace_spec(scenario: simulator.Scenario, **changes: Any) -> simulator.Scenario:
    """A copy of ``scenario`` with top-level ``spec`` fields replaced (validated again)."""
    import simulator

    data = scenario.model_dump()
    data["spec"].update(changes)
    out = simulator.Scenario.model_validate(data)
    out._base_dir = scenario._base_dir
    return out


def require_models(scenario: simulator.Scenario, params: Sequence[Params]) -> None:
    known = scenario.spec.models
    for p in params:
        for model in (p.model, *(p.fallbacks or ())):
            if model not in known:
                raise SimulationError(
                    f"model {model!r} has no behaviour in the scenario (the metrics have no rows "
                    f"for it); known: {', '.join(sorted(known))}. Give --scenario FILE that "
                    "describes it"
                )


# ------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Comparison:
    metric: str
    stable: Estimate | None
    candidate: Estimate | None
    delta: Estimate | None  # relative (absolute for error_rate), None when not comparable


@dataclass(frozen=True)
class WhatIf:
    scenario: str
    seed: int
    replicas: int
    duration: timedelta
    stable: str
    candidate: str
    requests: int
    rows: tuple[Comparison, ...]
    events: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
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


def run(scenario: simulator.Scenario, *, seed: int, progress: Any = None) -> Run:
    """Simulate a scenario as written (its variants, faults and traffic)."""
    import simulator

    result = simulator.run_scenario(scenario, seed=seed, progress=progress)
    spec = scenario.spec
    summaries = summarise_frame(result.frame, spec.service, spec.start, spec.duration)
    return Run(
        scenario=scenario.metadata.name,
        seed=seed,
        duration=timedelta(seconds=spec.duration),
        summaries=tuple(summaries),
        events=_event_counts(result.events),
        frame=result.frame,
    )


def what_if(
    scenario: simulator.Scenario,
    candidate: Params,
    *,
    candidate_version: str,
    seed: int,
    replicas: int = 1,
) -> tuple[WhatIf, pd.DataFrame]:
    """Stable and candidate on the same requests, ``replicas`` times with independent seeds.

    Returns the comparison and the generated metrics (both arms, all replicas).
    """
    import numpy as np
    import pandas as pd

    import simulator

    require_models(scenario, [candidate])
    spec = scenario.spec
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(replicas)]
    pairs: list[tuple[Summary, Summary]] = []
    frames, events = [], dict[str, int]()
    for replica_seed in seeds:
        base, other = simulator.run_paired(
            scenario, sim_params(candidate), seed=replica_seed, version=candidate_version
        )
        a = summarise_frame(base.frame, spec.service, spec.start, spec.duration)
        b = summarise_frame(other.frame, spec.service, spec.start, spec.duration)
        if not a or not b:
            raise SimulationError("the scenario produced no requests; lengthen --duration")
        pairs.append((a[0], b[0]))
        frames += [
            base.frame.assign(replica=replica_seed),
            other.frame.assign(replica=replica_seed),
        ]
        for kind, count in _event_counts(other.events).items():
            events[kind] = events.get(kind, 0) + count
    rows = tuple(compare(metric, pairs) for metric in SHOWN)
    result = WhatIf(
        scenario=scenario.metadata.name,
        seed=seed,
        replicas=replicas,
        duration=timedelta(seconds=spec.duration),
        stable=spec.variants.stable.version,
        candidate=candidate_version,
        requests=sum(s.n for s, _ in pairs),
        rows=rows,
        events=events,
    )
    return result, pd.concat(frames, ignore_index=True)


def compare(metric: str, pairs: Sequence[tuple[Summary, Summary]]) -> Comparison:
    """Pool replicas: with one replica, each run's own intervals; with more, t-intervals over
    the replicas (the between-run spread), and the delta from the paired differences."""
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
    delta = _t_interval(diffs) if len(diffs) == len(pairs) else None
    if delta is not None and len(pairs) == 1:
        delta = _single_delta(stable[0], cand[0], absolute)
    return Comparison(metric, _pool(stable), _pool(cand), delta)


def _pool(estimates: Sequence[Estimate | None]) -> Estimate | None:
    present = [e for e in estimates if e is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return _t_interval([e.value for e in present])


def _t_interval(values: Sequence[float]) -> Estimate | None:
    if not values:
        return None
    n = len(values)
    mean = math.fsum(values) / n
    if n == 1:
        return Estimate(mean, mean, mean)
    from scipy import stats

    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, sd / math.sqrt(n))


def _single_delta(stable: Estimate | None, cand: Estimate | None, absolute: bool) -> Estimate:
    """One replica: the delta's interval from the two runs' standard errors (delta method)."""
    assert stable is not None and cand is not None
    if absolute:
        value = cand.value - stable.value
        se = math.hypot(stable.stderr, cand.stderr)
    else:
        value = cand.value / stable.value - 1.0
        ratio = cand.value / stable.value
        rel = math.hypot(stable.stderr / stable.value, cand.stderr / max(cand.value, 1e-12))
        se = abs(ratio) * rel
    if not math.isfinite(se):
        return Estimate(value, -math.inf, math.inf)
    return Estimate(value, value - 1.959964 * se, value + 1.959964 * se, se)


def _event_counts(events: Sequence[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        weight = int(event.value) if event.kind == "rate_limited" else 1
        counts[event.kind] = counts.get(event.kind, 0) + weight
    return counts


def metric_direction(metric: str) -> str:
    return METRICS[metric][0] if metric in METRICS else "lower"

"""``run_scenario`` and ``run_paired``: the SimPy control plane around the data plane."""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import simpy

from simulator.arrivals import arrivals
from simulator.distributions import sample_tokens
from simulator.engine import DataPlane, RequestDraws
from simulator.frame import build_frame
from simulator.rollout import Event, EventLog, Judge, fault_process, rollout_process
from simulator.scenario import Params, Scenario

Progress = Callable[[float], None]
_TICK = 600.0  # the data plane catches up at least this often (simulated seconds)


@dataclass(frozen=True)
class SimResult:
    frame: pd.DataFrame  # the canonical metrics table, one row per request, by arrival
    events: tuple[Event, ...]
    seed: int

    def events_frame(self) -> pd.DataFrame:
        cols = ["at", "kind", "target", "value", "detail"]
        return pd.DataFrame([[getattr(e, c) for c in cols] for e in self.events], columns=cols)


def draw_requests(scenario: Scenario, seed: int) -> RequestDraws:
    """Arrival times and token counts (independent of the configuration)."""
    spec = scenario.spec
    requests, split = np.random.SeedSequence(seed).spawn(3)[:2]
    rng = np.random.default_rng(requests)
    t = arrivals(scenario, rng)
    tokens_in = sample_tokens(spec.requests.tokens_in, t.size, rng)
    tokens_out = sample_tokens(spec.requests.tokens_out, t.size, rng)
    return RequestDraws(t, split, tokens_in, tokens_out)


@contextmanager
def _small_pages() -> Iterator[None]:
    """Turn off numpy's ``madvise(MADV_HUGEPAGE)`` of large arrays while simulating.

    A run touches about a gigabyte of fresh memory for an 8.6M-row day. With transparent huge
    pages in ``madvise`` mode (a common default) every huge-page fault may compact memory first,
    which made a day 1.5 s (≈40 %) slower on the benchmark machine than plain 4 KiB pages.
    The setting is numpy's process-wide flag, restored on the way out.
    """
    from numpy._core import multiarray

    toggle: Callable[[bool], bool] | None = getattr(multiarray, "_set_madvise_hugepage", None)
    if toggle is None:  # another numpy: leave its memory policy alone
        yield
        return
    previous = toggle(False)
    try:
        yield
    finally:
        toggle(previous)


def _attempts_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])


def run_scenario(
    scenario: Scenario, *, seed: int, judge: Judge | None = None, progress: Progress | None = None
) -> SimResult:
    """Simulate ``scenario``; every random draw comes from ``numpy.random.default_rng(seed)``'s
    seed sequence. With a ``rollout:`` section and a ``judge``, the judge drives the canary
    weight; without a judge the canary keeps the first step's weight."""
    with _small_pages():
        draws = draw_requests(scenario, seed)
        return _simulate(scenario, draws, _attempts_rng(seed), seed, judge, progress)


def _ticker(
    env: simpy.Environment, plane: DataPlane, total: float, progress: Progress | None
) -> Generator[Any, Any, None]:
    while env.now + _TICK < total:  # the run's end is reported once everything is done
        yield env.timeout(_TICK)
        plane.advance(env.now)
        if progress is not None:
            progress(env.now / total)


def _simulate(
    scenario: Scenario,
    draws: RequestDraws,
    rng: np.random.Generator,
    seed: int,
    judge: Judge | None,
    progress: Progress | None,
) -> SimResult:
    spec = scenario.spec
    plane = DataPlane(scenario, draws, rng)
    log = EventLog(spec.start)
    env = simpy.Environment()
    if spec.variants.canary is not None:
        plane.weight = spec.variants.canary.weight
        if spec.rollout is not None:
            plane.weight = spec.rollout.steps[0]
    env.process(_ticker(env, plane, spec.duration, progress))
    for i in range(len(spec.faults)):
        env.process(fault_process(env, log, i, plane))
    if spec.rollout is not None and judge is not None:

        def frame_since(since: float, now: float) -> pd.DataFrame:
            return _frame_since(plane, since, now)

        env.process(rollout_process(env, plane, judge, log, frame_since))
    env.run(until=spec.duration)
    plane.advance(spec.duration)
    plane.drain()
    if progress is not None:
        progress(1.0)
    _log_rate_limits(plane, log)
    frame = build_frame(plane, slice(None))
    events = sorted(log.events, key=lambda e: e.at)
    return SimResult(frame, tuple(events), seed)


def _frame_since(plane: DataPlane, since: float, now: float) -> pd.DataFrame:
    lo = int(np.searchsorted(plane.draws.arrival, since, side="left"))
    hi = int(np.searchsorted(plane.draws.arrival, now, side="left"))
    r = plane.results
    idx = np.arange(lo, hi)
    finished = plane.draws.arrival[idx] + r.latency_ms[idx] / 1000.0
    idx = idx[r.done[idx] & (finished <= now)]
    return build_frame(plane, idx)


def _log_rate_limits(plane: DataPlane, log: EventLog) -> None:
    """One ``rate_limited`` event per model and minute with the number of 429s."""
    for name, parts in zip(plane.model_names, plane.limited_at, strict=True):
        if not parts:
            continue
        minutes, counts = np.unique(np.concatenate(parts) // 60.0, return_counts=True)
        for m, c in zip(minutes.tolist(), counts.tolist(), strict=True):
            log.add(m * 60.0, "rate_limited", name, float(c), "429 responses in this minute")


def with_stable(scenario: Scenario, params: Params, *, version: str = "candidate") -> Scenario:
    """The scenario with ``params`` as its only variant (no canary, no rollout)."""
    spec = scenario.spec.model_dump()
    spec["variants"]["stable"] = {"version": version, "params": params.model_dump()}
    spec["variants"]["canary"] = None
    spec["rollout"] = None
    data = {**scenario.model_dump(), "spec": spec}
    out = Scenario.model_validate(data)
    out._base_dir = scenario._base_dir
    return out


def run_paired(
    scenario: Scenario, candidate: Params, *, seed: int, version: str = "candidate"
) -> tuple[SimResult, SimResult]:
    """What-if: the stable variant and ``candidate`` each take all the traffic, on the *same*
    requests (arrival times, user keys and token counts: common random numbers)."""
    base = with_stable(
        scenario,
        scenario.spec.variants.stable.params,
        version=scenario.spec.variants.stable.version,
    )
    other = with_stable(scenario, candidate, version=version)
    with _small_pages():
        draws = draw_requests(base, seed)
        results = [
            _simulate(s, draws, _attempts_rng(seed), seed, None, None) for s in (base, other)
        ]
    return results[0], results[1]

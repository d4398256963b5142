"""The rollout backtest: the real canary judge against simulated production, simulated time.

The simulator drives the canary weight through the strategy's steps and calls back every
``check_every`` with the rows of the current step. :class:`StageJudge` keeps the start time of
every step and the intervals of the finished steps, so each look sees the whole rollout (the
sequential judge's guarantee is per rollout), builds the observation with
``autoopt.metrics.arms.observation`` and the :class:`~autoopt.decide.judge.Look` with the
strategy's hold and maximum stage times, and asks ``autoopt.decide.judge.judge_for``. The 100%
step is not judged (no stable traffic is left): reaching it completes the promotion.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import pandas as pd

import simulator
from autoopt.decide.judge import Look, StageVerdict, Verdict, judge_for
from autoopt.metrics.arms import observation
from autoopt.simulate.whatif import replica_seeds
from autoopt.spec.models import StrategySpec
from autoopt.values import Interval, StageObservation, Window

METHODS = ("sequential", "threshold", "mannwhitney")

Outcome = Literal["promoted", "rolled_back", "timed_out", "unfinished"]
#: Called after each rollout with (rollouts done, rollouts in all).
Tick = Callable[[int, int], None]


@dataclass
class StageJudge:
    """The simulator's ``Judge``: ``StageContext`` in, ``"promote" | "hold" | "rollback"`` out."""

    spec: StrategySpec
    service: str
    stable: str
    canary: str
    interval: timedelta
    starts: list[datetime] = field(default_factory=list)
    done: list[Interval] = field(default_factory=list)  # intervals of finished steps
    current: tuple[Interval, ...] = ()
    last: StageVerdict | None = None
    decided_at: datetime | None = None
    outcome: Outcome = "unfinished"
    looks: int = 0

    def __call__(self, ctx: simulator.StageContext, /) -> str:
        rollout = self.spec.rollout
        if ctx.step == len(rollout.steps) - 1:  # 100%: nothing left to compare with
            if self.decided_at is None:  # a plan of one step, [100]: no judged stage at all
                self.outcome, self.decided_at = "promoted", ctx.step_started_at
            return "promote"
        if ctx.step == len(self.starts):  # a new step began: keep the last look's intervals
            self.done.extend(self.current)
            self.starts.append(ctx.step_started_at)
        window = {ctx.step: Window(ctx.step_started_at, ctx.now)}
        seen = observation(ctx.frame, service=self.service, stable=self.stable,
                           canary=self.canary, stages=window, interval=self.interval)  # fmt: skip
        self.current = seen.intervals
        look = Look.of(rollout, ctx.step, ctx.now - ctx.step_started_at)
        verdict = judge_for(self.spec)(
            StageObservation((*self.done, *self.current)), self.spec, look
        )
        self.last, self.looks = verdict, self.looks + 1
        return self._record(verdict, ctx)

    def _record(self, verdict: StageVerdict, ctx: simulator.StageContext) -> str:
        last_judged = ctx.step == len(self.spec.rollout.steps) - 2
        if verdict.verdict is Verdict.ROLLBACK:
            timed_out = "inconclusive_timeout" in verdict.codes
            self.outcome, self.decided_at = ("timed_out" if timed_out else "rolled_back"), ctx.now
        elif verdict.verdict is Verdict.PROMOTE and last_judged:
            self.outcome, self.decided_at = "promoted", ctx.now
        return verdict.verdict.value


@dataclass(frozen=True)
class Rollout:
    """One simulated rollout with one judge."""

    method: str
    replica: int
    outcome: Outcome
    minutes: float | None  # from the rollout's start to the final verdict
    exposed: int  # canary requests that arrived before the final verdict (all, if none)
    looks: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class JudgeRow:
    method: str
    runs: int
    promoted: float
    rolled_back: float
    timed_out: float
    unfinished: float
    median_minutes: float | None
    mean_exposed: float


@dataclass(frozen=True)
class Backtest:
    scenario: str
    strategy: str
    seed: int
    replicas: int
    duration: timedelta
    check_every: timedelta
    stable: str
    canary: str
    steps: tuple[int, ...]
    injected: tuple[str, ...]
    rows: tuple[JudgeRow, ...]
    rollouts: tuple[Rollout, ...]


def with_method(spec: StrategySpec, method: str) -> StrategySpec:
    """The same strategy judged by ``method`` (the baselines use everything else as is)."""
    return spec.model_copy(update={"judge": spec.judge.model_copy(update={"method": method})})


def rollout_scenario(
    scenario: simulator.Scenario,
    candidate: simulator.Params,
    version: str,
    spec: StrategySpec,
    check_every: timedelta,
    faults: Sequence[dict[str, Any]] = (),
) -> simulator.Scenario:
    """``scenario`` with ``candidate`` as its canary, the strategy's steps and ``faults``."""
    from autoopt.simulate.scenarios import replace_spec

    steps = [float(s) for s in spec.rollout.steps]
    data = scenario.model_dump()["spec"]
    variants = {**data["variants"]}
    variants["canary"] = {"version": version, "params": candidate.model_dump(), "weight": steps[0]}
    return replace_spec(
        scenario,
        variants=variants,
        rollout={"steps": steps, "check_every": check_every.total_seconds()},
        faults=[*data["faults"], *faults],
    )


def one_rollout(
    scenario: simulator.Scenario, spec: StrategySpec, seed: int, replica: int
) -> tuple[Rollout, pd.DataFrame]:
    variants, rollout = scenario.spec.variants, scenario.spec.rollout
    assert variants.canary is not None and rollout is not None
    judge = StageJudge(
        spec=spec,
        service=scenario.spec.service,
        stable=variants.stable.version,
        canary=variants.canary.version,
        interval=timedelta(seconds=rollout.check_every),
    )
    result = simulator.run_scenario(scenario, seed=seed, judge=judge)
    frame = result.frame
    canary_rows = frame["version"] == variants.canary.version
    if judge.decided_at is not None:
        canary_rows &= frame["timestamp"] < pd.Timestamp(judge.decided_at)
    minutes = None
    if judge.decided_at is not None:
        minutes = (judge.decided_at - scenario.spec.start).total_seconds() / 60.0
    reasons = judge.last.codes if judge.last is not None else ()
    outcome = Rollout(
        method=spec.judge.method,
        replica=replica,
        outcome=judge.outcome,
        minutes=minutes,
        exposed=int(canary_rows.sum()),
        looks=judge.looks,
        reasons=reasons,
    )
    return outcome, frame


def backtest(
    scenario: simulator.Scenario,
    spec: StrategySpec,
    *,
    strategy: str,
    seed: int,
    replicas: int,
    injected: Sequence[str] = (),
    tick: Tick | None = None,
) -> tuple[Backtest, pd.DataFrame]:
    """``replicas`` rollouts of ``scenario`` (made by :func:`rollout_scenario`) for the
    strategy's judge and the two baselines; replica ``i`` has the same seed for every judge.

    Returns the result and the generated metrics of the chosen judge's rollouts.
    """
    variants, rollout = scenario.spec.variants, scenario.spec.rollout
    assert variants.canary is not None and rollout is not None
    chosen = spec.judge.method
    methods = [chosen, *(m for m in METHODS if m != chosen)]
    seeds = replica_seeds(seed, replicas)
    rollouts, frames = [], []
    for m, method in enumerate(methods):
        judged = with_method(spec, method)
        for i, replica_seed in enumerate(seeds):
            outcome, frame = one_rollout(scenario, judged, replica_seed, i)
            rollouts.append(outcome)
            if method == chosen:
                frames.append(frame.assign(replica=i))
            if tick is not None:
                tick(m * len(seeds) + i + 1, len(methods) * len(seeds))
    result = Backtest(
        scenario=scenario.metadata.name,
        strategy=strategy,
        seed=seed,
        replicas=replicas,
        duration=timedelta(seconds=scenario.spec.duration),
        check_every=timedelta(seconds=rollout.check_every),
        stable=variants.stable.version,
        canary=variants.canary.version,
        steps=tuple(spec.rollout.steps),
        injected=tuple(injected),
        rows=tuple(summarise_judge(m, [r for r in rollouts if r.method == m]) for m in methods),
        rollouts=tuple(rollouts),
    )
    return result, pd.concat(frames, ignore_index=True)


def summarise_judge(method: str, rollouts: Sequence[Rollout]) -> JudgeRow:
    n = len(rollouts)

    def share(outcome: str) -> float:
        return sum(r.outcome == outcome for r in rollouts) / n

    minutes = [r.minutes for r in rollouts if r.minutes is not None]
    return JudgeRow(
        method=method,
        runs=n,
        promoted=share("promoted"),
        rolled_back=share("rolled_back"),
        timed_out=share("timed_out"),
        unfinished=share("unfinished"),
        median_minutes=statistics.median(minutes) if minutes else None,
        mean_exposed=statistics.fmean(r.exposed for r in rollouts),
    )

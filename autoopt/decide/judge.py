"""The canary judge: compare canary with stable and say promote, hold or roll back.

Pure: frozen values in, a frozen :class:`StageVerdict` out. The whole rollout is one
group-sequential test per metric (see :mod:`autoopt.decide.sequential` and docs/judge.md):
every call is a look at all the data since the rollout started, stratified by stage, and the
boundaries keep the false-rollback rate at most ``alpha`` and the miss rate at the trigger size
at most ``beta`` however many looks are taken.

* **rollback** as soon as one metric's regression estimate crosses its rollback boundary —
  over the whole rollout, or over the current stage alone or a recent window of it (so a
  regression that starts mid-rollout is not diluted by the healthy data before it) — and both
  arms have at least ``judge.min_sample`` requests there. ``alpha`` is split by Bonferroni:
  half to the whole-rollout tests, half to the stage windows (see :func:`alpha_split` and
  :func:`start_share`), each over the ``m`` configured triggers;
* **promote** when the hold time has passed, both arms have the minimum sample derived from
  the trigger sizes and error rates, and every measured metric is shown non-inferior (an
  intersection–union test: each at ``beta``, no split needed);
* otherwise **hold** with ``insufficient_data``, ``hold_time`` or ``inconclusive``; past the
  maximum stage time the strategy's ``on_timeout`` applies (``inconclusive_timeout``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType

from autoopt.decide import effects
from autoopt.decide.sequential import Design, design, fixed_sample_z
from autoopt.decide.verdicts import Look, MetricResult, StageVerdict, Status, Verdict
from autoopt.spec.models import StrategySpec, Triggers
from autoopt.values import Reason, StageObservation

__all__ = [
    "LABELS",
    "RECENT_STARTS",
    "STAGE_SHARE",
    "Judge",
    "Look",
    "MetricResult",
    "StageVerdict",
    "Status",
    "Verdict",
    "alpha_split",
    "assess",
    "canary_rate",
    "configured",
    "hold_reasons",
    "hold_time",
    "insufficient",
    "judge_for",
    "judge_stage",
    "minimum_sample",
    "rollback_reasons",
    "stage_regressions",
    "start_share",
    "timeout",
]

#: The share of ``judge.alpha`` spent on the per-stage rollback tests (see :func:`alpha_split`).
STAGE_SHARE = 0.5
#: Besides the whole stage, the windows starting in this many latest intervals are tested.
RECENT_STARTS = 15
LABELS = {
    "error_rate": "error rate",
    "latency_p95": "latency p95",
    "quality": "quality",
    "cost": "cost per request",
}


def configured(triggers: Triggers) -> dict[str, float]:
    """The metrics with a trigger, and the trigger (in the strategy's own terms)."""
    found = {
        "error_rate": triggers.error_rate_increase,
        "latency_p95": triggers.latency_p95_increase,
        "quality": triggers.quality_decrease,
    }
    if triggers.cost_increase is not None:
        found["cost"] = triggers.cost_increase
    return found


def minimum_sample(
    unit_variances: Mapping[str, float], triggers: Mapping[str, float], alpha: float, beta: float
) -> int:
    """Requests per arm for a one-look test at ``alpha`` with power ``1 − beta`` per metric.

    ``2·σ²·(z_{1−α} + z_{1−β})² / Δ²`` with ``σ²`` the per-request variance measured on stable;
    the largest over the metrics. Unmeasured metrics (NaN variance) are skipped.
    """
    z = fixed_sample_z(alpha, beta)
    needed = 0
    for metric, var in unit_variances.items():
        if math.isfinite(var):
            delta = effects.margin(metric, triggers[metric])
            needed = max(needed, math.ceil(2.0 * var * z * z / (delta * delta)))
    return needed


def _result(
    metric: str,
    eff: effects.Effect | None,
    plan: Design,
    trigger: float,
    window: str = "rollout",
    intervals: int = 0,
) -> MetricResult:
    if eff is None:
        nan = math.nan
        return MetricResult(
            metric, Status.NOT_MEASURED, nan, nan, nan, trigger, nan, nan, 0.0, window, intervals
        )
    up, down = plan.rollback_at(eff.information), plan.promote_at(eff.information)
    status = Status.INCONCLUSIVE
    if eff.estimate >= up:
        status = Status.REGRESSION
    elif eff.estimate <= down:
        status = Status.NON_INFERIOR
    return MetricResult(
        metric=metric,
        status=status,
        stable=eff.stable,
        canary=eff.canary,
        change=effects.to_change(metric, eff.estimate),
        trigger=trigger,
        rollback_at=effects.to_change(metric, up),
        promote_at=effects.to_change(metric, down),
        information_fraction=plan.fraction(eff.information),
        window=window,
        intervals=intervals,
    )


def _describe(result: MetricResult) -> str:
    label = LABELS[result.metric]
    if result.metric == "error_rate":
        what = f"{result.canary:.2%} vs {result.stable:.2%} ({result.change * 100:+.2f} points)"
        bounds = (
            f"rollback ≥ {result.rollback_at * 100:+.2f}, promote ≤ {result.promote_at * 100:+.2f}"
        )
    else:
        sign = -1.0 if result.metric == "quality" else 1.0
        what = f"{result.canary:.4g} vs {result.stable:.4g} ({sign * result.change:+.1%})"
        up, down = sign * result.rollback_at, sign * result.promote_at
        bounds = f"rollback at {up:+.1%}, promote at {down:+.1%}"
    fraction = result.information_fraction
    share = (
        "past the planned information"
        if fraction >= 1.0
        else f"{fraction:.0%} of the planned information"
    )
    where = {
        "stage": " in this stage",
        "recent": " in this stage's last "
        + (f"{result.intervals} intervals" if result.intervals > 1 else "interval"),
    }.get(result.window, "")
    return f"{label}{where}: canary {what}; {bounds}; {share}"


def alpha_split(spec: StrategySpec) -> tuple[float, float]:
    """Per-metric false-rollback rates: (the whole-rollout test, each stage's own test).

    ``alpha`` is split by Bonferroni: ``1 − STAGE_SHARE`` of it to the whole-rollout tests and
    ``STAGE_SHARE`` to the per-stage tests, each share over the ``m`` configured metrics and the
    stage share also over the ``K`` judged stages (every step but the last).
    """
    metrics = len(configured(spec.triggers))
    stages = max(1, len(spec.rollout.steps) - 1)
    alpha = spec.judge.alpha
    return alpha * (1 - STAGE_SHARE) / metrics, alpha * STAGE_SHARE / (metrics * stages)


def assess(observation: StageObservation, spec: StrategySpec) -> tuple[list[MetricResult], int]:
    """Every configured metric over the whole rollout, and the minimum sample per arm."""
    pairs = effects.strata(observation)
    triggers = configured(spec.triggers)
    alpha = alpha_split(spec)[0]
    results, variances = [], {}
    pooled = effects.pool(pairs) if pairs else None
    for metric, trigger in triggers.items():
        eff = effects.effect(metric, pairs, trigger, pooled) if pairs else None
        plan = design(alpha, spec.judge.beta, effects.margin(metric, trigger))
        results.append(_result(metric, eff, plan, trigger))
        variances[metric] = eff.unit_variance if eff is not None else math.nan
    needed = minimum_sample(variances, triggers, alpha, spec.judge.beta)
    return results, max(spec.judge.min_sample, needed)


def start_share(j: int) -> float:
    """The share of a stage's ``alpha`` for the window starting at its interval ``j``.

    ``1 / ((j + 1)(j + 2))``: a half for the whole stage (``j = 0``), a sixth for the window
    from the second interval on, … — the shares sum to 1 over all ``j``, so any number of
    intervals is covered without knowing it in advance.
    """
    return 1.0 / ((j + 1) * (j + 2))


def stage_regressions(
    observation: StageObservation, spec: StrategySpec, step: int
) -> list[MetricResult]:
    """The metrics whose own test on stage ``step`` alone crosses its rollback boundary.

    For every interval ``j`` of the stage, the data from ``j`` to now is a sequential test of
    its own at ``alpha_split(spec)[1] · start_share(j)`` per metric: ``j = 0`` is the whole
    stage; later starts let a regression that began mid-stage show without the healthy data
    before it. Besides the whole stage only the windows starting in the last
    ``RECENT_STARTS`` intervals are looked at (fewer looks at a test keep its level). A window
    is judged only once both its arms have ``judge.min_sample``. For each metric the most
    recent window that crosses is reported (its estimate is the least diluted).
    """
    inside = [i for i in observation.intervals if i.stage == step]
    alpha = alpha_split(spec)[1]
    triggers = configured(spec.triggers)
    found: dict[str, MetricResult] = {}
    for j in (0, *range(max(1, len(inside) - RECENT_STARTS), len(inside))):
        window = StageObservation(tuple(inside[j:]))
        if min(_counts(window)) < spec.judge.min_sample:
            break
        pairs = effects.strata(window)
        pooled = effects.pool(pairs)
        name = "stage" if j == 0 else "recent"
        for metric, trigger in triggers.items():
            eff = effects.effect(metric, pairs, trigger, pooled)
            plan = design(alpha * start_share(j), spec.judge.beta, effects.margin(metric, trigger))
            result = _result(metric, eff, plan, trigger, name, len(inside) - j)
            if result.status is Status.REGRESSION:
                found[metric] = result
    return list(found.values())


def rollback_reasons(
    results: list[MetricResult], stage: list[MetricResult], floor_met: bool
) -> list[Reason]:
    """One reason per regressed metric: the whole-rollout test's, else this stage's."""
    overall = [r for r in results if r.status is Status.REGRESSION] if floor_met else []
    shown = {r.metric for r in overall}
    chosen = overall + [r for r in stage if r.metric not in shown]
    order = [r.metric for r in results]
    chosen.sort(key=lambda r: order.index(r.metric))
    return [_metric_reason(effects.CODES[r.metric], r) for r in chosen]


def _counts(observation: StageObservation) -> tuple[int, int]:
    stable = sum(i.stable.n for i in observation.intervals)
    canary = sum(i.canary.n for i in observation.intervals)
    return stable, canary


def judge_stage(observation: StageObservation, spec: StrategySpec, look: Look) -> StageVerdict:
    """The sequential judge's verdict at this look (see the module docstring)."""
    results, needed = assess(observation, spec)
    n_stable, n_canary = _counts(observation)

    def verdict(kind: Verdict, reasons: list[Reason]) -> StageVerdict:
        return StageVerdict(
            kind, tuple(reasons), "sequential", tuple(results), n_stable, n_canary, needed
        )

    floor_met = min(n_stable, n_canary) >= spec.judge.min_sample
    stage = stage_regressions(observation, spec, look.step)
    rollbacks = rollback_reasons(results, stage, floor_met)
    if rollbacks:
        return verdict(Verdict.ROLLBACK, rollbacks)
    holds = hold_reasons(
        results, (n_stable, n_canary), needed, look, canary_rate(observation, look)
    )
    if not holds:
        measured = [r for r in results if r.status is Status.NON_INFERIOR]
        return verdict(Verdict.PROMOTE, [_metric_reason("non_inferior", r) for r in measured])
    return verdict(*timeout(holds, look))


def hold_reasons(
    results: list[MetricResult],
    counts: tuple[int, int],
    needed: int,
    look: Look,
    canary_per_s: float | None = None,
) -> list[Reason]:
    """Why this look cannot promote; empty when it can. ``counts`` is (stable, canary)."""
    reasons = []
    if min(counts) < needed:
        reasons.append(insufficient(*counts, needed, canary_per_s))
    if look.elapsed < look.hold_time:
        reasons.append(hold_time(look))
    measured = [r for r in results if r.status is not Status.NOT_MEASURED]
    if not measured and not reasons:
        reasons.append(Reason("insufficient_data", "no metric could be measured on both arms"))
    reasons += [
        _metric_reason("inconclusive", r) for r in measured if r.status is Status.INCONCLUSIVE
    ]
    return reasons


def insufficient(
    n_stable: int, n_canary: int, needed: int, canary_per_s: float | None = None
) -> Reason:
    """Too few requests; with the canary's current rate, about how long until enough."""
    values: dict[str, float | int | str] = {
        "n_canary": n_canary,
        "n_stable": n_stable,
        "min_sample": needed,
    }
    message = f"{n_canary} canary and {n_stable} stable requests; each arm needs {needed}"
    if canary_per_s and n_canary < needed <= n_stable:
        eta = (needed - n_canary) / canary_per_s
        values["eta_s"] = round(eta)
        message += f" (about {eta / 60:.0f} more minutes at {canary_per_s * 60:.3g} a minute)"
    return Reason("insufficient_data", message, MappingProxyType(values))


def canary_rate(observation: StageObservation, look: Look) -> float | None:
    """Canary requests per second in the current stage so far."""
    seconds = look.elapsed.total_seconds()
    count = sum(i.canary.n for i in observation.intervals if i.stage == look.step)
    return count / seconds if seconds > 0 and count > 0 else None


def hold_time(look: Look) -> Reason:
    elapsed, hold = look.elapsed.total_seconds(), look.hold_time.total_seconds()
    return Reason(
        "hold_time",
        f"stage {look.step} has run {elapsed:.0f}s of its {hold:.0f}s hold time",
        MappingProxyType({"step": look.step, "elapsed_s": elapsed, "hold_s": hold}),
    )


def timeout(holds: list[Reason], look: Look) -> tuple[Verdict, list[Reason]]:
    """HOLD with ``holds``, or past the maximum stage time, the ``on_timeout`` action."""
    if not look.timed_out:
        return Verdict.HOLD, holds
    limit = look.max_stage_time.total_seconds()
    reason = Reason(
        "inconclusive_timeout",
        f"stage {look.step} still undecided after {look.elapsed.total_seconds():.0f}s "
        f"(max stage time {limit:.0f}s); on_timeout: {look.on_timeout}",
        MappingProxyType(
            {"step": look.step, "elapsed_s": look.elapsed.total_seconds(), "max_s": limit}
        ),
    )
    kind = Verdict.ROLLBACK if look.on_timeout == "rollback" else Verdict.HOLD
    return kind, [reason, *holds]


def _metric_reason(code: str, result: MetricResult) -> Reason:
    return Reason(code, _describe(result), result.values())


Judge = Callable[[StageObservation, StrategySpec, Look], StageVerdict]


def judge_for(spec: StrategySpec) -> Judge:
    """The judge the strategy asks for (``judge.method``)."""
    from autoopt.decide import baselines

    found: dict[str, Judge] = {
        "sequential": judge_stage,
        "threshold": baselines.judge_threshold,
        "mannwhitney": baselines.judge_mannwhitney,
    }
    return found[spec.judge.method]

"""Two baseline judges, offered as options and measured against the sequential judge.

``threshold`` — Flagger-style. Every interval of the current stage is a check: an interval
fails when any metric of the canary is beyond its trigger against stable over that interval
(point estimates, no statistics). ``judge.failure_limit`` failed checks roll back; otherwise
the stage promotes once its hold time has passed and both arms have ``judge.min_sample``
requests in the stage.

``mannwhitney`` — Kayenta-style. At each look, all data of the current stage; each metric is
classified by a 98% two-sided interval: latency with a Mann–Whitney U test on the per-request
latencies, the error rate with a two-proportion test, quality and cost with Welch's test on
the means. A metric whose interval lies wholly on the bad side of zero fails and rolls back;
otherwise the stage promotes after its hold time with ``judge.min_sample`` requests per arm.

Neither controls the error rates across looks: each look (or interval) is tested on its own,
so more looks mean more false rollbacks — that is what ``bench_judge.py`` shows.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
from scipy import stats

from autoopt.decide import effects
from autoopt.decide.judge import (
    LABELS,
    Look,
    StageVerdict,
    Verdict,
    configured,
    hold_time,
    insufficient,
    timeout,
)
from autoopt.spec.models import StrategySpec
from autoopt.values import ArmSample, Interval, Reason, StageObservation

KAYENTA_CONFIDENCE = 0.98


def _current(observation: StageObservation, step: int) -> list[Interval]:
    return [i for i in observation.intervals if i.stage == step]


def _point_changes(stable: ArmSample, canary: ArmSample) -> dict[str, float]:
    """Each metric's change of canary against stable, in the triggers' own terms."""
    changes: dict[str, float] = {}
    if stable.n and canary.n:
        changes["error_rate"] = canary.errors / canary.n - stable.errors / stable.n
    s_lat, c_lat = (np.asarray(a.latencies_ms, dtype=float) for a in (stable, canary))
    if s_lat.size and c_lat.size:
        s95 = float(np.quantile(s_lat, effects.P95))
        if s95 > 0:
            changes["latency_p95"] = float(np.quantile(c_lat, effects.P95)) / s95 - 1
    if stable.quality_n and canary.quality_n and stable.quality_sum > 0:
        ratio = (canary.quality_sum / canary.quality_n) / (stable.quality_sum / stable.quality_n)
        changes["quality"] = 1 - ratio
    if stable.cost_n and canary.cost_n and stable.cost_sum > 0:
        ratio = (canary.cost_sum / canary.cost_n) / (stable.cost_sum / stable.cost_n)
        changes["cost"] = ratio - 1
    return changes


def _failed_checks(intervals: list[Interval], spec: StrategySpec) -> list[tuple[str, float]]:
    triggers = configured(spec.triggers)
    failures = []
    for interval in intervals:
        if interval.stable.n == 0 or interval.canary.n == 0:
            continue  # no traffic on one arm: nothing to check in this interval
        changes = _point_changes(interval.stable, interval.canary)
        beyond = [(m, c) for m, c in changes.items() if m in triggers and c > triggers[m]]
        if beyond:
            failures.append(max(beyond, key=lambda mc: mc[1] / triggers[mc[0]]))
    return failures


def _finish(
    method: str, spec: StrategySpec, look: Look, stage: list[Interval], failed: list[Reason]
) -> StageVerdict:
    n_stable = sum(i.stable.n for i in stage)
    n_canary = sum(i.canary.n for i in stage)

    def verdict(kind: Verdict, reasons: list[Reason]) -> StageVerdict:
        return StageVerdict(
            kind, tuple(reasons), method, (), n_stable, n_canary, spec.judge.min_sample
        )

    if failed:
        return verdict(Verdict.ROLLBACK, failed)
    holds = []
    if min(n_stable, n_canary) < spec.judge.min_sample:
        holds.append(insufficient(n_stable, n_canary, spec.judge.min_sample))
    if look.elapsed < look.hold_time:
        holds.append(hold_time(look))
    if not holds:
        return verdict(Verdict.PROMOTE, [Reason("checks_passed", f"every {method} check passed")])
    return verdict(*timeout(holds, look))


def judge_threshold(observation: StageObservation, spec: StrategySpec, look: Look) -> StageVerdict:
    """Flagger-style: count intervals of this stage with a metric beyond its trigger."""
    stage = _current(observation, look.step)
    failures = _failed_checks(stage, spec)
    reasons = []
    if len(failures) >= spec.judge.failure_limit:
        metric, change = failures[-1]
        reasons.append(
            Reason(
                effects.CODES[metric],
                f"{len(failures)} failed checks (limit {spec.judge.failure_limit}); last: "
                f"{LABELS[metric]} {change:+.3g} beyond its trigger",
                MappingProxyType(
                    {"metric": metric, "change": change, "failed_checks": len(failures)}
                ),
            )
        )
    return _finish("threshold", spec, look, stage, reasons)


def _one_sided_p(metric: str, stable: ArmSample, canary: ArmSample) -> float:
    """P-value for 'canary is worse than stable' on ``metric`` (NaN when not measurable)."""
    if metric == "error_rate":
        if stable.n == 0 or canary.n == 0:
            return math.nan
        pooled = (stable.errors + canary.errors) / (stable.n + canary.n)
        se = math.sqrt(pooled * (1 - pooled) * (1 / stable.n + 1 / canary.n))
        diff = canary.errors / canary.n - stable.errors / stable.n
        return float(stats.norm.sf(diff / se)) if se > 0 else (0.0 if diff > 0 else 1.0)
    if metric == "latency_p95":
        s, c = (np.asarray(a.latencies_ms, dtype=float) for a in (stable, canary))
        if s.size < 2 or c.size < 2:
            return math.nan
        return float(stats.mannwhitneyu(c, s, alternative="greater", method="asymptotic").pvalue)
    return _welch_p(metric, stable, canary)


def _welch_p(metric: str, stable: ArmSample, canary: ArmSample) -> float:
    def moments(arm: ArmSample) -> tuple[int, float, float]:
        n, total, sumsq = (
            (arm.quality_n, arm.quality_sum, arm.quality_sumsq)
            if metric == "quality"
            else (arm.cost_n, arm.cost_sum, arm.cost_sumsq)
        )
        mean = total / n if n else math.nan
        var = max(sumsq - n * mean * mean, 0.0) / (n - 1) if n > 1 else math.nan
        return n, mean, var

    (ns, ms, vs), (nc, mc, vc) = moments(stable), moments(canary)
    if ns < 2 or nc < 2:
        return math.nan
    se = math.sqrt(vs / ns + vc / nc)
    worse = (ms - mc) if metric == "quality" else (mc - ms)
    if se == 0:
        return 0.0 if worse > 0 else 1.0
    dof = (vs / ns + vc / nc) ** 2 / ((vs / ns) ** 2 / (ns - 1) + (vc / nc) ** 2 / (nc - 1))
    return float(stats.t.sf(worse / se, dof))


def judge_mannwhitney(
    observation: StageObservation, spec: StrategySpec, look: Look
) -> StageVerdict:
    """Kayenta-style: a 98% interval per metric over this stage's data at every look."""
    stage = _current(observation, look.step)
    reasons = []
    if stage:
        stable = effects.merge([i.stable for i in stage])
        canary = effects.merge([i.canary for i in stage])
        if min(stable.n, canary.n) >= spec.judge.min_sample:
            level = (1 - KAYENTA_CONFIDENCE) / 2
            for metric in configured(spec.triggers):
                p = _one_sided_p(metric, stable, canary)
                if p < level:
                    reasons.append(
                        Reason(
                            effects.CODES[metric],
                            f"{LABELS[metric]}: canary worse than stable at "
                            f"{KAYENTA_CONFIDENCE:.0%} confidence (one-sided p = {p:.2g})",
                            MappingProxyType({"metric": metric, "p_value": p}),
                        )
                    )
    return _finish("mannwhitney", spec, look, stage, reasons)

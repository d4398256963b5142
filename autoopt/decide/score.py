"""Score candidates against a policy: feasibility, penalties, Pareto rank, weighted improvement.

Semantics (docs/decide.md):

* **Relative improvement** of one metric over the baseline is ``(candidate − baseline) / d``
  for metrics to maximise and ``(baseline − candidate) / d`` for metrics to minimise, with
  ``d = max(|baseline|, floor)``; the per-metric floor (:data:`FLOORS`) keeps a baseline of
  zero (no errors at all) from turning a tiny change into an infinite one.
* **Improvement** is the weighted sum of those, weights normalised to sum 1. Its standard error
  comes from the delta method, metrics and candidates treated as independent.
* **Hard constraints** decide feasibility on the point estimate; the probability that each is
  broken comes from the estimate's interval (:func:`break_probability`: the exact binomial
  tail for a proportion, the side of the interval that faces the bound otherwise, at least
  0.5 when the estimate is marked not enough data) and the **risk** is the probability that
  at least one is broken (independence). A hard constraint on a metric with
  no evidence makes the candidate infeasible: it is never assumed good.
* **Soft constraints** add ``penalty × relative excess`` (``penalty`` defaults to 1); a soft
  constraint on a metric with no evidence adds nothing.
* **Score** = improvement − penalty; **Pareto rank** is computed among eligible candidates
  (feasible, every objective measured) over the objectives, −1 for the others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from autoopt.decide.decision import Assessment, Violation
from autoopt.decide.pareto import ranks
from autoopt.errors import UserError
from autoopt.probability import binom_cdf
from autoopt.spec.models import Constraint, PolicySpec
from autoopt.values import Z95, Candidate, Estimate, Summary

#: Smallest denominator of a relative change, per metric (a baseline of 0 errors, or free).
FLOORS: Mapping[str, float] = {
    "cost_per_request": 1e-6,
    "daily_cost_usd": 0.01,
    "latency_p50_ms": 1.0,
    "latency_p95_ms": 1.0,
    "latency_p99_ms": 1.0,
    "ttft_p95_ms": 1.0,
    "error_rate": 0.001,
    "quality": 1.0,
    "tokens_out_mean": 1.0,
}


class NoBaseline(UserError):
    """The current stable version has no summary, so nothing can be compared with it."""


@dataclass(frozen=True)
class Scored:
    """What :func:`assess_all` needs about one candidate, measured or predicted."""

    candidate: Candidate
    metrics: Mapping[str, Estimate]
    n: int
    predicted: bool = False


def normal_cdf(x: float) -> float:
    if math.isnan(x):
        return 0.5
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def relative_change(
    metric: str, goal: str, candidate: Estimate, baseline: Estimate
) -> tuple[float, float]:
    """The signed relative improvement and its variance (delta method)."""
    floor = FLOORS.get(metric, 1e-9)
    denom = max(abs(baseline.value), floor)
    sign = 1.0 if goal == "maximize" else -1.0
    value = sign * (candidate.value - baseline.value) / denom
    se_c, se_b = candidate.stderr, baseline.stderr
    if abs(baseline.value) >= floor:
        variance = (se_c / denom) ** 2 + (candidate.value * se_b / denom**2) ** 2
    else:
        variance = (se_c**2 + se_b**2) / denom**2
    return value, variance


def improvement(
    metrics: Mapping[str, Estimate], baseline: Mapping[str, Estimate], policy: PolicySpec
) -> Estimate | None:
    """Weighted relative improvement over the baseline; None when an objective is missing."""
    weights = policy.normalised_weights()
    total, variance = 0.0, 0.0
    for objective in policy.objectives:
        cand, base = metrics.get(objective.metric), baseline.get(objective.metric)
        if cand is None or base is None:
            return None
        value, var = relative_change(objective.metric, objective.goal, cand, base)
        weight = weights[objective.metric]
        total += weight * value
        variance += weight**2 * var
    se = math.sqrt(variance)
    return Estimate(total, total - Z95 * se, total + Z95 * se, se)


def break_probability(estimate: Estimate, constraint: Constraint) -> float:
    """P(the true value breaks the constraint), from the estimate's own interval.

    * a proportion (``estimate.trials`` set): the exact binomial tail at the bound — for
      ``max: L``, ``P(Binomial(n, L) ≤ k)``, the probability of seeing as few as ``k``
      failures if the true rate were ``L`` (0 errors in 100 against 1% is 0.37, not 0);
    * anything else: a normal tail scaled by the half of the interval that faces the bound,
      so a skewed interval (a percentile, a cost) is read on the side that matters;
    * an estimate marked not ``enough`` is uncertain: at least 0.5, never near 0.
    """
    worst = 0.0
    for limit, sign in ((constraint.max, 1.0), (constraint.min, -1.0)):
        if limit is None:
            continue
        if estimate.trials:
            prob = _binomial_break(estimate, limit, sign)
        else:
            prob = _normal_break(estimate, limit, sign)
        if not estimate.enough:
            prob = max(prob, 0.5)
        worst = max(worst, prob)
    return worst


def _binomial_break(estimate: Estimate, limit: float, sign: float) -> float:
    n = int(estimate.trials or 0)
    k = round(estimate.value * n)
    bound = min(max(limit, 0.0), 1.0)
    if sign > 0:  # broken when the true rate is above the limit
        return binom_cdf(k, n, bound) if bound < 1.0 else 0.0
    return 1.0 - binom_cdf(k - 1, n, bound) if bound > 0.0 else 0.0


def _normal_break(estimate: Estimate, limit: float, sign: float) -> float:
    gap = sign * (estimate.value - limit)  # > 0: the point estimate already breaks it
    towards = estimate.high if (sign > 0) == (gap <= 0) else estimate.low
    half = abs(towards - estimate.value)
    se = half / Z95 if math.isfinite(half) else math.inf
    if estimate.se is not None and not math.isfinite(towards):
        se = estimate.stderr
    if se == 0.0 or math.isnan(se):
        return 1.0 if gap > 0 else 0.0
    if math.isinf(se):
        return 0.5
    return normal_cdf(gap / se)


def _excess(value: float, constraint: Constraint) -> tuple[str, float, float] | None:
    """(bound, limit, relative excess) of the bound the value breaks, if any."""
    if constraint.max is not None and value > constraint.max:
        limit = constraint.max
        return "max", limit, (value - limit) / max(abs(limit), FLOORS.get(constraint.metric, 1e-9))
    if constraint.min is not None and value < constraint.min:
        limit = constraint.min
        return "min", limit, (limit - value) / max(abs(limit), FLOORS.get(constraint.metric, 1e-9))
    return None


@dataclass(frozen=True)
class ConstraintCheck:
    violations: tuple[Violation, ...]
    penalty: float
    risk: float
    missing: tuple[str, ...]  # hard-constraint metrics with no evidence

    @property
    def feasible(self) -> bool:
        return not self.missing and not any(v.hard for v in self.violations)


def check_constraints(
    metrics: Mapping[str, Estimate], constraints: Sequence[Constraint]
) -> ConstraintCheck:
    violations: list[Violation] = []
    penalty, keep, missing = 0.0, 1.0, []
    for constraint in constraints:
        estimate = metrics.get(constraint.metric)
        if estimate is None:
            if constraint.hard:
                missing.append(constraint.metric)
                keep = 0.0
            continue
        prob = break_probability(estimate, constraint)
        if constraint.hard:
            keep *= 1.0 - prob
        broken = _excess(estimate.value, constraint)
        if broken is None:
            continue
        bound, limit, excess = broken
        violations.append(
            Violation(constraint.metric, bound, limit, estimate.value, constraint.hard, prob)  # type: ignore[arg-type]
        )
        if not constraint.hard:
            penalty += (1.0 if constraint.penalty is None else constraint.penalty) * excess
    return ConstraintCheck(tuple(violations), penalty, 1.0 - keep, tuple(dict.fromkeys(missing)))


def _needs(metrics: Mapping[str, Estimate], policy: PolicySpec) -> tuple[str, ...]:
    wanted = [o.metric for o in policy.objectives]
    wanted += [c.metric for c in policy.constraints if c.hard]
    return tuple(m for m in dict.fromkeys(wanted) if m not in metrics)


def objective_matrix(
    items: Sequence[Mapping[str, Estimate]], policy: PolicySpec
) -> npt.NDArray[np.float64]:
    """Point estimates of the objectives, signed so that every column is minimised."""
    signs = [1.0 if o.goal == "minimize" else -1.0 for o in policy.objectives]
    return np.array(
        [
            [s * m[o.metric].value for s, o in zip(signs, policy.objectives, strict=True)]
            for m in items
        ],
        dtype=np.float64,
    ).reshape(len(items), len(policy.objectives))


def assess_all(
    items: Sequence[Scored], policy: PolicySpec, baseline: Mapping[str, Estimate]
) -> list[Assessment]:
    """Score every item against the policy and the baseline's metrics, in input order."""
    drafts: list[Assessment] = []
    for item in items:
        check = check_constraints(item.metrics, policy.constraints)
        gain = improvement(item.metrics, baseline, policy)
        score = (gain.value if gain is not None else 0.0) - check.penalty
        drafts.append(
            Assessment(
                candidate=item.candidate,
                metrics=item.metrics,
                n=item.n,
                feasible=check.feasible,
                violations=check.violations,
                penalty=check.penalty,
                score=score,
                pareto_rank=-1,
                predicted=item.predicted,
                needs_evaluation=_needs(item.metrics, policy),
                improvement=gain,
                risk=check.risk,
            )
        )
    eligible = [i for i, a in enumerate(drafts) if a.eligible]
    if not eligible:
        return drafts
    rank = ranks(objective_matrix([drafts[i].metrics for i in eligible], policy))
    out = list(drafts)
    for index, value in zip(eligible, rank, strict=True):
        out[index] = _with_rank(drafts[index], int(value))
    return out


def best(assessed: Sequence[Assessment]) -> Assessment | None:
    """The pick: the highest score on the first front (ties: the smaller version), or None."""
    front = ranked_front(assessed)
    return front[0] if front else None


def ranked_front(assessed: Sequence[Assessment]) -> list[Assessment]:
    """The first-front candidates, best score first; ties broken by version (order-free)."""
    return sorted(
        (a for a in assessed if a.pareto_rank == 0),
        key=lambda a: (-a.score, a.candidate.version),
    )


def _with_rank(assessment: Assessment, rank: int) -> Assessment:
    return replace(assessment, pareto_rank=rank)


def assess(summaries: Sequence[Summary], policy: PolicySpec, baseline: str) -> list[Assessment]:
    """Assess measured candidates against the summary whose version is ``baseline``."""
    base = next((s for s in summaries if s.version == baseline), None)
    if base is None:
        known = ", ".join(sorted({s.version for s in summaries})) or "none"
        raise NoBaseline(f"no metrics for the current version {baseline!r} (measured: {known})")
    items = [Scored(s.candidate, s.metrics, s.n) for s in summaries]
    assessed = assess_all(items, policy, base.metrics)
    return [
        _zero_gain(a) if s.version == baseline else a
        for s, a in zip(summaries, assessed, strict=True)
    ]


def _zero_gain(assessment: Assessment) -> Assessment:
    """The baseline against itself: no improvement, exactly (its estimates are not independent)."""
    if assessment.improvement is None:
        return assessment
    return replace(assessment, improvement=Estimate.exact(0.0), score=-assessment.penalty)

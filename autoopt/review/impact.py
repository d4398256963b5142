"""The predicted impact of one config change: the change against the current stable on the
same simulated requests (the simulator calibrated on the service's metrics, as ``simulate
--policy P --set …`` does), the policy's hard constraints with their risk, and one verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from autoopt.decide.score import break_probability, check_constraints
from autoopt.errors import SimulationError
from autoopt.review.model import ConstraintRisk, Impact, Outcome, Verdict
from autoopt.spec.models import Constraint, Params, Policy
from autoopt.values import Estimate

if TYPE_CHECKING:
    import pandas as pd

#: What a review shows for every changed config, in order.
METRICS = (
    "cost_per_request",
    "daily_cost_usd",
    "latency_p50_ms",
    "latency_p95_ms",
    "error_rate",
    "quality",
)


@dataclass(frozen=True)
class Prediction:
    impacts: tuple[Impact, ...] = ()
    constraints: tuple[ConstraintRisk, ...] = ()
    risk: float | None = None
    verdict: Verdict = field(
        default_factory=lambda: Verdict(Outcome.NEUTRAL, "cannot_predict", "cannot predict")
    )
    simulation: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """The current stable and what the change would serve instead."""

    service: str
    stable_version: str
    stable: Params
    candidate_version: str
    candidate: Params


def cannot(why: str) -> Verdict:
    return Verdict(Outcome.NEUTRAL, "cannot_predict", f"cannot predict: {why}")


def predict(
    change: Change,
    frame: pd.DataFrame,
    *,
    source: str,
    policy: Policy | None,
    max_risk: float | None,
    seed: int,
    replicas: int,
) -> Prediction:
    """Simulate the change against the current stable; never raises for what it cannot
    predict (that is the verdict ``cannot predict: why``)."""
    from autoopt.simulate import calibrated, what_if
    from autoopt.simulate.evidence import evidence
    from autoopt.simulate.scenarios import beyond, require_models, sim_params

    try:
        scenario = calibrated(
            frame,
            service=change.service,
            stable_version=change.stable_version,
            stable=change.stable,
        )
        require_models(scenario, [change.candidate], "the change")
    except SimulationError as exc:
        return Prediction(verdict=cannot(_why(str(exc), change, policy)))
    base = scenario.spec.variants.stable.params
    simulated = sim_params(beyond(change.candidate, change.stable), base)
    result, _frame = what_if(
        scenario,
        simulated,
        candidate_version=change.candidate_version,
        seed=seed,
        replicas=replicas,
    )
    shown = evidence(result, source)
    impacts = tuple(
        Impact(r.metric, r.stable, r.candidate, r.delta) for r in result.rows if r.metric in METRICS
    )
    impacts = tuple(sorted(impacts, key=lambda i: METRICS.index(i.metric)))
    predicted = {r.metric: r.candidate for r in result.rows if r.candidate is not None}
    if policy is None:
        why = f"no policy targets {change.service}, so there are no hard constraints to check"
        return Prediction(
            impacts, verdict=cannot(why), simulation=shown.title.rstrip(":"), notes=shown.notes
        )
    hard = [c for c in policy.spec.constraints if c.hard]
    risks, risk, verdict = judge(predicted, hard, max_risk if max_risk is not None else 0.0)
    if verdict.code == "cannot_predict":
        verdict = cannot(_missing(verdict.text, change))
    return Prediction(impacts, risks, risk, verdict, shown.title.rstrip(":"), shown.notes)


def judge(
    predicted: dict[str, Estimate], hard: Sequence[Constraint], max_risk: float
) -> tuple[tuple[ConstraintRisk, ...], float | None, Verdict]:
    """Each hard constraint's P(broken), the risk (P(any is broken), independence, as the
    decision engine computes it) and the verdict. A hard constraint on a metric that was not
    predicted makes the verdict ``cannot_predict`` with the metric's name as its text."""
    rows = []
    for c in hard:
        estimate = predicted.get(c.metric)
        probability = None if estimate is None else break_probability(estimate, c)
        rows.append(ConstraintRisk(c.metric, bound(c), estimate, probability))
    check = check_constraints(predicted, hard)
    if check.missing:
        return tuple(rows), None, Verdict(Outcome.NEUTRAL, "cannot_predict", check.missing[0])
    risk = check.risk
    if risk > max_risk:
        worst = max(rows, key=lambda r: r.probability or 0.0)
        text = (
            f"breaks a hard constraint with risk {risk:.0%}: {worst.metric} {worst.bound} "
            f"(P = {worst.probability or 0.0:.0%}; maxRisk {max_risk:.0%})"
        )
        return tuple(rows), risk, Verdict(Outcome.FAILURE, "breaks_constraint", text)
    text = f"within policy: P(a hard constraint is broken) = {risk:.1%} ≤ maxRisk {max_risk:.0%}"
    return tuple(rows), risk, Verdict(Outcome.SUCCESS, "within_policy", text)


def bound(constraint: Constraint) -> str:
    parts = []
    if constraint.min is not None:
        parts.append(f"≥ {constraint.min:g}")
    if constraint.max is not None:
        parts.append(f"≤ {constraint.max:g}")
    return " and ".join(parts)


def _models(params: Params) -> list[str]:
    return [params.model, *(params.fallbacks or ())]


def _why(message: str, change: Change, policy: Policy | None) -> str:
    """The simulator's refusal, in the reviewer's words."""
    unknown = [m for m in _models(change.candidate) if f"model {m!r} has no behaviour" in message]
    if not unknown:
        return message
    model = unknown[0]
    declared = policy is not None and model in policy.spec.priors
    prior = "priors the simulator cannot use alone" if declared else "no declared prior"
    return (
        f"model {model!r} has no data in the metrics of {change.service} and {prior} "
        f"(run it on some traffic first, or declare spec.priors.{model} in the policy)"
    )


def _missing(metric: str, change: Change) -> str:
    return (
        f"{metric} of {change.candidate.model!r} has no data in the metrics of "
        f"{change.service} (a hard constraint needs it; measure it, or declare "
        f"spec.priors.{change.candidate.model}.{metric} in the policy)"
    )

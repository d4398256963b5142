"""``choose()``: rules, guards, the optimizer and the gates, in that order — one Decision.

Pure: the caller passes summaries, the policy, the resolved strategy, the current stable
version, fitted model profiles, prices, the guard facts (:class:`Context`, with ``now``) and
a seed. No I/O, no clock, no global RNG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from autoopt.decide.decision import Assessment, Decision, DecisionKind, Proposal
from autoopt.decide.gates import (
    GateResult,
    alternatives,
    deltas,
    gate,
    rollout_plan,
    tradeoff,
    triggers,
)
from autoopt.decide.predict import calibrated, calibration, predict
from autoopt.decide.rules import Context, apply_rules, check_guards, recently_closed
from autoopt.decide.score import Scored, assess_all, ranked_front
from autoopt.decide.search import Space, search, space_of
from autoopt.spec.models import Policy, PolicySpec, Strategy
from autoopt.values import Candidate, Estimate, ModelProfile, Price, Reason, Summary, version_id


@dataclass(frozen=True)
class _Frame:
    """What every step of one ``choose`` call shares."""

    policy: Policy
    strategy: Strategy
    current: Candidate
    base: Summary
    context: Context

    @property
    def spec(self) -> PolicySpec:
        return self.policy.spec

    def decision(self, kind: DecisionKind, reasons: Sequence[Reason], **extra: Any) -> Decision:
        return Decision(
            kind=kind,
            service=self.spec.target.service,
            policy=self.policy.metadata.name,
            current=self.current,
            proposal=extra.pop("proposal", None),
            reasons=tuple(reasons),
            **extra,
        )


def choose(
    summaries: Sequence[Summary],
    policy: Policy,
    strategy: Strategy,
    *,
    current: Candidate,
    context: Context,
    profiles: Mapping[str, ModelProfile] | None = None,
    prices: Mapping[str, Price] | None = None,
    seed: int | np.random.Generator = 0,
) -> Decision:
    """Decide what to do about ``current`` (the stable version) under ``policy``."""
    service = policy.spec.target.service
    mine = tuple(s for s in summaries if s.service == service)
    base = next((s for s in mine if s.version == current.version), None)
    if base is None:
        reason = Reason(
            "no_baseline_metrics",
            f"no metrics for the current version {current.version} of {service}",
        )
        no = DecisionKind.NO_CHANGE
        return Decision(no, service, policy.metadata.name, current, None, (reason,), summaries=mine)
    frame = _Frame(policy, strategy, current, base, context)
    outcome = apply_rules(policy.spec.rules, base)
    if outcome.stop is not None:
        return frame.decision(outcome.stop, outcome.reasons, summaries=mine)
    reasons = list(outcome.reasons)
    blocked = check_guards(policy.spec.guards, context) or _not_ready(frame)
    if blocked:
        return frame.decision(DecisionKind.NO_CHANGE, reasons + blocked, summaries=mine)
    try:
        assessed, notes = _assess(frame, mine, profiles or {}, prices or {}, seed)
    except Exception as exc:  # degrade: the optimizer failed, the rules already ran
        reasons.append(
            Reason("search_failed", f"the optimizer failed ({type(exc).__name__}: {exc})")
        )
        return frame.decision(
            DecisionKind.NO_CHANGE, reasons, summaries=mine, degraded=("search_failed",)
        )
    return _pick(frame, assessed, reasons + notes, outcome.require_approval, mine)


def _not_ready(frame: _Frame) -> list[Reason]:
    """Why the current version cannot serve as the baseline (empty when it can)."""
    base, floor = frame.base, frame.strategy.spec.judge.min_sample
    if base.n < floor:
        return [
            Reason(
                "insufficient_data",
                f"{base.version} has {base.n} requests; at least {floor} are needed",
                {"n": base.n, "min_sample": floor},
            )
        ]
    missing = [o.metric for o in frame.spec.objectives if o.metric not in base.metrics]
    if missing:
        return [
            Reason(
                "baseline_needs_evaluation",
                f"{base.version} has no {', '.join(missing)}; nothing can be compared with it",
                {"metrics": ", ".join(missing)},
            )
        ]
    return []


def _measured(frame: _Frame, summaries: Sequence[Summary], space: Space) -> list[Scored]:
    items = [Scored(frame.current, frame.base.metrics, frame.base.n)]
    floor = frame.strategy.spec.judge.min_sample
    seen = {version_id(dict(frame.current.params))}
    for summary in sorted(summaries, key=lambda s: (-s.n, s.version)):
        params = dict(summary.candidate.params)
        if summary is frame.base or not params or not space.contains(params):
            continue
        merged = {**frame.current.params, **params}
        key = version_id(merged)
        if summary.n < floor or key in seen:
            continue
        seen.add(key)
        candidate = Candidate(summary.service, summary.version, merged)  # measured: its own name
        items.append(Scored(candidate, summary.metrics, summary.n))
    return items


def _assess(
    frame: _Frame,
    summaries: Sequence[Summary],
    profiles: Mapping[str, ModelProfile],
    prices: Mapping[str, Price],
    seed: int | np.random.Generator,
) -> tuple[list[Assessment], list[Reason]]:
    space = space_of(frame.spec)
    items = _measured(frame, summaries, space)
    seen = {version_id(dict(i.candidate.params)) for i in items}
    notes: list[str] = []
    if space.names and (profiles or frame.spec.priors):
        items += _predicted(frame, space, profiles, prices, seed, seen, notes)
    assessed = assess_all(items, frame.spec, frame.base.metrics)
    assessed[0] = replace(assessed[0], improvement=Estimate.exact(0.0), score=-assessed[0].penalty)
    reasons = [Reason("prediction_note", note) for note in dict.fromkeys(notes)]
    return assessed, reasons


def _predicted(
    frame: _Frame,
    space: Space,
    profiles: Mapping[str, ModelProfile],
    prices: Mapping[str, Price],
    seed: int | np.random.Generator,
    seen: set[str],
    notes: list[str],
) -> list[Scored]:
    fallback = frame.current.params.get("model")
    rpd = _requests_per_day(frame.base)
    cache: dict[tuple[str, Any], Mapping[str, Estimate] | None] = {}

    def run(params: Mapping[str, Any]) -> Mapping[str, Estimate]:
        found = predict(
            params,
            profiles=profiles,
            prices=prices,
            priors=frame.spec.priors,
            fallback_model=None if fallback is None else str(fallback),
            requests_per_day=rpd,
        )
        notes.extend(found.notes)
        return found.metrics

    factors = calibration(frame.base.metrics, run(dict(frame.current.params)))
    if factors:
        shown = ", ".join(f"{m} ×{f:.3g}" for m, f in sorted(factors.items()))
        notes.append(f"predictions calibrated to {frame.current.version}: {shown}")

    def evaluate(point: Mapping[str, Any]) -> Mapping[str, Estimate] | None:
        params = {**frame.current.params, **point}
        key = (str(params.get("model")), params.get("max_tokens"))
        if key not in cache:
            cache[key] = calibrated(run(params), factors) or None
        return cache[key]

    result = search(space, evaluate, frame.spec, seed=seed)
    items = []
    for point, metrics in result.evaluated:
        params = {**frame.current.params, **point}
        version = version_id(params)
        if version not in seen:
            seen.add(version)
            candidate = Candidate(frame.current.service, version, params)
            items.append(Scored(candidate, metrics, 0, predicted=True))
    return items


def _requests_per_day(base: Summary) -> float | None:
    daily, cost = base.get("daily_cost_usd"), base.get("cost_per_request")
    if daily is not None and cost is not None and cost.value > 0:
        return daily.value / cost.value
    return None


def _pick(
    frame: _Frame,
    assessed: list[Assessment],
    reasons: list[Reason],
    require_approval: bool,
    summaries: tuple[Summary, ...],
) -> Decision:
    evidence = {"assessments": tuple(assessed), "summaries": summaries}
    front = ranked_front(assessed)
    others = [a for a in front if a is not assessed[0]]
    if not others and not any(a.eligible for a in assessed[1:]):
        reasons.extend(_why_nothing(assessed))
        return frame.decision(DecisionKind.NO_CHANGE, reasons, **evidence)
    if not others or front[0] is assessed[0]:
        reasons.append(
            Reason("current_is_best", f"{frame.current.version} scores best on the Pareto front")
        )
        return frame.decision(DecisionKind.NO_CHANGE, reasons, **evidence)
    failures: list[Reason] = []
    for chosen in others:
        if recently_closed(frame.spec.guards, frame.context, _target(chosen).version):
            failures.append(_closed(chosen))
            continue
        verdict = gate(chosen, frame.spec, frame.strategy)
        if verdict.passed:
            proposal = _proposal(frame, chosen, front, verdict, require_approval)
            reasons.insert(0, Reason("proposed", proposal.rationale[0]))
            return frame.decision(DecisionKind.PROPOSE, reasons, proposal=proposal, **evidence)
        failures.extend(verdict.failures)
    return frame.decision(DecisionKind.NO_CHANGE, reasons + failures[:3], **evidence)


def _target(chosen: Assessment) -> Candidate:
    """The candidate to roll out: its version is ``version_id(params)``, measured or not."""
    params = dict(chosen.candidate.params)
    return Candidate(chosen.candidate.service, version_id(params), params)


def _closed(chosen: Assessment) -> Reason:
    return Reason(
        "recently_closed",
        f"{_target(chosen).version} was proposed and closed recently (closed_pr_cooldown)",
    )


def _why_nothing(assessed: list[Assessment]) -> list[Reason]:
    rest = assessed[1:]
    if not rest:
        return [
            Reason("no_candidates", "no other configuration was measured or could be predicted")
        ]
    reasons = []
    if any(not a.feasible and not a.needs_evaluation for a in rest):
        reasons.append(
            Reason(
                "no_feasible_candidate", "every candidate with evidence breaks a hard constraint"
            )
        )
    waiting = sorted({m for a in rest for m in a.needs_evaluation})
    if waiting:
        reasons.append(
            Reason(
                "needs_evaluation",
                f"candidates lack evidence for {', '.join(waiting)}; evaluate them first",
                {"metrics": ", ".join(waiting)},
            )
        )
    return reasons


def _proposal(
    frame: _Frame,
    chosen: Assessment,
    front: list[Assessment],
    verdict: GateResult,
    require_approval: bool,
) -> Proposal:
    gain = chosen.improvement or Estimate.exact(0.0)
    summary = tradeoff(chosen.metrics, frame.base.metrics, frame.spec)
    target = _target(chosen)
    how = (
        "predicted"
        if chosen.predicted
        else f"measured as {chosen.candidate.version} on {chosen.n} requests"
    )
    rationale = (
        f"{target.version}: {summary} ({how}); improvement {gain.value:+.1%} "
        f"[{gain.low:+.1%}, {gain.high:+.1%}], P(≥ "
        f"{frame.strategy.spec.thresholds.min_improvement:.0%}) = {verdict.confidence:.2f}, "
        f"risk {verdict.risk:.2f} ({verdict.level})",
        *(f"soft constraint: {v.label}" for v in chosen.violations if not v.hard),
    )
    return Proposal(
        current=frame.current,
        target=target,
        predicted=deltas(chosen.metrics, frame.base.metrics),
        improvement=gain,
        confidence=verdict.confidence,
        risk=verdict.risk,
        risk_level=verdict.level,
        rollout=rollout_plan(frame.strategy),
        triggers=triggers(frame.strategy),
        rationale=rationale,
        alternatives=alternatives(front, chosen, frame.base.metrics, frame.spec),
        requires_approval=require_approval or verdict.level == "high",
    )

"""Run a policy's ``tests:``: given summaries, the expected decision or reason code.

Pure: each case becomes literal summaries and a :class:`Context` at a fixed instant, goes
through the real :func:`choose`, and the decision is compared with ``expect``. Without
profiles only the versions the case lists are candidates (no predicted points).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from autoopt.decide.choose import choose
from autoopt.decide.decision import Decision
from autoopt.decide.rules import Context
from autoopt.errors import UserError
from autoopt.spec.models import GivenEstimate, GivenVersion, Policy, PolicyTest, Strategy
from autoopt.values import METRICS, Z95, Candidate, Estimate, Summary, Window

#: The instant every policy test runs at; durations in a case count back from it.
TEST_NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TEST_WINDOW = Window(TEST_NOW - timedelta(hours=1), TEST_NOW)


@dataclass(frozen=True)
class CaseResult:
    policy: str
    name: str
    passed: bool
    detail: str  # why it failed; empty when it passed
    decision: Decision | None = None


def estimate(metric: str, given: float | GivenEstimate, n: int) -> Estimate:
    """A test value as an Estimate: exact, except error_rate (binomial with ``n``)."""
    if isinstance(given, GivenEstimate):
        if given.low is not None and given.high is not None:
            return Estimate(given.value, given.low, given.high)
        se = given.se or 0.0
        return Estimate(given.value, given.value - Z95 * se, given.value + Z95 * se, se)
    value = float(given)
    if metric == "error_rate" and n > 0:
        se = math.sqrt(max(value * (1 - value), 0.25 / n) / n)
        return Estimate(value, max(0.0, value - Z95 * se), min(1.0, value + Z95 * se), se)
    return Estimate.exact(value)


def summary_of(service: str, version: str, given: GivenVersion) -> Summary:
    metrics = {
        name: estimate(name, value, given.n)
        for name in METRICS
        if (value := getattr(given, name)) is not None
    }
    rate = metrics.get("error_rate")
    return Summary(
        candidate=Candidate(service, version, dict(given.params)),
        n=given.n,
        errors=round(rate.value * given.n) if rate is not None else 0,
        window=TEST_WINDOW,
        metrics=metrics,
    )


def context_of(case: PolicyTest) -> Context:
    def back(delta: timedelta | None) -> datetime | None:
        return None if delta is None else TEST_NOW - delta

    return Context(
        now=TEST_NOW,
        rollout_active=case.rollout_active,
        changes_today=case.changes_today,
        last_change_at=back(case.since_last_change),
        last_rollback_at=back(case.since_last_rollback),
    )


def run_case(
    policy: Policy, strategy: Strategy, case: PolicyTest, stable: Candidate | None = None
) -> CaseResult:
    name = policy.metadata.name
    current = _current(policy, case, stable)
    if current is None:
        detail = "no current version: set `current:` (the policy is tested without a repository)"
        return CaseResult(name, case.name, False, detail)
    service = policy.spec.target.service
    summaries = [summary_of(service, v, g) for v, g in sorted(case.given.items())]
    try:
        decision = choose(summaries, policy, strategy, current=current, context=context_of(case))
    except UserError as exc:
        return CaseResult(name, case.name, False, str(exc))
    problems = _compare(case, decision)
    return CaseResult(name, case.name, not problems, "; ".join(problems), decision)


def run_policy(
    policy: Policy, strategy: Strategy, stable: Candidate | None = None
) -> list[CaseResult]:
    return [run_case(policy, strategy, case, stable) for case in policy.spec.tests]


def _current(policy: Policy, case: PolicyTest, stable: Candidate | None) -> Candidate | None:
    version = case.current or (stable.version if stable is not None else None)
    if version is None:
        return None
    params: dict[str, Any] = {}
    if stable is not None and stable.version == version:
        params.update(stable.params)
    given = case.given.get(version)
    if given is not None:
        params.update(given.params)
    return Candidate(policy.spec.target.service, version, params)


def _compare(case: PolicyTest, decision: Decision) -> list[str]:
    expect = case.expect
    problems = []
    codes = [r.code for r in decision.reasons]
    if decision.kind.value != expect.decision:
        problems.append(f"expected {expect.decision}, got {decision.kind.value} ({_why(decision)})")
    if expect.reason is not None and expect.reason not in codes:
        problems.append(f"expected reason {expect.reason}, got {', '.join(codes) or 'no reasons'}")
    if expect.to is not None and decision.proposal is not None:
        target = decision.proposal.target.params
        wrong = {k: v for k, v in expect.to.items() if not _same(target.get(k), v)}
        if wrong:
            shown = ", ".join(f"{k}={target.get(k)!r} (expected {v!r})" for k, v in wrong.items())
            problems.append(f"proposed {shown}")
    return problems


def _why(decision: Decision) -> str:
    last = [r for r in decision.reasons if r.code not in ("rule_alert", "prediction_note")]
    return "; ".join(f"{r.code}: {r.message}" for r in last[-2:]) or "no reasons"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def summarise(results: Sequence[CaseResult]) -> Mapping[str, int]:
    passed = sum(1 for r in results if r.passed)
    return {"passed": passed, "failed": len(results) - passed}

"""The review of one changed policy: what the old and the new policy would decide today, on
the same metrics (the decision engine of ``propose``, run for both)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from autoopt.decide.decision import Decision
from autoopt.errors import AutooptError
from autoopt.review.documents import Snapshot, field_changes
from autoopt.review.impact import cannot
from autoopt.review.model import DecisionBrief, Outcome, PolicyReview, Verdict
from autoopt.spec.load import Loaded

#: (the snapshot, the policy's name) → the decision today; raises AutooptError when it cannot.
Decide = Callable[[Snapshot, str], Decision]


def decider(metrics_src: Callable[[Snapshot], str | None], now: datetime, seed: int) -> Decide:
    """The decision of ``propose --dry-run``, for a policy of either snapshot."""
    from autoopt.propose.engine import decide_for

    def decide(snap: Snapshot, name: str) -> Decision:
        assert snap.repo is not None
        return decide_for(snap.repo, name, metrics_src=metrics_src(snap), now=now, seed=seed)

    return decide


def review_policy(path: str, base: Snapshot, head: Snapshot, decide: Decide) -> PolicyReview:
    old: Loaded[Any] | None = base.policy_at(path)
    new: Loaded[Any] | None = head.policy_at(path)
    either = new or old
    assert either is not None
    name = either.document.metadata.name
    service = either.document.spec.target.service
    before = _brief(decide, base, old)
    after = _brief(decide, head, new)
    change = "added" if old is None else "deleted" if new is None else "changed"
    return PolicyReview(
        path, name, service, change, field_changes(old, new), before, after, _verdict(after)
    )


def _brief(decide: Decide, snap: Snapshot, loaded: Loaded[Any] | None) -> DecisionBrief | None:
    if loaded is None:
        return None
    try:
        decision = decide(snap, loaded.document.metadata.name)
    except AutooptError as exc:
        return DecisionBrief("error", reasons=(("error", str(exc)),))
    proposal = decision.proposal
    reasons = tuple((r.code, r.message) for r in decision.reasons)
    if proposal is None:
        return DecisionBrief(decision.kind.value, reasons=reasons)
    return DecisionBrief(
        decision.kind.value,
        target_version=proposal.target.version,
        target_params={
            k: v for k, v in proposal.target.params.items() if decision.current.params.get(k) != v
        },
        improvement=proposal.improvement,
        confidence=proposal.confidence,
        risk=proposal.risk,
        reasons=reasons,
    )


def _verdict(after: DecisionBrief | None) -> Verdict:
    if after is None:
        return Verdict(Outcome.SUCCESS, "no_params_change", "the policy is removed")
    if after.kind == "error":
        return cannot(f"the new policy cannot decide: {after.reasons[0][1]}")
    return Verdict(Outcome.SUCCESS, "within_policy", f"the new policy decides {describe(after)}")


def describe(brief: DecisionBrief) -> str:
    if brief.kind == "error":
        return f"nothing (cannot decide: {brief.reasons[0][1]})"
    if brief.kind == "propose" and brief.target_version is not None:
        changes = ", ".join(f"{k}={v}" for k, v in sorted(brief.target_params.items()))
        return f"propose {brief.target_version} ({changes})"
    main = main_reason(brief)
    return f"{brief.kind} ({main[0]})" if main else brief.kind


NOTES = frozenset({"prediction_note", "proposed"})


def main_reason(brief: DecisionBrief) -> tuple[str, str] | None:
    """The reason that says why (notes about predictions are not reasons)."""
    return next(((c, m) for c, m in brief.reasons if c not in NOTES), None)

"""The propose phase: for every turn no earlier phase settled, decide and open (or update,
or retire) the service's proposal; the controls (pause, emergency stop) come first."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from autoopt.controls import block_reason
from autoopt.cycle.core import Cycle, Planned, Turn
from autoopt.cycle.events import CycleEvent, Decision, PullRef, release
from autoopt.errors import UserError
from autoopt.values import Reason

if TYPE_CHECKING:
    from autoopt.decide.decision import Decision as Decided
    from autoopt.propose import ProposalPlan, ProposalResult
    from autoopt.rollout.state import RepoState

Item = tuple[Turn, "ProposalPlan | None"]


class ProposePhase:
    name = "propose"

    def plan(self, cycle: Cycle, turns: tuple[Turn, ...]) -> Planned:
        state = cycle.state()
        items = [_plan(cycle, state, turn) for turn in turns]
        preview = tuple(turn for turn, _ in items)

        def run() -> tuple[Turn, ...]:
            return tuple(_apply(cycle, turn, plan) for turn, plan in items)

        return Planned(preview, run)


def _skip(turn: Turn, state: RepoState, reason: Reason, error: str | None = None) -> Turn:
    stable = None
    config = state.repository.configs.get(turn.service)
    if config is not None:
        spec = config.document.spec
        stable = release(spec.stable.version, spec.stable.params.flat())
    action = "failed" if error else "none"
    event = CycleEvent(
        turn.service, turn.policy, "propose", "skipped", action, stable=stable,
        reasons=(reason,), error=error,
    )  # fmt: skip
    return turn.settle(event)


def _plan(cycle: Cycle, state: RepoState, turn: Turn) -> Item:
    from autoopt import propose

    if turn.settled:
        return turn, None
    if turn.policy is None:
        return _skip(turn, state, Reason("no_policy", "no policy targets this service")), None
    config = state.repository.configs.get(turn.service)
    blocked = block_reason(state.stop, config.document) if config is not None else None
    if blocked is not None:
        return _skip(turn, state, blocked), None
    if turn.hints.get("quiet"):  # the policy proposes when its triggers say so
        return _skip(turn, state, Reason("no_trigger", str(turn.hints["quiet"]))), None
    try:
        decision = propose.decide_for(
            state.repository, turn.policy, metrics_src=cycle.metrics_src, now=cycle.now,
            seed=cycle.seed, cheaper=bool(turn.hints.get("cheaper")), source=cycle.source(),
        )  # fmt: skip
        plan = propose.plan(state.repository, turn.policy, decision, now=cycle.now)
    except UserError as exc:
        return _skip(turn, state, Reason("error", str(exc)), str(exc)), None
    return turn.settle(_event(plan, "dry_run")), plan


def _apply(cycle: Cycle, turn: Turn, plan: ProposalPlan | None) -> Turn:
    from autoopt import propose

    if plan is None or cycle.git is None:
        return turn
    try:
        result = propose.apply(plan, cycle.git.repo, cycle.forge())
    except UserError as exc:
        return turn.settle(replace(_event(plan, "failed"), error=str(exc), notes=(str(exc),)))
    return turn.settle(_event(plan, result.action, result))


def _decision(decided: Decided) -> Decision:
    return "propose" if decided.kind.value == "propose" else "no_change"


def _event(plan: ProposalPlan, action: str, result: ProposalResult | None = None) -> CycleEvent:
    decided = plan.decision
    proposal = decided.proposal if plan.request is not None else None
    stable = release(decided.current.version, decided.current.params)
    metrics: dict[str, object] = {}
    base = next((s for s in decided.summaries if s.version == decided.current.version), None)
    if base is not None:
        metrics["stable"] = {"n": base.n, **{k: e.value for k, e in sorted(base.metrics.items())}}
    if proposal is not None:
        metrics["target"] = {k: p.estimate.value for k, p in sorted(proposal.predicted.items())}
    notes: tuple[str, ...] = ()
    if decided.kind.value not in ("propose", "no_change"):
        notes = (f"decision {decided.kind.value}: a rule stopped the optimizer",)
    pull = None
    if result is not None:
        notes = (*notes, result.message)
        if result.pr is not None:
            pull = PullRef(result.pr.number, result.pr.url)
    return CycleEvent(
        plan.service,
        plan.policy,
        "propose",
        _decision(decided),
        action,
        stable=stable,
        target=None
        if proposal is None
        else release(proposal.target.version, proposal.target.params),
        metrics=metrics,
        reasons=decided.reasons,
        confidence=None if proposal is None else proposal.confidence,
        improvement=None if proposal is None else proposal.improvement,
        pull_request=pull,
        commit=None if result is None else result.sha,
        notes=notes,
    )

"""The reconcile phase: judge every active rollout (one plan, one push) and settle its turns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from autoopt.controls import block_reason
from autoopt.cycle.core import Cycle, Planned, Turn
from autoopt.cycle.events import CycleEvent, Decision, PullRef, reason_values, release
from autoopt.errors import UserError
from autoopt.rollout.state import pr_number
from autoopt.values import Reason

if TYPE_CHECKING:
    from autoopt.reconcile import ReconcileResult, ServiceResult
    from autoopt.rollout.state import RepoState


class ReconcilePhase:
    name = "reconcile"

    def plan(self, cycle: Cycle, turns: tuple[Turn, ...]) -> Planned:
        from autoopt import reconcile

        state = cycle.state()
        if not reconcile.active(state):
            return Planned(turns)
        try:
            read = cycle.metrics()
        except UserError as exc:
            return Planned(_fail(state, turns, _active(state), str(exc)))
        planned = reconcile.plan(state, read.frame, now=cycle.now)
        if cycle.only is not None:  # a run for some services (a /autoopt recheck) acts on those
            kept = tuple(s for s in planned.services if s.service in cycle.only)
            planned = replace(planned, services=kept)
        preview = _settle(state, turns, reconcile.preview(planned))
        git = cycle.git
        if git is None:
            return Planned(preview)

        def run() -> tuple[Turn, ...]:
            try:
                forge = cycle.forge() if planned.needs_forge else None
                if forge is None and planned.wants_forge:
                    forge = reconcile.soft_forge(cycle.forge)
                result = reconcile.apply(planned, git, forge)
            except UserError as exc:
                names = {s.service for s in planned.services}
                return _fail(state, turns, names, str(exc))
            return _settle(state, turns, result)

        return Planned(preview, run)


def _active(state: RepoState) -> set[str]:
    from autoopt.rollout.machine import phase_of

    configs = state.repository.configs
    return {n for n, c in configs.items() if phase_of(c.document) is not None}


def _before(state: RepoState, service: str) -> tuple[dict[str, object] | None, ...]:
    config = state.repository.configs[service].document.spec
    stable = release(config.stable.version, config.stable.params.flat())
    canary = None
    if config.canary is not None:
        canary = {
            **release(config.canary.version, config.canary.params.flat()),
            "step": config.canary.step,
            "weight": config.canary.weight,
        }
    return stable, canary


def _fail(
    state: RepoState, turns: tuple[Turn, ...], services: Iterable[str], error: str
) -> tuple[Turn, ...]:
    names = set(services)
    out = []
    for turn in turns:
        if turn.settled or turn.service not in names:
            out.append(turn)
            continue
        stable, canary = _before(state, turn.service)
        event = CycleEvent(
            turn.service,
            turn.policy,
            "reconcile",
            "skipped",
            "failed",
            stable=stable,
            canary=canary,
            reasons=(Reason("error", error),),
            error=error,
        )
        out.append(turn.settle(event))
    return tuple(out)


def _settle(state: RepoState, turns: tuple[Turn, ...], result: ReconcileResult) -> tuple[Turn, ...]:
    by_service = {s.plan.service: s for s in result.services}
    out, seen = [], set()
    for turn in turns:
        found = by_service.get(turn.service)
        if turn.settled or found is None:
            out.append(turn)
            continue
        if turn.service in seen:  # a second policy of a service in rollout: nothing to do
            reason = Reason("rollout_active", "a rollout is active on this service")
            out.append(
                turn.settle(
                    CycleEvent(
                        turn.service, turn.policy, "reconcile", "skipped", "none", reasons=(reason,)
                    )
                )
            )
            continue
        seen.add(turn.service)
        out.append(turn.settle(_event(state, turn, found, result)))
    return tuple(out)


def _action(service: ServiceResult) -> str:
    plan = service.plan
    if service.applied:
        return "pr_opened" if plan.via == "pr" else str(plan.action)
    if plan.blocked is not None:
        return "blocked"
    return "none"


def _event(
    state: RepoState, turn: Turn, service: ServiceResult, result: ReconcileResult
) -> CycleEvent:
    plan = service.plan
    stable, canary = _before(state, plan.service)
    reasons = plan.reasons
    blocked = block_reason(state.stop, state.repository.configs[plan.service].document)
    if plan.blocked is not None and blocked is not None:
        reasons = (*reasons, blocked)
    number = pr_number(plan.proposal or "")
    pull = PullRef(number, "") if number is not None else None
    if service.pull_request:
        pull = PullRef(pr_number(service.pull_request) or 0, service.pull_request)
    decision: Decision = plan.verdict  # type: ignore[assignment]  # promote | hold | rollback
    return CycleEvent(
        plan.service,
        plan.policy or turn.policy,
        "reconcile",
        decision,
        _action(service),
        stable=stable,
        canary=canary,
        metrics=reason_values(plan.reasons),
        reasons=reasons,
        pull_request=pull,
        commit=service.commit,
        notes=service.notes,
        error=service.error,
    )

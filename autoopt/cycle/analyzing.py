"""The analysis phase: every policy's triggers, evaluated first in a cycle and acted on.

Per (service, policy) turn whose policy declares triggers, :func:`plan` evaluates them at the
cycle's ``now`` (:func:`autoopt.monitor.triggers.evaluate_policies`: one aggregation of the
metrics for all services, then only the signals each policy's triggers read), with the
cooldowns of ``.autoopt/triggers.json`` and of the audit log. What the fired triggers ask for:

* ``rollback`` (only inside the last promotion's watch window; outside it the trigger alerts):
  the previous stable is restored with a commit whose trailers name the trigger
  (``Autoopt-Trigger``) and its reasons, pushed with the expected old head; when another run
  moved the branch first, the phase re-reads, re-evaluates and retries — the guarantees of a
  stage rollback. The turn is settled: reconcile and propose leave the service alone.
* ``alert``: recorded on the turn (the event's ``alerts``), in ``.autoopt/triggers.json`` (the
  PR's progress comment shows it), and as a warning on the workflow run.
* ``propose`` / ``propose_cheaper``: the propose phase runs for the policy (with
  ``hints["cheaper"]``, minimising cost per request within the policy's hard constraints). A
  policy that declares a proposing ``schedule`` trigger proposes on that schedule or when
  another proposing trigger fires (``hints["quiet"]`` otherwise); a policy without one
  proposes every cycle, as before.

Every fired trigger is recorded in ``.autoopt/triggers.json`` (one commit with the rollbacks,
one push), so its cooldown holds on the next run, wherever it runs. A paused service or the
emergency stop blocks the rollback (reported, not done); alerts are still recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from autoopt.analyze.triggers import Firing, TriggerOutcome
from autoopt.controls import block_reason
from autoopt.cycle.core import Cycle, Planned, Turn
from autoopt.cycle.events import CycleEvent, alert_message, reason_values, release
from autoopt.errors import StaleHead, UserError
from autoopt.values import Reason

if TYPE_CHECKING:
    from autoopt.rollout.state import RepoState
    from autoopt.rollout.triggerlog import TriggerLog
    from autoopt.spec.models import Policy

MAX_ATTEMPTS = 5
PROPOSING = ("propose", "propose_cheaper")


@dataclass(frozen=True)
class Rollback:
    """The restore commit a rollback trigger asks for."""

    path: str
    new_text: str
    message: str
    version: str  # the version rolled back (the stable before the cycle)
    restored: str  # the previous stable, stable again
    firing: Firing
    blocked: Reason | None = None  # paused or the emergency stop: reported, not done


@dataclass(frozen=True)
class Item:
    """One (service, policy) turn's triggers: what was evaluated and what acting takes."""

    service: str
    policy: str
    outcome: TriggerOutcome
    scheduled: tuple[str, ...]  # the policy's proposing schedule triggers (they gate proposals)
    stable: Mapping[str, object] | None
    rollback: Rollback | None = None

    @property
    def alerts(self) -> tuple[Firing, ...]:
        return tuple(f for f in self.outcome.fired if f.action == "alert")


@dataclass(frozen=True)
class TriggerPlan:
    head: str | None
    items: Mapping[tuple[str, str], Item]  # (service, policy) → its triggers
    log: TriggerLog | None  # the new .autoopt/triggers.json (None: nothing fired)
    fired: int = 0


class AnalyzePhase:
    name = "analyze"

    def plan(self, cycle: Cycle, turns: tuple[Turn, ...]) -> Planned:
        planned = plan(cycle, cycle.state())
        if planned is None:
            return Planned(turns)
        preview = update(turns, planned, commits={}, applied=False)
        if cycle.git is None:
            return Planned(preview)
        return Planned(preview, lambda: apply(cycle, planned, turns))


def check_manual(state: RepoState, names: Iterable[str]) -> None:
    """Every ``--trigger NAME`` names a manual trigger of some policy."""
    known = sorted(
        {
            t.name
            for loaded in state.repository.policies.values()
            for t in loaded.document.spec.triggers
            if t.type == "manual"
        }
    )
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise UserError(
            f"--trigger {', '.join(unknown)}: no policy declares a manual trigger of that name "
            f"(manual triggers: {', '.join(known) or 'none'})"
        )


def plan(cycle: Cycle, state: RepoState) -> TriggerPlan | None:
    """Evaluate every policy's triggers at ``cycle.now``; None when no policy has any (or the
    metrics cannot be read: reconcile and propose report that for each service)."""
    from autoopt.monitor.triggers import evaluate_policies, last_fired
    from autoopt.rollout.triggerlog import read_trigger_log

    check_manual(state, cycle.manual)
    repo = state.repository
    policies = {n: p.document for n, p in repo.policies.items() if p.document.spec.triggers}
    if not policies:
        return None
    try:
        read = cycle.metrics()
    except UserError:
        return None
    log = read_trigger_log(cycle.root)
    fired = last_fired(cycle.git.history()) if cycle.git is not None else {}
    for key, at in log.last_fired().items():
        fired[key] = max(at, fired.get(key, at))
    configs = {name: c.document for name, c in repo.configs.items()}
    found = evaluate_policies(
        policies.values(), configs, read.frame, now=cycle.now, fired=fired, manual=cycle.manual
    )
    items = {(f.service, f.policy): _item(state, policies[f.policy], f.outcome) for f in found}
    new_log, count = log, 0
    for item in items.values():
        if item.outcome.fired:
            count += len(item.outcome.fired)
            new_log = new_log.recorded(
                item.service,
                ((f.name, f.type, f.priority) for f in item.outcome.fired),
                alerts=((f.name, f.priority, alert_message(f)) for f in item.alerts),
                now=cycle.now,
            )
    return TriggerPlan(state.head, items, new_log if count else None, count)


def _item(state: RepoState, policy: Policy, outcome: TriggerOutcome) -> Item:
    service = policy.spec.target.service
    scheduled = tuple(
        t.name for t in policy.spec.triggers if t.type == "schedule" and t.action in PROPOSING
    )
    loaded = state.repository.configs.get(service)
    stable = None
    if loaded is not None:
        spec = loaded.document.spec
        stable = release(spec.stable.version, spec.stable.params.flat())
    item = Item(service, policy.metadata.name, outcome, scheduled, stable)
    firing = next((f for f in outcome.fired if f.action == "rollback"), None)
    if firing is None or loaded is None or loaded.document.spec.previous is None:
        return item
    return replace(item, rollback=_rollback(state, loaded, policy, firing))


def _rollback(state: RepoState, loaded: object, policy: Policy, firing: Firing) -> Rollback:
    from autoopt.gitops import trailers as tr
    from autoopt.monitor.triggers import TRIGGER
    from autoopt.rollout import messages
    from autoopt.rollout.edits import restore_previous
    from autoopt.spec.load import Loaded

    assert isinstance(loaded, Loaded)
    config = loaded.document
    previous = config.spec.previous
    assert previous is not None
    version, restored, service = config.spec.stable.version, previous.version, config.metadata.name
    trailers = (
        (tr.SERVICE, service),
        (tr.POLICY, policy.metadata.name),
        (tr.DECISION, "rollback"),
        (messages.ACTION, "restore"),
        (tr.FROM_VERSION, restored),
        (tr.VERSION, version),
        (TRIGGER, firing.name),
        *messages.reason_trailers(firing.reasons),
    )
    title = f"autoopt: revert {service} {version} to {restored} (trigger {firing.name})"
    lines = [
        f"- trigger {firing.name} ({firing.type}, {firing.priority}) fired inside the watch "
        f"window of {version}",
        *messages.reason_lines(firing.reasons),
    ]
    root = state.repository.root.resolve()
    return Rollback(
        path=loaded.path.resolve().relative_to(root).as_posix(),
        new_text=restore_previous(loaded.text),
        message=messages.format_message(title, lines, trailers),
        version=version,
        restored=restored,
        firing=firing,
        blocked=block_reason(state.stop, config),
    )


def _log_message(planned: TriggerPlan) -> str:
    from autoopt.gitops import trailers as tr

    lines = []
    for item in sorted(planned.items.values(), key=lambda i: (i.service, i.policy)):
        for f in item.outcome.fired:
            lines.append(f"- {item.service}: {f.name} ({f.type}, {f.priority}) → {f.action}")
    title = f"autoopt: record {planned.fired} trigger firing(s)"
    return tr.format_message(title, "\n".join(lines), ((tr.DECISION, "record"),))


Change = tuple[Mapping[str, str | None], str]  # (files, commit message)


def _changes(planned: TriggerPlan) -> tuple[list[tuple[str, str]], list[Change]]:
    from autoopt.rollout.triggerlog import LOG_FILE

    keys: list[tuple[str, str]] = []
    changes: list[Change] = []
    for key, item in sorted(planned.items.items()):
        rollback = item.rollback
        if rollback is not None and rollback.blocked is None:
            keys.append(key)
            changes.append(({rollback.path: rollback.new_text}, rollback.message))
    if planned.log is not None:
        changes.append(({LOG_FILE: planned.log.text()}, _log_message(planned)))
    return keys, changes


def apply(cycle: Cycle, planned: TriggerPlan, turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
    """Commit the rollbacks and the trigger log, one push; re-read and retry on a race."""
    git = cycle.git
    assert git is not None
    current: TriggerPlan | None = planned
    for _attempt in range(MAX_ATTEMPTS):
        if current is None:
            return turns
        keys, changes = _changes(current)
        try:
            shas = git.commit_all(changes)
            if shas:
                git.push(expected=current.head)
        except StaleHead:
            git.sync()
            current = plan(cycle, cycle.state())
            continue
        except UserError as exc:
            return _failed(turns, current, str(exc))
        return update(turns, current, commits=dict(zip(keys, shas, strict=False)), applied=True)
    words = f"the base branch kept moving: gave up after {MAX_ATTEMPTS} attempts"
    return _failed(turns, current or planned, words)


def _failed(turns: tuple[Turn, ...], planned: TriggerPlan, error: str) -> tuple[Turn, ...]:
    out = []
    for turn in update(turns, planned, commits={}, applied=False):
        item = planned.items.get((turn.service, turn.policy or ""))
        if item is not None and item.rollback is not None and item.rollback.blocked is None:
            event = replace(_rollback_event(item, "failed", None), error=error, notes=(error,))
            out.append(turn.settle(event))
        else:
            out.append(turn)
    return tuple(out)


def _rollback_event(item: Item, action: str, commit: str | None) -> CycleEvent:
    rollback = item.rollback
    assert rollback is not None
    reasons = rollback.firing.reasons
    notes: tuple[str, ...] = ()
    if rollback.blocked is not None:
        reasons, action = (*reasons, rollback.blocked), "blocked"
    elif commit is not None:
        notes = (f"restored {rollback.restored} in {commit[:12]}",)
    return CycleEvent(
        item.service,
        item.policy,
        "analyze",
        "rollback",
        action,
        stable=item.stable,
        target={"version": rollback.restored},
        metrics=reason_values(rollback.firing.reasons),
        reasons=reasons,
        commit=commit,
        notes=notes,
    )


def _quiet(item: Item) -> str:
    states = ", ".join(
        f"{f.name} {f.status}" for f in item.outcome.evaluated if f.name in item.scheduled
    )
    return f"not scheduled: the policy proposes on its schedule ({states}) or another trigger"


def update(
    turns: tuple[Turn, ...],
    planned: TriggerPlan,
    *,
    commits: Mapping[tuple[str, str], str],
    applied: bool,
) -> tuple[Turn, ...]:
    """The turns with their triggers: firings, alerts, the trigger followed, hints for the
    propose phase, and the rollback's event (settled) where one fired."""
    out = []
    for turn in turns:
        key = (turn.service, turn.policy or "")
        item = planned.items.get(key)
        if item is None or turn.settled:
            out.append(turn)
        else:
            out.append(_turn(turn, item, commits.get(key), applied))
    return tuple(out)


def _turn(turn: Turn, item: Item, commit: str | None, applied: bool) -> Turn:
    fired = item.outcome.fired
    # a budget's cheaper proposal wins over a plain one (drift and spend firing together)
    proposal = next((f for f in fired if f.action == "propose_cheaper"), None)
    proposal = proposal or next((f for f in fired if f.action in PROPOSING), None)
    hints = dict(turn.hints)
    if proposal is not None:
        hints |= {"propose": proposal.name, "cheaper": proposal.action == "propose_cheaper"}
    elif item.scheduled:
        hints["quiet"] = _quiet(item)
    chosen = item.rollback.firing if item.rollback is not None else proposal
    chosen = chosen or next(iter(item.alerts), None)
    found = replace(
        turn,
        trigger=chosen.name if chosen is not None else turn.trigger,
        firings=item.outcome.evaluated,
        alerts=item.alerts,
        hints=MappingProxyType(hints),
    )
    if item.rollback is None:
        return found
    action = "restore" if commit is not None else "dry_run" if not applied else "none"
    return found.settle(_rollback_event(item, action, commit))

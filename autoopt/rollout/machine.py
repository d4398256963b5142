"""The rollout state machine: (config, evidence, strategy, now) → the next config text.

Pure: no git, no clock, no metrics reading. The evidence (the judge's verdict and the arms'
measurements) is computed before and passed in, so every transition is tested with literals.

Phases of a service:

* ``rollout`` — a canary is active. The judge's verdict moves it: hold keeps the stage;
  rollback drops the canary; promote advances to the next step, or at the last step (100%)
  ends the rollout (canary → stable, the old stable kept in ``previous`` for the watch
  window). ``blue-green`` switches to 100% on the first promote; ``ab`` holds a fixed split
  until the minimum sample or the stage duration, then promotes the winner by the policy's
  objectives or keeps the stable.
* ``watch`` — after a full promotion, until ``previous.watch_until``: the new stable is
  compared with its pre-promotion baseline; a rollback verdict restores ``previous``; when
  the window ends without one, ``previous`` is forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from autoopt.rollout import edits
from autoopt.rollout.objectives import weighted_improvement
from autoopt.spec.models import LLMConfig, Policy, Strategy
from autoopt.values import Reason

Verdict = Literal["promote", "hold", "rollback"]
Phase = Literal["rollout", "watch"]


class Action(StrEnum):
    """What a plan does to one config file."""

    NONE = "none"  # hold, or observe only (paused / emergency stop)
    ADVANCE = "advance"  # next step of the canary
    PROMOTE = "promote"  # end of the rollout: canary → stable, watch window starts
    REVERT = "revert"  # rollback: the canary is dropped
    END_WATCH = "end_watch"  # watch window over without regression: previous forgotten
    RESTORE = "restore"  # regression in the watch window: previous → stable again


@dataclass(frozen=True)
class Evidence:
    """What the judge said and what the two arms measured (metric means, ``n``)."""

    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    stable: Mapping[str, float] = field(default_factory=dict)
    canary: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    verdict: Verdict
    action: Action
    reasons: tuple[Reason, ...]
    new_text: str | None  # None when the file does not change


def phase_of(config: LLMConfig) -> Phase | None:
    spec = config.spec
    if spec.canary is not None:
        return "rollout"
    if spec.previous is not None and spec.previous.watch_until is not None:
        return "watch"
    return None


def transition(
    text: str,
    config: LLMConfig,
    evidence: Evidence,
    *,
    strategy: Strategy,
    policy: Policy | None,
    now: datetime,
    tree: Any = None,
) -> Transition:
    """The next state of one service, as new file text (None when nothing changes).

    ``tree`` is the text's ruamel tree when the caller has it (a faster edit, same bytes)."""
    if config.spec.canary is None:
        return _watch(text, config, evidence, now)
    kind = config.spec.canary.strategy
    if kind == "ab" and evidence.verdict != "rollback":
        return _ab(text, config, evidence, strategy=strategy, policy=policy, now=now)
    if evidence.verdict == "rollback":
        dropped = edits.drop_canary(text, tree=tree)
        return Transition("rollback", Action.REVERT, evidence.reasons, dropped)
    if evidence.verdict == "hold":
        return Transition("hold", Action.NONE, evidence.reasons, None)
    canary = config.spec.canary
    if kind == "blue-green" or canary.step >= len(canary.steps) - 1:
        return _promote(text, evidence.reasons, strategy, now)
    return Transition(
        "promote", Action.ADVANCE, evidence.reasons, edits.advance_step(text, now=now, tree=tree)
    )


def _promote(
    text: str, reasons: tuple[Reason, ...], strategy: Strategy, now: datetime
) -> Transition:
    watch = strategy.spec.rollout.watch
    until = now + watch if watch is not None else None
    new_text = edits.promote_full(text, now=now, watch_until=until)
    return Transition("promote", Action.PROMOTE, reasons, new_text)


def _watch(text: str, config: LLMConfig, evidence: Evidence, now: datetime) -> Transition:
    previous = config.spec.previous
    assert previous is not None and previous.watch_until is not None
    if evidence.verdict == "rollback":
        return Transition(
            "rollback", Action.RESTORE, evidence.reasons, edits.restore_previous(text)
        )
    if now >= previous.watch_until:
        reason = Reason(
            "watch_passed",
            f"no severe regression of {config.spec.stable.version} against "
            f"{previous.version} during the watch window",
        )
        return Transition(
            "promote", Action.END_WATCH, (*evidence.reasons, reason), edits.end_watch(text)
        )
    return Transition("hold", Action.NONE, evidence.reasons, None)


def _ab(
    text: str,
    config: LLMConfig,
    evidence: Evidence,
    *,
    strategy: Strategy,
    policy: Policy | None,
    now: datetime,
) -> Transition:
    canary = config.spec.canary
    assert canary is not None
    minimum = strategy.spec.judge.min_sample
    n_stable, n_canary = int(evidence.stable.get("n", 0)), int(evidence.canary.get("n", 0))
    duration = (
        canary.durations[min(canary.step, len(canary.durations) - 1)] if canary.durations else None
    )
    elapsed = now - canary.step_started_at
    sampled = min(n_stable, n_canary) >= minimum
    if not sampled and (duration is None or elapsed < duration):
        reason = Reason(
            "ab_collecting",
            f"fixed split until {minimum} requests per arm or the stage duration",
            {
                "n_stable": n_stable,
                "n_canary": n_canary,
                "min_sample": minimum,
                "elapsed_s": elapsed.total_seconds(),
            },
        )
        return Transition("hold", Action.NONE, (reason,), None)
    return _ab_decide(text, config, evidence, strategy, policy, now)


def _ab_decide(
    text: str,
    config: LLMConfig,
    evidence: Evidence,
    strategy: Strategy,
    policy: Policy | None,
    now: datetime,
) -> Transition:
    objectives = policy.spec.objectives if policy is not None else []
    scored = weighted_improvement(evidence.stable, evidence.canary, objectives)
    if scored is None:
        reason = Reason(
            "ab_no_objective_data", "no objective of the policy was measured in both arms"
        )
        return Transition("hold", Action.NONE, (reason,), None)
    score, parts = scored
    values: dict[str, float | int | str] = {"score": round(score, 6)}
    values.update({k: round(v, 6) for k, v in parts.items()})
    canary = config.spec.canary
    assert canary is not None
    if score > 0:
        reason = Reason(
            "ab_canary_wins",
            f"{canary.version} beats {config.spec.stable.version} on the policy's objectives "
            f"by {score:+.1%}",
            values,
        )
        return _promote(text, (reason,), strategy, now)
    reason = Reason(
        "ab_stable_kept",
        f"{canary.version} does not beat {config.spec.stable.version} on the policy's "
        f"objectives ({score:+.1%}); the stable is kept",
        values,
    )
    return Transition("rollback", Action.REVERT, (reason,), edits.drop_canary(text))

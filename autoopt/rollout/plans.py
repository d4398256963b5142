"""The values of the reconcile workflow: its plan per service and what applying it did.

They live below the workflow (``autoopt/reconcile.py``) so that the round runner, the cycle and
the demo can name them without reaching up into the workflow module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from autoopt.rollout.machine import Action
from autoopt.rollout.observe import Frames
from autoopt.rollout.stop import EmergencyStop
from autoopt.values import Reason

Blocked = Literal["paused", "emergency_stop"]
PlanPhase = Literal["rollout", "watch", "recovery"]
Via = Literal["commit", "pr"]


@dataclass(frozen=True)
class ServicePlan:
    service: str
    path: str  # the config file, relative to the repository root
    phase: PlanPhase  # rollout | watch | recovery (after a rollback: reported only)
    stable: str
    canary: str | None  # the version being rolled out (the new stable in the watch phase)
    step: int | None
    weight: int | None
    verdict: str
    action: Action
    reasons: tuple[Reason, ...]
    policy: str | None
    proposal: str | None
    new_text: str | None  # what the file becomes; None when nothing changes
    message: str
    via: Via | None  # how the change lands; None when nothing changes
    blocked: Blocked | None = None  # why a change was not planned although judged
    promotion: str = "auto"  # the policy's promotion mode: auto | pr
    steps: tuple[int, ...] = ()  # the rollout's traffic steps (for the progress comment)
    alerts: tuple[str, ...] = ()  # the triggers' alerts during the rollout, newest first
    previous: str | None = None  # watch phase: the old stable a rollback would restore


@dataclass(frozen=True)
class ReconcilePlan:
    now: datetime
    head: str | None
    stop: EmergencyStop | None
    services: tuple[ServicePlan, ...]
    base: str = "main"  # the base branch rollouts commit to
    metrics: Frames = field(default_factory=dict, compare=False, repr=False)

    @property
    def changes(self) -> tuple[ServicePlan, ...]:
        return tuple(s for s in self.services if s.via is not None)

    @property
    def wants_forge(self) -> bool:
        """True when a rollout has a pull request to report its progress on (best effort)."""
        return self.needs_forge or any(s.proposal for s in self.services)

    @property
    def needs_forge(self) -> bool:
        """True when applying opens a step PR or comments on a rollout's pull request."""
        return any(
            s.via == "pr" or (s.verdict == "rollback" and (s.proposal or s.promotion == "pr"))
            for s in self.changes
        )


@dataclass(frozen=True)
class ServiceResult:
    plan: ServicePlan
    applied: bool
    commit: str | None = None
    pull_request: str | None = None  # URL of the step's pull request (promotion: pr)
    notes: tuple[str, ...] = ()
    error: str | None = None  # the forge failed after the commit landed (progress not posted)


@dataclass(frozen=True)
class ReconcileResult:
    now: datetime
    stop: EmergencyStop | None
    services: tuple[ServiceResult, ...]
    attempts: int  # 1 when the first push went through; more after StaleHead retries
    head: str | None = None

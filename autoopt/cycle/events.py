"""One event per service and cycle: the stable JSON contract of ``autoopt cycle --format json``.

A :class:`CycleEvent` is plain data built by the phase that settled the service (reconcile for
a service with an active rollout, propose for the others, or a phase plugged in between) and
rendered last: one JSON object per line, then one ``summary`` line. The fields are described in
``docs/github.md`` and ``/work/coord/INTERFACES.md`` ("The cycle event").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from autoopt.rollout.stop import EmergencyStop
from autoopt.values import Estimate, Reason

Decision = Literal["propose", "no_change", "promote", "hold", "rollback", "skipped"]
DECISIONS: tuple[Decision, ...] = ("rollback", "promote", "propose", "hold", "no_change", "skipped")
SCHEMA = 1

if TYPE_CHECKING:
    from autoopt.analyze.triggers import Firing


@dataclass(frozen=True)
class PullRef:
    number: int
    url: str

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "url": self.url}


@dataclass(frozen=True)
class CycleEvent:
    """What one cycle decided and did for one service (under one policy)."""

    service: str
    policy: str | None
    phase: str  # the phase that settled the service: reconcile | propose | a plugged one
    decision: Decision
    action: str  # what was done: created, updated, closed, committed, blocked, dry_run, none, …
    trigger: str = "schedule"
    stable: Mapping[str, Any] | None = None  # {"version", "params"} before the cycle
    canary: Mapping[str, Any] | None = None  # {"version", "params", "step", "weight"} before
    target: Mapping[str, Any] | None = None  # what a proposal proposes: {"version", "params"}
    metrics: Mapping[str, Any] = field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()
    confidence: float | None = None
    improvement: Estimate | None = None  # predicted weighted improvement over stable
    pull_request: PullRef | None = None
    commit: str | None = None
    notes: tuple[str, ...] = ()
    dry_run: bool = False
    error: str | None = None  # set when this service failed; the others still ran
    triggers: tuple[Firing, ...] = ()  # the policy's triggers as evaluated in this run
    alerts: tuple[Firing, ...] = ()  # the fired triggers that alert (see docs/analyze.md)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "service",
            "schema": SCHEMA,
            "service": self.service,
            "policy": self.policy,
            "phase": self.phase,
            "trigger": self.trigger,
            "stable": None if self.stable is None else dict(self.stable),
            "canary": None if self.canary is None else dict(self.canary),
            "target": None if self.target is None else dict(self.target),
            "metrics": dict(self.metrics),
            "decision": self.decision,
            "reasons": [r.as_dict() for r in self.reasons],
            "confidence": self.confidence,
            "predicted_improvement": None
            if self.improvement is None
            else self.improvement.as_dict(),
            "pull_request": None if self.pull_request is None else self.pull_request.as_dict(),
            "action": self.action,
            "commit": self.commit,
            "notes": list(self.notes),
            "dry_run": self.dry_run,
            "failed": self.failed,
            "error": self.error,
            "triggers": [firing_dict(f) for f in self.triggers],
            "alerts": [alert_dict(f) for f in self.alerts],
        }


@dataclass(frozen=True)
class CycleSummary:
    """The end of a run: counts by decision, failures, and the one line people read."""

    now: datetime
    events: tuple[CycleEvent, ...]
    dry_run: bool
    stop: EmergencyStop | None = None
    seconds: Mapping[str, float] = field(default_factory=dict, compare=False)  # by step
    dashboard: PullRef | None = None  # the dashboard issue the run updated
    dashboard_error: str | None = None  # why it could not be updated

    @property
    def failed(self) -> tuple[CycleEvent, ...]:
        return tuple(e for e in self.events if e.failed)

    def counts(self) -> dict[str, int]:
        found = {d: sum(1 for e in self.events if e.decision == d) for d in DECISIONS}
        return {d: n for d, n in found.items() if n}

    def decision(self) -> str:
        """The most consequential decision of the run (rollback > promote > propose > …)."""
        seen = {e.decision for e in self.events}
        return next((d for d in DECISIONS if d in seen), "no_change" if not seen else "skipped")

    def pull_requests(self) -> list[PullRef]:
        refs = {e.pull_request.number: e.pull_request for e in self.events if e.pull_request}
        return [refs[n] for n in sorted(refs)]

    def alerts(self) -> list[tuple[CycleEvent, Firing]]:
        """Every alert of the run with the event (service) it belongs to, in event order."""
        return [(e, a) for e in self.events for a in e.alerts]

    def line(self) -> str:
        when = self.now.strftime("%Y-%m-%d %H:%M UTC")
        parts = [f"{n} {d}" for d, n in self.counts().items()] or ["nothing to do"]
        prs = " ".join(f"#{p.number}" for p in self.pull_requests())
        text = f"autoopt cycle {when}: {len(self.events)} service(s): {', '.join(parts)}"
        if prs:
            text += f"; pull requests {prs}"
        if self.alerts():
            text += f"; {len(self.alerts())} alert(s)"
        if self.failed:
            text += f"; {len(self.failed)} failed ({', '.join(e.service for e in self.failed)})"
        if self.stop is not None:
            text += "; EMERGENCY STOP"
        return text + (" (dry run: nothing changed)" if self.dry_run else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": "summary",
            "schema": SCHEMA,
            "now": self.now.isoformat().replace("+00:00", "Z"),
            "services": len(self.events),
            "decisions": self.counts(),
            "decision": self.decision(),
            "pull_requests": [p.as_dict() for p in self.pull_requests()],
            "failed": [e.service for e in self.failed],
            "alerts": [{"service": e.service, **alert_dict(a)} for e, a in self.alerts()],
            "emergency_stop": None if self.stop is None else self.stop.as_dict(),
            "dashboard": None if self.dashboard is None else self.dashboard.as_dict(),
            "dashboard_error": self.dashboard_error,
            "dry_run": self.dry_run,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "summary": self.line(),
        }


def firing_dict(firing: Firing) -> dict[str, Any]:
    return {
        "name": firing.name,
        "type": firing.type,
        "priority": firing.priority,
        "status": firing.status,
        "action": firing.action,
        "reasons": [r.as_dict() for r in firing.reasons],
    }


def alert_message(firing: Firing) -> str:
    """One line: what the trigger saw (its reasons' messages, the declared message last)."""
    return "; ".join(r.message for r in firing.reasons if r.code != "no_watch_window")


def alert_dict(firing: Firing) -> dict[str, Any]:
    return {
        "trigger": firing.name,
        "type": firing.type,
        "priority": firing.priority,
        "message": alert_message(firing),
        "reasons": [r.as_dict() for r in firing.reasons],
    }


def release(version: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"version": version, "params": dict(params)}


def reason_values(reasons: Sequence[Reason]) -> dict[str, Any]:
    """The numbers a verdict was decided on, by reason code."""
    return {r.code: dict(r.values) for r in reasons if r.values}

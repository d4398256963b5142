"""Triggers declared in a policy, evaluated against the signals of one service at ``now``.

Order: by priority class (critical, high, medium, low), then as declared. A critical
trigger that fires short-circuits the rest (they are reported as ``skipped``). A trigger that
fired within its cooldown is reported as ``cooldown`` and does not fire. The decision follows
the first trigger that fired; the others that fired are reported with it. ``rollback`` acts
on the last promotion only inside its watch window; outside it the trigger alerts instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal

from autoopt.analyze.anomaly import Anomaly
from autoopt.analyze.budget import BudgetState
from autoopt.analyze.drift import STATES, Drift
from autoopt.spec.cron import Cron
from autoopt.spec.models import (
    AnomalyTrigger,
    BudgetTrigger,
    DriftTrigger,
    ManualTrigger,
    ScheduleTrigger,
    ThresholdTrigger,
)
from autoopt.values import METRICS, Reason

Status = Literal["fired", "quiet", "cooldown", "skipped", "no_data"]
PRIORITIES = ("critical", "high", "medium", "low")
DEFAULT_COOLDOWN = timedelta(hours=1)
_SEVERITIES = ("minor", "major", "critical")
Trigger = (
    ScheduleTrigger
    | ThresholdTrigger
    | AnomalyTrigger
    | DriftTrigger
    | BudgetTrigger
    | ManualTrigger
)


@dataclass(frozen=True)
class Observed:
    """A threshold trigger's metric over its window: the value and the requests behind it."""

    value: float
    n: int


@dataclass(frozen=True)
class Signals:
    """What the triggers of one service read, computed at ``now`` by the caller."""

    thresholds: Mapping[str, Observed] = field(default_factory=dict)  # trigger name → value
    anomalies: tuple[Anomaly, ...] = ()  # at the series' latest point
    drift: Mapping[str, Drift] = field(default_factory=dict)  # feature → drift
    budgets: Mapping[str, BudgetState] = field(default_factory=dict)  # period → state
    manual: frozenset[str] = frozenset()  # triggers asked for by hand in this run
    in_watch: bool = False  # the last promotion is inside its watch window


@dataclass(frozen=True)
class Firing:
    """One trigger's evaluation: whether it fired, what it asks for, and why."""

    name: str
    type: str
    priority: str
    action: str
    status: Status
    reasons: tuple[Reason, ...]

    @property
    def fired(self) -> bool:
        return self.status == "fired"


@dataclass(frozen=True)
class TriggerOutcome:
    evaluated: tuple[Firing, ...]

    @property
    def fired(self) -> tuple[Firing, ...]:
        return tuple(f for f in self.evaluated if f.fired)

    @property
    def chosen(self) -> Firing | None:
        """The first trigger (by priority) that fired: the cycle acts on it."""
        return next(iter(self.fired), None)


def cooldown_of(trigger: Trigger) -> timedelta:
    if trigger.cooldown is not None:
        return trigger.cooldown
    return timedelta(0) if trigger.type in ("schedule", "manual") else DEFAULT_COOLDOWN


def _reason(code: str, message: str, **values: float | int | str) -> Reason:
    return Reason(code, message, MappingProxyType(dict(values)))


def _schedule(
    trigger: ScheduleTrigger, now: datetime, last: datetime | None
) -> tuple[bool, list[Reason]]:
    due = Cron.parse(trigger.cron).last_at_or_before(now)
    if due is None:
        return False, []
    since = last if last is not None else now - max(cooldown_of(trigger), timedelta(hours=1))
    if due <= since:
        return False, []
    words = f"scheduled at {due.isoformat()} ({trigger.cron})"
    return True, [_reason("trigger_schedule", words, due=due.isoformat(), cron=trigger.cron)]


def _threshold(trigger: ThresholdTrigger, signals: Signals) -> tuple[bool | None, list[Reason]]:
    seen = signals.thresholds.get(trigger.name)
    if seen is None or seen.n < trigger.min_sample or not math.isfinite(seen.value):
        n = seen.n if seen is not None else 0
        words = f"{trigger.metric}: {n} request(s) in the last window, {trigger.min_sample} needed"
        return None, [_reason("no_data", words, n=n, min_sample=trigger.min_sample)]
    limit = trigger.above if trigger.above is not None else trigger.below
    assert limit is not None
    crossed = seen.value > limit if trigger.above is not None else seen.value < limit
    side = "above" if trigger.above is not None else "below"
    words = (
        f"{trigger.version} {trigger.metric} {seen.value:.4g} {side} {limit:.4g} over the last "
        f"{int(trigger.window.total_seconds())}s (n = {seen.n})"
    )
    values = {"metric": trigger.metric, "value": seen.value, "limit": limit, "n": seen.n}
    values["window_s"] = trigger.window.total_seconds()
    return crossed, [
        Reason("trigger_threshold", words, MappingProxyType(values))
    ] if crossed else []


def _worse(anomaly: Anomaly) -> bool:
    direction = METRICS.get(anomaly.metric, ("lower", ""))[0]
    return (anomaly.side == "above") == (direction == "lower")


def _anomaly(trigger: AnomalyTrigger, signals: Signals) -> tuple[bool, list[Reason]]:
    floor = _SEVERITIES.index(trigger.severity)
    hits = [
        a
        for a in signals.anomalies
        if a.metric == trigger.metric
        and a.detector in trigger.detectors
        and _SEVERITIES.index(a.severity) >= floor
        and (trigger.side == "any" or _worse(a))
    ]
    return bool(hits), [
        _reason(
            "trigger_anomaly",
            f"{a.metric} {a.value:.4g} outside the expected {a.expected_low:.4g}..."
            f"{a.expected_high:.4g} ({a.detector}, {a.severity}, score {a.score:.2f})",
            metric=a.metric,
            value=a.value,
            detector=a.detector,
            severity=a.severity,
            expected_low=a.expected_low,
            expected_high=a.expected_high,
        )
        for a in hits
    ]


def _drift(trigger: DriftTrigger, signals: Signals) -> tuple[bool, list[Reason]]:
    floor = STATES.index(trigger.state)
    reasons = []
    for key, found in sorted(signals.drift.items()):
        feature = key.split(":", 1)[0]
        if feature in trigger.features and STATES.index(found.state) >= floor:
            detectors = ", ".join(f"{t.detector} {t.state}" for t in found.tracks)
            words = f"request mix: {key} is in {found.state} ({detectors})"
            reasons.append(_reason("trigger_drift", words, feature=key, state=found.state))
    return bool(reasons), reasons


def _budget(trigger: BudgetTrigger, signals: Signals) -> tuple[bool, list[Reason]]:
    reasons = []
    for period, state in sorted(signals.budgets.items()):
        if trigger.period is not None and period != trigger.period:
            continue
        value = state.projected if trigger.projected else state.spent
        if value >= trigger.at * state.limit_usd:
            what = "projected spend" if trigger.projected else "spend"
            words = (
                f"{period} budget: {what} ${value:,.2f} is {value / state.limit_usd:.0%} of "
                f"${state.limit_usd:,.2f} (trigger at {trigger.at:.0%})"
            )
            reasons.append(
                _reason("trigger_budget", words, period=period, spent=state.spent, value=value)
            )
    return bool(reasons), reasons


def _check(
    trigger: Trigger, signals: Signals, now: datetime, last: datetime | None
) -> tuple[bool | None, list[Reason]]:
    if isinstance(trigger, ScheduleTrigger):
        return _schedule(trigger, now, last)
    if isinstance(trigger, ThresholdTrigger):
        return _threshold(trigger, signals)
    if isinstance(trigger, AnomalyTrigger):
        return _anomaly(trigger, signals)
    if isinstance(trigger, DriftTrigger):
        return _drift(trigger, signals)
    if isinstance(trigger, BudgetTrigger):
        return _budget(trigger, signals)
    asked = trigger.name in signals.manual
    return asked, [_reason("trigger_manual", "asked for by hand")] if asked else []


def _one(trigger: Trigger, signals: Signals, now: datetime, last: datetime | None) -> Firing:
    hit, reasons = _check(trigger, signals, now, last)
    base = Firing(trigger.name, trigger.type, trigger.priority, trigger.action, "quiet", ())
    if hit is None:
        return replace(base, status="no_data", reasons=tuple(reasons))
    if not hit:
        return base
    if last is not None and now < last + cooldown_of(trigger) and trigger.type != "manual":
        until = last + cooldown_of(trigger)
        words = f"fired at {last.isoformat()}; cooling down until {until.isoformat()}"
        return replace(base, status="cooldown", reasons=(_reason("cooldown", words),))
    if trigger.message:
        reasons.append(_reason("trigger_message", trigger.message))
    action = trigger.action
    if action == "rollback" and not signals.in_watch:
        action = "alert"
        words = "no promotion inside its watch window to roll back: alerting instead"
        reasons.append(_reason("no_watch_window", words))
    return replace(base, action=action, status="fired", reasons=tuple(reasons))


def ordered(triggers: Sequence[Any]) -> list[Any]:
    """By priority class, then as declared."""
    return sorted(triggers, key=lambda t: PRIORITIES.index(t.priority))


def evaluate(
    triggers: Sequence[Any],
    signals: Signals,
    *,
    now: datetime,
    last_fired: Mapping[str, datetime] | None = None,
) -> TriggerOutcome:
    """Evaluate every trigger (a critical one that fires short-circuits the rest)."""
    done: list[Firing] = []
    fired_critical = False
    for trigger in ordered(triggers):
        if fired_critical:
            words = "a critical trigger fired first"
            reason = _reason("short_circuit", words, by=done[-1].name if done else "")
            done.append(
                Firing(
                    trigger.name,
                    trigger.type,
                    trigger.priority,
                    trigger.action,
                    "skipped",
                    (reason,),
                )
            )
            continue
        firing = _one(trigger, signals, now, (last_fired or {}).get(trigger.name))
        done.append(firing)
        fired_critical = firing.fired and trigger.priority == "critical"
    return TriggerOutcome(tuple(done))

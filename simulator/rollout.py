"""The control plane: a simulated canary rollout that asks a caller's judge at every check.

SimPy processes own the clock: the rollout process wakes every ``check_every``, lets the data
plane catch up to now, shows the judge what both variants did since the step started, and moves
the canary weight. Fault windows are logged by their own processes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd
    import simpy

    from simulator.engine import DataPlane

VERDICTS = ("promote", "hold", "rollback")


@dataclass(frozen=True)
class StageContext:
    """What the judge sees: ``frame`` holds the canonical rows of both variants for requests
    that arrived since ``step_started_at`` and had finished by ``now``."""

    now: datetime
    step: int  # index into rollout.steps
    weight: float  # canary traffic in percent
    step_started_at: datetime
    frame: pd.DataFrame


class Judge(Protocol):
    def __call__(self, ctx: StageContext, /) -> str:
        """Return ``"promote"``, ``"hold"`` or ``"rollback"``."""
        ...


@dataclass(frozen=True)
class Event:
    """One line of the event log (``kind``: rollout_start, promote, hold, rollback,
    rollout_done, fault_start, fault_end, rate_limited)."""

    at: datetime
    kind: str
    target: str = ""
    value: float = 0.0
    detail: str = ""


class EventLog:
    def __init__(self, start: datetime) -> None:
        self.start, self.events = start, list[Event]()

    def add(
        self, now: float, kind: str, target: str = "", value: float = 0.0, detail: str = ""
    ) -> None:
        self.events.append(Event(self.start + timedelta(seconds=now), kind, target, value, detail))


def fault_process(
    env: simpy.Environment, log: EventLog, index: int, plane: DataPlane
) -> Generator[Any, Any, None]:
    fault = plane.scenario.spec.faults[index]
    target = fault.target.model or f"variant:{fault.target.variant}"
    yield env.timeout(fault.start)
    log.add(env.now, "fault_start", target, fault.magnitude, fault.type)
    yield env.timeout(fault.duration)
    log.add(env.now, "fault_end", target, fault.magnitude, fault.type)


def rollout_process(
    env: simpy.Environment,
    plane: DataPlane,
    judge: Judge,
    log: EventLog,
    frame_since: Callable[[float, float], pd.DataFrame],
) -> Generator[Any, Any, None]:
    rollout = plane.scenario.spec.rollout
    assert rollout is not None
    step, started = 0, env.now
    plane.weight = rollout.steps[0]
    log.add(env.now, "rollout_start", "canary", plane.weight)
    while True:
        yield env.timeout(rollout.check_every)
        plane.advance(env.now)
        ctx = StageContext(
            now=log.start + timedelta(seconds=env.now),
            step=step,
            weight=plane.weight,
            step_started_at=log.start + timedelta(seconds=started),
            frame=frame_since(started, env.now),
        )
        verdict = judge(ctx)
        if verdict not in VERDICTS:
            raise ValueError(f"judge returned {verdict!r}; expected one of {', '.join(VERDICTS)}")
        log.add(env.now, verdict, "canary", plane.weight, f"step {step}")
        if verdict == "rollback":
            plane.weight = 0.0
            return
        if verdict == "promote":
            step, started = step + 1, env.now
            if step == len(rollout.steps):
                plane.promoted = True
                log.add(env.now, "rollout_done", "canary", 100.0)
                return
            plane.weight = rollout.steps[step]

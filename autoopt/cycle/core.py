"""The cycle: one pass over the whole repository, as a sequence of phases over per-service turns.

A :class:`Turn` is one service (under one policy) in one run. The run starts with one turn per
(service, policy) in a stable order and hands them to each phase in turn. A phase first
*plans* (reads, decides, builds its plans; changes nothing) and returns a :class:`PhasePlan`;
:func:`run_cycle` then *applies* it, unless the run is a dry run — so no ``dry_run`` flag
travels into a phase. A phase settles a turn by giving it its :class:`CycleEvent`; later
phases leave settled turns alone. A phase that fails for one service settles that turn with
an error event and goes on with the others.

Extension point: a phase is any object with ``name`` and ``plan(cycle, turns)``; pass the
sequence to :func:`run_cycle`. ``default_phases()`` is analyze (the policies' triggers, see
:mod:`autoopt.cycle.analyzing`), reconcile, then propose. The analysis phase may settle a turn
(a critical trigger that rolled back), and sets ``trigger``, ``firings``, ``alerts`` and
``hints`` on a turn for the later phases and the event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from autoopt.cycle.events import CycleEvent, CycleSummary

if TYPE_CHECKING:
    from autoopt.analyze.triggers import Firing
    from autoopt.gitops.forge import Forge
    from autoopt.metrics import MetricsRead
    from autoopt.metrics.sources import MetricsSource
    from autoopt.rollout.gitport import BaseBranch
    from autoopt.rollout.state import RepoState
    from autoopt.spec.models import Settings
    from autoopt.spec.repository import Repository


@dataclass(frozen=True)
class Turn:
    """One service under one policy during one cycle."""

    service: str
    policy: str | None
    trigger: str = "schedule"  # what this turn follows: the run's start, or the trigger fired
    hints: Mapping[str, Any] = field(default_factory=dict)  # phase → later phases (e.g. cheaper)
    event: CycleEvent | None = None  # set by the phase that settled the service
    firings: tuple[Firing, ...] = ()  # the policy's triggers as evaluated in this run
    alerts: tuple[Firing, ...] = ()  # the fired triggers whose action is (or became) alert

    @property
    def settled(self) -> bool:
        return self.event is not None

    def settle(self, event: CycleEvent) -> Turn:
        found = replace(event, trigger=self.trigger, triggers=self.firings, alerts=self.alerts)
        return replace(self, event=found)


class PhasePlan(Protocol):
    @property
    def turns(self) -> tuple[Turn, ...]:
        """The turns as a dry run shows them (nothing applied)."""
        ...

    def apply(self) -> tuple[Turn, ...]:
        """Carry the plan out; the turns with what was done."""
        ...


class Phase(Protocol):
    name: str

    def plan(self, cycle: Cycle, turns: tuple[Turn, ...]) -> PhasePlan: ...


@dataclass(frozen=True)
class Planned:
    """A :class:`PhasePlan` made of a preview and a function that applies it."""

    turns: tuple[Turn, ...]
    run: Callable[[], tuple[Turn, ...]] | None = None

    def apply(self) -> tuple[Turn, ...]:
        return self.turns if self.run is None else self.run()


@dataclass
class Cycle:
    """What every phase of one run shares; built by the composition root (the CLI).

    ``git`` is the base branch (None outside a git clone); ``make_forge`` builds the forge on
    first use, so a run that needs none never asks for a token.
    """

    root: Path
    settings: Settings
    now: datetime
    git: BaseBranch | None
    make_forge: Callable[[], Forge]
    metrics_src: str | None = None
    seed: int = 0
    trigger: str = "schedule"  # what started the run: schedule | manual | …
    only: frozenset[str] | None = None  # the services this run looks at (None: every one)
    manual: frozenset[str] = frozenset()  # manual triggers asked for in this run (--trigger)
    _forge: Forge | None = None
    _metrics: MetricsRead | None = None
    _source: MetricsSource | None = None

    def forge(self) -> Forge:
        if self._forge is None:
            self._forge = self.make_forge()
        return self._forge

    def metrics(self) -> MetricsRead:
        """The metrics table, read once for every phase of the run (``UserError`` when the
        source cannot be read; the next call tries again)."""
        if self._metrics is None:
            from autoopt.metrics import read_metrics

            self._metrics = read_metrics(self.source())
        return self._metrics

    def source(self) -> MetricsSource:
        """The metrics source (``--metrics`` or the settings'), opened once for every phase: a
        file source then scans its files once for all the services it is asked about."""
        if self._source is None:
            from autoopt.metrics.sources import source_from_settings

            self._source = source_from_settings(self.settings.spec, self.root, self.metrics_src)
        return self._source

    def state(self) -> RepoState:
        """The repository as it is now (re-read: an earlier phase may have committed)."""
        from autoopt.rollout.state import read_state

        if self.git is None:
            return read_state(self.root)
        return read_state(
            self.root, self.git.repo.rev("HEAD"), self.git.history(), self.git.landed_at
        )

    def repository(self) -> Repository:
        from autoopt.spec.repository import load_repository

        return load_repository(self.root)


def first_turns(repository: Repository, trigger: str = "schedule") -> tuple[Turn, ...]:
    """One turn per (service, policy), sorted; a service no policy targets gets one turn."""
    by_service: dict[str, list[str | None]] = {name: [] for name in repository.configs}
    for name, loaded in sorted(repository.policies.items()):
        by_service.setdefault(loaded.document.spec.target.service, []).append(name)
    turns = []
    for service in sorted(by_service):
        turns += [Turn(service, policy, trigger) for policy in by_service[service] or [None]]
    return tuple(turns)


def default_phases() -> tuple[Phase, ...]:
    from autoopt.cycle.analyzing import AnalyzePhase
    from autoopt.cycle.proposing import ProposePhase
    from autoopt.cycle.reconciling import ReconcilePhase

    return (AnalyzePhase(), ReconcilePhase(), ProposePhase())


def run_cycle(
    cycle: Cycle, phases: Sequence[Phase] | None = None, *, apply: bool = True
) -> CycleSummary:
    """Run every phase over every turn; apply each phase's plan before the next one plans.

    The summary carries each step's wall time (``start``: the sync and the first read of
    the repository; then each phase, planning and applying): what a slow run spent its time
    on, in the JSON summary."""
    import time

    began = time.perf_counter()
    seconds: dict[str, float] = {}
    if apply and cycle.git is not None:
        cycle.git.sync()
    turns = first_turns(cycle.repository(), cycle.trigger)
    if cycle.only is not None:
        turns = tuple(t for t in turns if t.service in cycle.only)
    seconds["start"] = time.perf_counter() - began
    for phase in phases if phases is not None else default_phases():
        began = time.perf_counter()
        planned = phase.plan(cycle, turns)
        turns = planned.apply() if apply else planned.turns
        seconds[phase.name] = time.perf_counter() - began
    events = tuple(replace(t.event, dry_run=not apply) for t in turns if t.event is not None)
    from autoopt.rollout.stop import read_stop

    return CycleSummary(
        cycle.now, events, dry_run=not apply, stop=read_stop(cycle.root), seconds=seconds
    )

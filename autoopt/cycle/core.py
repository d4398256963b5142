"""The cycle: one pass over the whole repository, as a sequence of phases over per-service turns.

A :class:`Turn` is one service (under one policy) in one run. The run starts with one turn per
(service, policy) in a stable order and hands them to each phase in turn. A phase first
*plans* (reads, decides, builds its plans; changes nothing) and returns a :class:`PhasePlan`;
:func:`run_cycle` then *applies* it, unless the run is a dry run — so no ``dry_run`` flag
travels into a phase. A phase settles a turn by giving it its :class:`CycleEvent`; later
phases leave settled turns alone. A phase that fails for one service settles that turn with
an error event and goes on with the others.

Extension point: a phase is any object with ``name`` and ``plan(cycle, turns)``; pass the
sequence to :func:`run_cycle` (``default_phases()`` is reconcile, then propose). An analysis
phase goes between them: it may settle a turn (a critical trigger that rolled back), or set
``trigger`` / ``hints`` on a turn for the propose phase to read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from autoopt.cycle.events import CycleEvent, CycleSummary

if TYPE_CHECKING:
    from autoopt.gitops.forge import Forge
    from autoopt.rollout.gitport import BaseBranch
    from autoopt.rollout.state import RepoState
    from autoopt.spec.models import Settings
    from autoopt.spec.repository import Repository


@dataclass(frozen=True)
class Turn:
    """One service under one policy during one cycle."""

    service: str
    policy: str | None
    trigger: str = "schedule"
    hints: Mapping[str, Any] = field(default_factory=dict)  # phase → later phases (e.g. cheaper)
    event: CycleEvent | None = None  # set by the phase that settled the service

    @property
    def settled(self) -> bool:
        return self.event is not None

    def settle(self, event: CycleEvent) -> Turn:
        return replace(self, event=replace(event, trigger=self.trigger))


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
    _forge: Forge | None = None

    def forge(self) -> Forge:
        if self._forge is None:
            self._forge = self.make_forge()
        return self._forge

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
    from autoopt.cycle.proposing import ProposePhase
    from autoopt.cycle.reconciling import ReconcilePhase

    return (ReconcilePhase(), ProposePhase())


def run_cycle(
    cycle: Cycle, phases: Sequence[Phase] | None = None, *, apply: bool = True
) -> CycleSummary:
    """Run every phase over every turn; apply each phase's plan before the next one plans."""
    if apply and cycle.git is not None:
        cycle.git.sync()
    turns = first_turns(cycle.repository(), cycle.trigger)
    if cycle.only is not None:
        turns = tuple(t for t in turns if t.service in cycle.only)
    for phase in phases if phases is not None else default_phases():
        planned = phase.plan(cycle, turns)
        turns = planned.apply() if apply else planned.turns
    events = tuple(replace(t.event, dry_run=not apply) for t in turns if t.event is not None)
    from autoopt.rollout.stop import read_stop

    return CycleSummary(cycle.now, events, dry_run=not apply, stop=read_stop(cycle.root))

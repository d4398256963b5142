"""``autoopt cycle``: one pass over the repository — reconcile, then propose — as phases.

See :mod:`autoopt.cycle.core` for the phases and how another one plugs in, and
:mod:`autoopt.cycle.events` for the event every service gets.
"""

from autoopt.cycle.core import Cycle, Phase, PhasePlan, Planned, Turn, default_phases, run_cycle
from autoopt.cycle.events import CycleEvent, CycleSummary, PullRef

__all__ = [
    "Cycle",
    "CycleEvent",
    "CycleSummary",
    "Phase",
    "PhasePlan",
    "Planned",
    "PullRef",
    "Turn",
    "default_phases",
    "run_cycle",
]

"""A SimPy/numpy simulator of LLM traffic that emits autoopt's canonical metrics table.

Public API (imported lazily so that ``import simulator`` stays cheap)::

    Scenario, load_scenario, run_scenario, run_paired, with_stable, calibrate, COLUMNS,
    StageContext, Judge, Event, SimResult, ScenarioError, Problem, list_scenarios, scenario_path

``simulator`` imports nothing from ``autoopt``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from simulator.columns import COLUMNS
from simulator.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from simulator.calibration import calibrate
    from simulator.library import list_scenarios, scenario_path
    from simulator.loading import load_scenario, parse_scenario
    from simulator.rollout import Event, Judge, StageContext
    from simulator.run import SimResult, run_paired, run_scenario, with_stable
    from simulator.scenario import Params, Scenario

_LAZY = {
    "Scenario": "simulator.scenario",
    "Params": "simulator.scenario",
    "load_scenario": "simulator.loading",
    "parse_scenario": "simulator.loading",
    "run_scenario": "simulator.run",
    "run_paired": "simulator.run",
    "with_stable": "simulator.run",
    "SimResult": "simulator.run",
    "StageContext": "simulator.rollout",
    "Judge": "simulator.rollout",
    "Event": "simulator.rollout",
    "calibrate": "simulator.calibration",
    "list_scenarios": "simulator.library",
    "scenario_path": "simulator.library",
}

__all__ = [
    "COLUMNS",
    "Event",
    "Judge",
    "Params",
    "Problem",
    "Scenario",
    "ScenarioError",
    "SimResult",
    "StageContext",
    "calibrate",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "run_paired",
    "run_scenario",
    "scenario_path",
    "with_stable",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")

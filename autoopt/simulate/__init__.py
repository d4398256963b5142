"""The one adapter between autoopt and the ``simulator`` package.

It turns autoopt's documents into scenarios (from a file, the library, or calibrated on the
user's metrics), runs what-if comparisons on common random numbers, and runs the real canary
judge against simulated production (the rollout backtest). ``docs/simulate.md`` describes it.
"""

from __future__ import annotations

from autoopt.simulate.backtest import Backtest, JudgeRow, Rollout, StageJudge, backtest
from autoopt.simulate.evidence import Evidence, for_proposal
from autoopt.simulate.inputs import Injection, parse_inject, parse_sets
from autoopt.simulate.scenarios import calibrated, load_scenario, resolve_scenario, sim_params
from autoopt.simulate.setup import Candidate, Setup, pick_candidate, pick_strategy, prepare
from autoopt.simulate.whatif import Comparison, Run, WhatIf, run, what_if

__all__ = [
    "Backtest",
    "Candidate",
    "Comparison",
    "Evidence",
    "Injection",
    "JudgeRow",
    "Rollout",
    "Run",
    "Setup",
    "StageJudge",
    "WhatIf",
    "backtest",
    "calibrated",
    "for_proposal",
    "load_scenario",
    "parse_inject",
    "parse_sets",
    "pick_candidate",
    "pick_strategy",
    "prepare",
    "resolve_scenario",
    "run",
    "sim_params",
    "what_if",
]

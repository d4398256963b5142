"""The propose workflow: read → decide → build a plan → apply the plan.

``plan(repo, policy, decision, *, now)`` is pure: it computes the config edit, the branch, the
commit message with its trailers and the pull-request body. ``apply(plan, git, forge)`` carries
it out (one commit built locally, one leased push, one pull request created or updated).
``--dry-run`` prints the plan and never calls ``apply``.
"""

from autoopt.propose.applying import apply
from autoopt.propose.engine import decide_for, simulation_for
from autoopt.propose.model import ProposalPlan, ProposalResult, WhatIf, as_json
from autoopt.propose.planning import branch_name, plan

__all__ = [
    "ProposalPlan",
    "ProposalResult",
    "WhatIf",
    "apply",
    "as_json",
    "branch_name",
    "decide_for",
    "plan",
    "simulation_for",
]

"""``decide_for``: read the metrics and run the decision engine for one policy.

The composition of metrics → summaries → ``decide.choose`` lives here so the CLI calls one
function. Until the metrics and decision modules are merged it raises a clear UserError.
"""

from __future__ import annotations

from datetime import datetime

from autoopt.decide.decision import Decision
from autoopt.errors import UserError
from autoopt.spec.repository import Repository


def decide_for(
    repo: Repository, policy_name: str, *, metrics_src: str | None, now: datetime, seed: int
) -> Decision:
    """The decision for ``policy_name`` from the metrics ``metrics_src`` (or the settings')."""
    raise UserError("decision engine not available in this build (autoopt.decide.choose)")

"""The A/B winner: the policy's weighted relative improvement of one arm over the other.

Same score as the decision core (DESIGN "Semantics"): for each objective, the relative change
of the canary against the stable, signed so that better is positive, weighted by the
normalised weights. Objectives with no measurement in either arm are left out and the
remaining weights renormalised.
"""

from __future__ import annotations

from collections.abc import Mapping

from autoopt.spec.models import Objective


def weighted_improvement(
    stable: Mapping[str, float], canary: Mapping[str, float], objectives: list[Objective]
) -> tuple[float, dict[str, float]] | None:
    """``(score, per-metric relative improvement)``; None when no objective was measured."""
    parts: dict[str, float] = {}
    weights: dict[str, float] = {}
    for objective in objectives:
        base, new = stable.get(objective.metric), canary.get(objective.metric)
        if base is None or new is None or base == 0:
            continue
        change = (new - base) / abs(base)
        parts[objective.metric] = change if objective.goal == "maximize" else -change
        weights[objective.metric] = objective.weight
    if not parts:
        return None
    total = sum(weights.values())
    score = sum(parts[m] * weights[m] / total for m in parts)
    return score, parts

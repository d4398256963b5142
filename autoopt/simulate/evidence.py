"""A what-if for a proposal: the proposed params against stable, on the policy's calibrated
traffic, as plain text rows for the pull-request body (``autoopt.propose.WhatIf``'s fields)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from autoopt.errors import SimulationError
from autoopt.simulate.scenarios import beyond, require_models, sim_params
from autoopt.simulate.setup import Setup, prepare
from autoopt.simulate.whatif import Comparison, WhatIf, what_if
from autoopt.spec.models import Params
from autoopt.values import Estimate

#: What the pull request shows, in order.
PR_METRICS = (
    "error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "cost_per_request",
    "daily_cost_usd",
    "quality",
)


@dataclass(frozen=True)
class Evidence:
    """``title``, ``rows`` (metric, stable, proposed) and ``notes``, as the PR body shows them."""

    title: str
    rows: tuple[tuple[str, str, str], ...]
    notes: tuple[str, ...]
    result: WhatIf


def for_proposal(
    repo_root: Path,
    policy: str,
    version: str,
    params: Mapping[str, Any],
    *,
    metrics_src: str | None = None,
    seed: int = 0,
    replicas: int = 1,
    duration: timedelta | None = None,
) -> Evidence:
    """Simulate ``params`` (changes over the stable params) against stable on the policy's
    traffic, calibrated on its metrics; raise :class:`SimulationError` when it cannot."""
    setup = prepare(scenario_ref=None, repo_root=repo_root, policy_ref=policy,
                    metrics_src=metrics_src, duration=duration)  # fmt: skip
    candidate = _params(setup, params)
    require_models(setup.scenario, [candidate], "the proposal")
    base = setup.scenario.spec.variants.stable.params
    simulated = sim_params(beyond(candidate, setup.stable), base)
    result, _frame = what_if(
        setup.scenario, simulated, candidate_version=version, seed=seed, replicas=replicas
    )
    return evidence(result, setup.source)


def _params(setup: Setup, changes: Mapping[str, Any]) -> Params:
    data = {**setup.stable.flat(), **{k: v for k, v in changes.items() if "." not in k}}
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        raise SimulationError(
            f"the proposal's params are not valid: {exc.errors()[0]['msg']}"
        ) from None


def evidence(result: WhatIf, source: str) -> Evidence:
    hours = result.duration.total_seconds() / 3600
    title = (
        f"Simulated on the same {result.requests} requests for both ({hours:.3g} h of "
        f"traffic {source}; seed {result.seed}, {result.replicas} replica(s)):"
    )
    rows = tuple(_row(r) for r in result.rows if r.metric in PR_METRICS)
    notes = tuple(f"{kind}: {count}" for kind, count in sorted(result.events.items()))
    return Evidence(title, rows, notes, result)


def _row(row: Comparison) -> tuple[str, str, str]:
    return row.metric, _text(row.metric, row.stable), _text(row.metric, row.candidate, row.delta)


def _text(metric: str, value: Estimate | None, delta: Estimate | None = None) -> str:
    if value is None:
        return "not measured"
    shown = f"{value.value:.2%}" if metric == "error_rate" else f"{value.value:.4g}"
    if delta is None or not math.isfinite(delta.value):
        return shown
    if metric == "error_rate":
        return f"{shown} ({delta.value * 100:+.2f} pp)"
    return f"{shown} ({delta.value:+.1%})"

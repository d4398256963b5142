"""Literal building blocks for decide tests: policies, summaries, estimates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from autoopt.decide.rules import Context
from autoopt.spec.models import Policy, PolicySpec, Strategy
from autoopt.spec.repository import presets
from autoopt.values import Z95, Candidate, Estimate, Summary, Window

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0)


def est(value: float, se: float = 0.0) -> Estimate:
    return Estimate(value, value - Z95 * se, value + Z95 * se, se)


def summary(
    version: str, n: int = 1000, params: dict[str, Any] | None = None, **metrics: float | Estimate
) -> Summary:
    values = {k: v if isinstance(v, Estimate) else est(v) for k, v in metrics.items()}
    return Summary(
        candidate=Candidate("chat", version, params or {}),
        n=n,
        errors=0,
        window=WINDOW,
        metrics=values,
    )


def policy(**overrides: Any) -> PolicySpec:
    data: dict[str, Any] = {
        "target": {"service": "chat", "config": "configs/chat.yaml"},
        "objectives": [
            {"metric": "cost_per_request", "goal": "minimize", "weight": 0.6},
            {"metric": "quality", "goal": "maximize", "weight": 0.4},
        ],
        "constraints": [{"metric": "quality", "min": 80}],
    }
    data.update(overrides)
    return PolicySpec.model_validate(data)


def strategy(name: str = "balanced") -> Strategy:
    return presets()[name]


def policy_doc(name: str = "chat-cost", **overrides: Any) -> Policy:
    spec = policy(**overrides).model_dump(mode="json", exclude_unset=True)
    return Policy.model_validate(
        {"apiVersion": "autoopt/v1", "kind": "Policy", "metadata": {"name": name}, "spec": spec}
    )


CURRENT = Candidate("chat", "v7", {"model": "gpt-4o", "max_tokens": 1024})


def context(**facts: Any) -> Context:
    return Context(now=T0, **facts)

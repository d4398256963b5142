"""Canonical rows with known truth, for the metrics tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def frame(
    n: int,
    *,
    seed: int = 0,
    service: str = "chat",
    version: str = "v1",
    model: str = "gpt-4o",
    error_rate: float = 0.02,
    start: str = "2026-11-24T00:00:00Z",
    hours: float = 24.0,
    **overrides: Any,
) -> pd.DataFrame:
    """``n`` valid canonical rows spread evenly over ``hours`` from ``start``."""
    rng = np.random.default_rng(seed)
    stamps = pd.Timestamp(start) + pd.to_timedelta(
        np.linspace(0, hours * 3600, n, endpoint=False), unit="s"
    )
    data: dict[str, Any] = {
        "timestamp": stamps,
        "service": service,
        "version": version,
        "variant": None,
        "model": model,
        "latency_ms": rng.lognormal(6.5, 0.5, n),
        "ttft_ms": rng.lognormal(5.5, 0.3, n),
        "tokens_in": rng.integers(100, 2000, n).astype("float64"),
        "tokens_out": rng.integers(10, 500, n).astype("float64"),
        "cost_usd": rng.random(n) * 0.01,
        "error": rng.random(n) < error_rate,
        "quality": rng.normal(85, 5, n).clip(0, 100),
        "truncated": False,
        "error_type": None,
    }
    data.update(overrides)
    return pd.DataFrame(data)

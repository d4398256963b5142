"""Seeded synthetic per-request metrics in the canonical table's columns (numpy only)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

HEADER = (
    "timestamp",
    "service",
    "version",
    "model",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "error",
    "quality",
)


@dataclass(frozen=True)
class Arm:
    """One version's traffic: how many requests and how they behave."""

    version: str
    n: int
    error: float = 0.02
    latency_ms: float = 800.0
    quality: float = 85.0
    cost: float = 0.002
    model: str = "gpt-4o"


def rows(
    rng: np.random.Generator, service: str, arm: Arm, start: datetime, end: datetime
) -> list[tuple[object, ...]]:
    span = (end - start).total_seconds()
    offsets = np.sort(rng.uniform(0, span, arm.n))
    failed = rng.random(arm.n) < arm.error
    latency = arm.latency_ms * np.exp(0.3 * rng.standard_normal(arm.n))
    quality = np.clip(arm.quality + 5 * rng.standard_normal(arm.n), 0, 100)
    cost = rng.gamma(4.0, arm.cost / 4.0, arm.n)
    out = []
    for i in range(arm.n):
        when = (start + timedelta(seconds=float(offsets[i]))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(
            (
                when,
                service,
                arm.version,
                arm.model,
                round(float(latency[i]), 1),
                200,
                0 if failed[i] else 150,
                round(float(cost[i]), 6),
                "true" if failed[i] else "false",
                "" if failed[i] else round(float(quality[i]), 1),
            )
        )
    return out


def write(
    path: Path,
    service: str,
    arms: list[Arm],
    start: datetime,
    end: datetime,
    *,
    seed: int = 7,
    append: bool = False,
) -> Path:
    """Write (or append) the rows of ``arms`` between ``start`` and ``end`` to a CSV file."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not (append and path.exists())
    with path.open("a" if not new else "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(HEADER)
        for arm in arms:
            writer.writerows(rows(rng, service, arm, start, end))
    return path

"""The report's three pictures, each from plain data: the Pareto front with the chosen point,
canary against stable per stage with the decision boundary, and cost per day before and after."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from autoopt.report.svg import PALETTE, Canvas, fmt, nice_range


@dataclass(frozen=True)
class FrontPoint:
    label: str
    cost: float  # USD per request
    quality: float  # 0–100
    feasible: bool
    on_front: bool
    chosen: bool = False
    current: bool = False


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class StageBand:
    """One metric at one stage: both arms with intervals and the rollback boundary."""

    stage: str  # e.g. "5%"
    metric: str
    stable: Interval
    canary: Interval
    limit: float  # beyond this (above for latency/errors, below for quality) the trigger fires
    verdict: str


def front_chart(points: Sequence[FrontPoint], x_label: str = "cost per request (USD)") -> str:
    xs = [p.cost for p in points]
    ys = [p.quality for p in points]
    canvas = Canvas(
        "Pareto front: cost against quality",
        nice_range(xs),
        nice_range(ys),
        x_label,
        "quality (0–100)",
    )
    front = sorted((p for p in points if p.on_front), key=lambda p: p.cost)
    for a, b in itertools.pairwise(front):
        canvas.segment(a.cost, a.quality, b.cost, b.quality, PALETTE["front"], dash=True)
    for p in points:
        color = (
            PALETTE["chosen"]
            if p.chosen
            else PALETTE["stable"]
            if p.current
            else (PALETTE["front"] if p.on_front else PALETTE["other"])
        )
        canvas.point(p.cost, p.quality, color, p.label, r=7 if p.chosen or p.current else 4)
    canvas.legend(
        [
            ("chosen", PALETTE["chosen"]),
            ("current", PALETTE["stable"]),
            ("front", PALETTE["front"]),
            ("dominated / infeasible", PALETTE["other"]),
        ]
    )
    return canvas.render()


def stage_chart(bands: Sequence[StageBand]) -> str:
    """Per stage: stable and canary intervals side by side, the trigger boundary dashed."""
    metric = bands[0].metric if bands else ""
    values = [
        v
        for b in bands
        for v in (b.stable.low, b.stable.high, b.canary.low, b.canary.high, b.limit)
    ]
    canvas = Canvas(
        f"{metric}: canary against stable, per stage",
        (-0.5, max(len(bands), 1) - 0.5),
        nice_range(values),
        "stage",
        metric,
    )
    for i, band in enumerate(bands):
        for offset, arm, color in (
            (-0.12, band.stable, PALETTE["stable"]),
            (0.12, band.canary, PALETTE["canary"]),
        ):
            canvas.segment(i + offset, arm.low, i + offset, arm.high, color)
            canvas.point(i + offset, arm.value, color, r=4)
        canvas.segment(i - 0.35, band.limit, i + 0.35, band.limit, PALETTE["bound"], dash=True)
        canvas.parts.append(
            f'<text x="{canvas.x(i):.1f}" y="{canvas.y(canvas.y.lo) - 6:.1f}" text-anchor="middle" '
            f'class="tick">{band.stage} · {band.verdict}</text>'
        )
    canvas.legend(
        [
            ("stable", PALETTE["stable"]),
            ("canary", PALETTE["canary"]),
            ("rollback boundary", PALETTE["bound"]),
        ]
    )
    return canvas.render()


def cost_chart(before: float, after: float) -> str:
    canvas = Canvas(
        "Cost per day", (-0.7, 1.7), (0.0, max(before, after, 1e-9) * 1.2), "", "USD per day"
    )
    canvas.bar(0, 0.6, before, PALETTE["stable"], f"before ${fmt(before)}")
    canvas.bar(1, 0.6, after, PALETTE["chosen"], f"after ${fmt(after)}")
    return canvas.render()

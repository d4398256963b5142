"""Render a run report as one self-contained HTML file (inline SVG, inline CSS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from autoopt.report.charts import FrontPoint, StageBand, cost_chart, front_chart, stage_chart


@dataclass(frozen=True)
class TimelineEntry:
    at: str
    what: str
    verdict: str = ""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    facts: Sequence[tuple[str, str]]
    front: Sequence[FrontPoint]
    stages: Sequence[Sequence[StageBand]]  # one chart per metric
    cost_before: float
    cost_after: float
    timeline: Sequence[TimelineEntry]
    diff: str
    log: str
    notes: Sequence[str] = field(default=())


def render(report: Report) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("autoopt.report", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    charts = {
        "front": front_chart(report.front) if report.front else "",
        "stages": [stage_chart(bands) for bands in report.stages if bands],
        "cost": cost_chart(report.cost_before, report.cost_after),
    }
    return env.get_template("report.html.j2").render(report=report, charts=charts)

"""The HTML report: self-contained, escaped, and its charts place points where the data says."""

from __future__ import annotations

import re

from autoopt.report.charts import FrontPoint, Interval, StageBand, front_chart, stage_chart
from autoopt.report.html import Report, TimelineEntry, render
from autoopt.report.svg import MARGIN, WIDTH, Scale


def test_scale_maps_ends_to_ends() -> None:
    scale = Scale(0.0, 10.0, 100.0, 200.0)
    assert (scale(0.0), scale(5.0), scale(10.0)) == (100.0, 150.0, 200.0)


def test_front_chart_draws_every_point_and_marks_the_choice() -> None:
    points = [
        FrontPoint("v7", 0.010, 91.0, True, True, current=True),
        FrontPoint("v-cheap", 0.001, 87.0, True, True, chosen=True),
        FrontPoint("v-bad", 0.004, 80.0, False, False),
    ]
    svg = front_chart(points)
    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="(\d+)" fill="(#\w+)"', svg)
    assert len(circles) == 3
    xs = {float(x) for x, _y, _r, _c in circles}
    # The cheapest point is left-most and inside the plotting area.
    cheap_x = float(circles[1][0])
    assert cheap_x == min(xs)
    assert MARGIN[3] <= cheap_x <= WIDTH - MARGIN[1]
    assert circles[1][3] == "#e45756"  # chosen colour


def test_stage_chart_has_one_boundary_per_stage() -> None:
    bands = [
        StageBand(
            f"{w}%",
            "latency_p95_ms",
            Interval(1000, 950, 1050),
            Interval(1010, 900, 1150),
            1200,
            "promote",
        )
        for w in (5, 25, 50)
    ]
    svg = stage_chart(bands)
    assert svg.count('stroke-dasharray="5 4"') == 3
    assert "25% · promote" in svg


def test_report_is_self_contained_and_escaped() -> None:
    report = Report(
        title="demo <script>",
        facts=[("seed", "7")],
        front=[FrontPoint("<v>", 0.01, 90.0, True, True)],
        stages=[],
        cost_before=100.0,
        cost_after=10.0,
        timeline=[TimelineEntry("10:00", "rollback", "rollback", ("latency_p95_increase: +31%",))],
        diff="- model: gpt-4o\n+ model: gpt-4o-mini",
        log="Autoopt-Decision: rollback",
    )
    html = render(report)
    assert "<script>" not in html
    assert "demo &lt;script&gt;" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count("<svg") == 2  # the front and the cost chart
    assert 'class="rollback">rollback<' in html

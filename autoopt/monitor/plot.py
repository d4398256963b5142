"""``autoopt analyze --plot FILE``: the main series with anomalies and change points marked,
and the budget's cumulative spend against its limit with the projection.

One panel per main metric that was measured, then one for the first budget (daily before
weekly before monthly). ``.svg`` is drawn with the report's SVG primitives (no dependency);
``.png`` with matplotlib, an optional extra (``pip install 'autoopt[plot]'``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np

from autoopt.errors import UserError
from autoopt.monitor.render import LABELS, short
from autoopt.monitor.service import MAIN, ServiceAnalysis

HOUR = 3600.0
PANEL_HEIGHT = 300
COLORS = {
    "line": "#4c78a8",
    "anomaly": "#e45756",
    "change": "#b279a2",
    "limit": "#c62828",
    "projection": "#f58518",
    "band": "#9d9d9d",
}


@dataclass(frozen=True)
class Panel:
    title: str
    y_label: str
    x: tuple[float, ...]  # hours since the plot's origin
    y: tuple[float, ...]
    marks: tuple[tuple[float, float, str], ...] = ()  # anomalies: (x, y, label)
    vlines: tuple[tuple[float, str], ...] = ()  # change points: (x, label)
    hlines: tuple[tuple[float, str], ...] = ()  # the budget limit
    projection: tuple[tuple[float, float, float, float], ...] = ()  # x0, x1, y0, y1 (+ band)


def panels(a: ServiceAnalysis) -> tuple[float, list[Panel]]:
    """The origin (epoch seconds) and the panels to draw."""
    origin = a.window.start.timestamp()
    out = []
    for metric in MAIN:
        series = a.series.get(metric)
        if series is None or not np.isfinite(series.values).any():
            continue
        x = tuple(((series.times - origin) / HOUR).tolist())
        marks = tuple(
            ((m.time - origin) / HOUR, m.value, f"{m.detector} {m.severity} {short(m.time)}")
            for m in a.anomalies
            if m.metric == metric
        )
        lines = tuple(
            ((c.time - origin) / HOUR, f"change {short(c.time)}")
            for c in a.change_points.get(metric, ())
        )
        label = LABELS.get(metric, metric)
        out.append(
            Panel(f"{a.service}: {label}", label, x, tuple(series.values.tolist()), marks, lines)
        )
    budget = _budget_panel(a, origin)
    if budget is not None:
        out.append(budget)
    return origin, out


def _budget_panel(a: ServiceAnalysis, origin: float) -> Panel | None:
    if not a.budgets:
        return None
    order = {"daily": 0, "weekly": 1, "monthly": 2}
    budget = min(a.budgets, key=lambda b: order[b.period])
    cost = a.series["cost_usd"]
    keep = (cost.times >= budget.start) & (cost.times < a.as_of.timestamp())
    times = cost.times[keep] + cost.step  # spend is counted at each bucket's end
    spent = np.cumsum(np.nan_to_num(cost.values[keep]))
    x = tuple(((np.concatenate([[budget.start], times]) - origin) / HOUR).tolist())
    y = tuple(np.concatenate([[0.0], spent]).tolist())
    now, end = (a.as_of.timestamp() - origin) / HOUR, (budget.end - origin) / HOUR
    projection = ((now, end, budget.spent, budget.projected),)
    band = (
        (now, end, budget.spent, budget.projected_low),
        (now, end, budget.spent, budget.projected_high),
    )
    return Panel(
        f"{a.service}: {budget.period} spend against ${budget.limit_usd:,.2f}",
        "spend (USD)",
        x,
        y,
        hlines=((budget.limit_usd, f"limit ${budget.limit_usd:,.2f}"),),
        projection=projection + band,
    )


def _svg_panel(panel: Panel, x_label: str) -> str:
    from autoopt.report.svg import Canvas, nice_range

    xs = [*panel.x, *(p[1] for p in panel.projection)]
    ys = [
        *panel.y,
        *(m[1] for m in panel.marks),
        *(h[0] for h in panel.hlines),
        *(p[3] for p in panel.projection),
    ]
    canvas = Canvas(panel.title, nice_range(xs), nice_range(ys), x_label, panel.y_label)
    points = [(x, y) for x, y in zip(panel.x, panel.y, strict=True) if math.isfinite(y)]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        canvas.segment(x0, y0, x1, y1, COLORS["line"])
    lo, hi = canvas.y.lo, canvas.y.hi
    for x, _label in panel.vlines:
        canvas.segment(x, lo, x, hi, COLORS["change"], dash=True)
    for level, _label in panel.hlines:
        canvas.segment(canvas.x.lo, level, canvas.x.hi, level, COLORS["limit"], dash=True)
    for i, (x0, x1, y0, y1) in enumerate(panel.projection):
        canvas.segment(
            x0, y0, x1, y1, COLORS["projection"] if i == 0 else COLORS["band"], dash=i > 0
        )
    for x, y, label in panel.marks:
        canvas.parts.append(
            f'<circle cx="{canvas.x(x):.1f}" cy="{canvas.y(y):.1f}" r="4" '
            f'fill="{COLORS["anomaly"]}"><title>{escape(label)}</title></circle>'
        )
    legend = [("series", COLORS["line"])]
    legend += [("anomaly", COLORS["anomaly"])] if panel.marks else []
    legend += [("change point", COLORS["change"])] if panel.vlines else []
    legend += (
        [("limit", COLORS["limit"]), ("projection", COLORS["projection"])] if panel.hlines else []
    )
    canvas.legend(legend)
    return canvas.render()


STYLE = (
    "<style>svg{font-family:system-ui,sans-serif;background:#fafafa}.axis{stroke:#555}"
    ".tick{font-size:11px;fill:#444}.label{font-size:12px;fill:#222}"
    ".title{font-size:14px;font-weight:600}</style>"
)


def svg(a: ServiceAnalysis) -> str:
    """Every panel stacked in one SVG document."""
    from autoopt.report.svg import WIDTH

    origin, found = panels(a)
    x_label = f"hours since {short(origin)} UTC"
    height = PANEL_HEIGHT * len(found)
    inner = [
        _svg_panel(p, x_label).replace("<svg ", f'<svg y="{i * PANEL_HEIGHT}" ', 1)
        for i, p in enumerate(found)
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img">\n{STYLE}\n'
        + "\n".join(inner)
        + "\n</svg>\n"
    )


def png(a: ServiceAnalysis, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError(
            f"--plot {path.name}: PNG needs matplotlib (pip install 'autoopt[plot]'), "
            "or write an .svg"
        ) from None
    origin, found = panels(a)
    fig, axes = plt.subplots(len(found), 1, figsize=(9, 3 * len(found)), squeeze=False)
    for ax, panel in zip(axes[:, 0], found, strict=True):
        ax.plot(panel.x, panel.y, color=COLORS["line"], lw=1.4, label="series")
        if panel.marks:
            ax.scatter(
                [m[0] for m in panel.marks],
                [m[1] for m in panel.marks],
                color=COLORS["anomaly"],
                s=18,
                zorder=3,
                label="anomaly",
            )
        for i, (x, _label) in enumerate(panel.vlines):
            ax.axvline(
                x, color=COLORS["change"], ls="--", lw=1, label="change point" if i == 0 else None
            )
        for level, label in panel.hlines:
            ax.axhline(level, color=COLORS["limit"], ls="--", lw=1, label=label)
        for i, (x0, x1, y0, y1) in enumerate(panel.projection):
            ax.plot(
                [x0, x1],
                [y0, y1],
                color=COLORS["projection"] if i == 0 else COLORS["band"],
                ls="-" if i == 0 else ":",
                lw=1.2,
                label="projection" if i == 0 else None,
            )
        ax.set_title(panel.title, fontsize=10)
        ax.set_ylabel(panel.y_label, fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    axes[-1, 0].set_xlabel(f"hours since {short(origin)} UTC")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)


def write_plot(a: ServiceAnalysis, path: Path) -> None:
    """Write the plot; the format follows the suffix (``.svg`` or ``.png``)."""
    from autoopt.spec.files import write_atomic

    suffix = path.suffix.lower()
    if suffix == ".svg":
        write_atomic(path, svg(a))
    elif suffix == ".png":
        tmp = path.with_name(f".{path.name}.tmp")
        png(a, tmp)
        tmp.replace(path)
    else:
        raise UserError(f"--plot {path}: the file must end in .svg or .png")

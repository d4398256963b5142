"""``autoopt analyze`` output: JSON (a stable contract), text and Markdown, from the result."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from autoopt.analyze.baselines import Baseline, Comparison
from autoopt.analyze.budget import BudgetState
from autoopt.analyze.drift import Drift
from autoopt.analyze.trend import Trend
from autoopt.monitor.service import ServiceAnalysis

DAY = 86400.0
LABELS = {
    "error_rate": "error rate",
    "latency_p50_ms": "latency p50",
    "latency_p95_ms": "latency p95",
    "latency_p99_ms": "latency p99",
    "cost_per_request": "cost/request",
    "quality": "quality",
    "tokens_in_mean": "tokens in",
    "tokens_out_mean": "tokens out",
    "traffic": "traffic (× usual)",
    "requests": "requests",
}


def iso(seconds: float | None) -> str | None:
    if seconds is None or not math.isfinite(seconds):
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def short(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def num(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


_FORMATS = {
    "error_rate": "{:.2%}",
    "cost_per_request": "${:.5f}",
    "cost_usd": "${:,.2f}",
    "tokens_in_mean": "{:,.0f}",
    "tokens_out_mean": "{:,.0f}",
    "requests": "{:,.0f}",
    "traffic": "{:.2f}×",
}


def value(metric: str, x: float) -> str:
    """A metric's value as people read it."""
    if not math.isfinite(x):
        return "—"
    default = "{:,.0f} ms" if metric.startswith("latency") else "{:.1f}"
    return _FORMATS.get(metric, default).format(x)


def change(c: Comparison) -> str:
    """The absolute change in the metric's own units, and the relative one."""
    if c.metric == "error_rate":
        text = f"{c.change * 100:+.2f} pts"
    else:
        text = ("+" if c.change >= 0 else "-") + value(c.metric, abs(c.change))
    return text + (f" ({c.relative:+.1%})" if c.relative is not None else "")


def p_text(p: float) -> str:
    if not math.isfinite(p):
        return "—"
    return "<1e-16" if p < 1e-16 else f"{p:.2g}"


# --------------------------------------------------------------------------- JSON


def _comparison_json(c: Comparison) -> dict[str, Any]:
    return {
        "metric": c.metric,
        "test": c.test,
        "current": num(c.current),
        "reference": num(c.reference),
        "change": num(c.change),
        "relative": num(c.relative),
        "p_value": num(c.p_value),
        "adjusted_p": num(c.adjusted),
        "significant": c.significant,
        "direction": c.direction,
        "n_current": c.n_current,
        "n_reference": c.n_reference,
        "window": {"start": iso(c.start), "end": iso(c.end)} if c.start is not None else None,
    }


def _baseline_json(b: Baseline) -> dict[str, Any]:
    return {
        "kind": b.kind,
        "label": b.label,
        "unavailable": b.unavailable,
        "comparisons": [_comparison_json(c) for c in b.comparisons],
    }


def _trend_json(t: Trend | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "n": t.n,
        "slope_per_day": num(t.slope * DAY),
        "slope_low_per_day": num(t.slope_low * DAY),
        "slope_high_per_day": num(t.slope_high * DAY),
        "direction": t.direction,
        "mann_kendall": {"s": t.s, "z": num(t.z), "p_value": num(t.p_value), "tau": num(t.tau)},
    }


def _drift_json(d: Drift) -> dict[str, Any]:
    return {
        "feature": d.feature,
        "state": d.state,
        "detectors": [
            {
                "detector": t.detector,
                "state": t.state,
                "alarms": [iso(a) for a in t.alarms],
                "changes": [iso(a) for a in t.changes],
                "statistic": num(t.statistic),
                "before": num(t.before),
                "after": num(t.after),
            }
            for t in d.tracks
        ],
    }


def budget_json(b: BudgetState) -> dict[str, Any]:
    return {
        "period": b.period,
        "limit_usd": b.limit_usd,
        "start": iso(b.start),
        "end": iso(b.end),
        "spent_usd": num(b.spent),
        "used": num(b.used),
        "alert": b.alert,
        "rate_per_day": {
            "value": num(b.rate.per_day),
            "low": num(b.rate.low),
            "high": num(b.rate.high),
        },
        "projected_usd": {
            "value": num(b.projected),
            "low": num(b.projected_low),
            "high": num(b.projected_high),
        },
        "projected_alert": b.projected_alert,
        "exhausted_at": iso(b.exhausted_at),
        "exhausts_at": {
            "value": iso(b.exhausts_at),
            "earliest": iso(b.exhausts_earliest),
            "latest": iso(b.exhausts_latest),
        },
    }


def as_json(a: ServiceAnalysis) -> dict[str, Any]:
    """The stable JSON contract of ``autoopt analyze --format json``."""
    return {
        "service": a.service,
        "policy": a.policy,
        "stable": a.stable,
        "as_of": iso(a.as_of.timestamp()),
        "window": {"start": iso(a.window.start.timestamp()), "end": iso(a.window.end.timestamp())},
        "current": {
            "start": iso(a.current.start.timestamp()),
            "end": iso(a.current.end.timestamp()),
        },
        "step_s": a.step,
        "level": a.settings.level,
        "correction": a.settings.correction,
        "source": a.read.source,
        "rows": a.read.rows.as_dict(),
        "baselines": [_baseline_json(b) for b in a.baselines],
        "trends": {k: _trend_json(t) for k, t in a.trends.items()},
        "change_points": {
            k: [
                {
                    "time": iso(c.time),
                    "before": num(c.before),
                    "after": num(c.after),
                    "size": num(c.size),
                    "relative": num(c.relative),
                    "p_value": num(c.p_value),
                }
                for c in found
            ]
            for k, found in a.change_points.items()
        },
        "anomalies": [
            {
                "metric": x.metric,
                "time": iso(x.time),
                "value": num(x.value),
                "n": x.n,
                "detector": x.detector,
                "severity": x.severity,
                "score": num(x.score),
                "threshold": x.threshold,
                "expected": {"low": num(x.expected_low), "high": num(x.expected_high)},
                "side": x.side,
            }
            for x in a.anomalies
        ],
        "drift": [_drift_json(d) for d in a.drift],
        "budgets": [budget_json(b) for b in a.budgets],
        "notes": list(a.notes),
    }


# --------------------------------------------------------------------------- text and Markdown


@dataclass(frozen=True)
class Section:
    """A titled table (or, without headers, lines)."""

    title: str
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    lines: tuple[str, ...] = ()


def _baseline_sections(a: ServiceAnalysis) -> list[Section]:
    out = []
    for b in a.baselines:
        title = f"baseline {b.kind}: {b.label}"
        if b.unavailable or not b.comparisons:
            out.append(Section(title, lines=(f"unavailable: {b.unavailable}",)))
            continue
        rows = tuple(
            (
                LABELS.get(c.metric, c.metric),
                value(c.metric, c.current),
                value(c.metric, c.reference),
                change(c),
                p_text(c.p_value),
                p_text(c.adjusted),
                (c.direction if c.significant else "no significant change"),
            )
            for c in b.comparisons
        )
        headers = ("metric", "current", "baseline", "change", "p", "adjusted p", "verdict")
        out.append(Section(title, headers, rows))
    return out


def _per_day(metric: str, slope: float) -> str:
    if metric == "error_rate":
        return f"{slope * DAY * 100:+.3g} pts/day"
    unit = value(metric, abs(slope * DAY))
    return ("+" if slope >= 0 else "-") + unit + "/day"


def _trend_section(a: ServiceAnalysis) -> Section:
    rows = []
    for metric, t in a.trends.items():
        if t is None:
            rows.append((LABELS.get(metric, metric), "—", "—", "too few points"))
            continue
        interval = f"[{_per_day(metric, t.slope_low)}, {_per_day(metric, t.slope_high)}]"
        verdict = "no trend" if t.direction == "none" else t.direction
        rows.append(
            (
                LABELS.get(metric, metric),
                _per_day(metric, t.slope),
                interval,
                f"{verdict} (Mann–Kendall p = {p_text(t.p_value)})",
            )
        )
    title = f"trends: Theil–Sen slope with its 95% interval, Mann–Kendall at {a.settings.level}"
    return Section(title, ("metric", "slope", "interval", "direction"), tuple(rows))


def _change_section(a: ServiceAnalysis) -> Section:
    rows = tuple(
        (
            LABELS.get(m, m),
            short(c.time),
            f"{value(m, c.before)} → {value(m, c.after)}",
            ("+" if c.size >= 0 else "-")
            + value(m, abs(c.size))
            + (f" ({c.relative:+.1%})" if c.relative is not None else ""),
            p_text(c.p_value),
        )
        for m, found in a.change_points.items()
        for c in found
    )
    if not rows:
        return Section("change points (CUSUM)", lines=("none",))
    return Section("change points (CUSUM)", ("metric", "at", "level", "size", "p"), rows)


def _anomaly_section(a: ServiceAnalysis) -> Section:
    rows = tuple(
        (
            short(x.time),
            LABELS.get(x.metric, x.metric),
            value(x.metric, x.value),
            str(x.n),
            f"{value(x.metric, x.expected_low)} .. {value(x.metric, x.expected_high)}",
            x.detector,
            x.severity,
        )
        for x in a.anomalies
    )
    title = f"anomalies (two in a row, points with ≥ {a.settings.min_sample} requests)"
    if not rows:
        return Section(title, lines=("none",))
    headers = ("at", "metric", "value", "n", "expected", "detector", "severity")
    return Section(title, headers, rows)


def _drift_section(a: ServiceAnalysis) -> Section:
    rows = []
    for d in a.drift:
        tracks = ", ".join(f"{t.detector} {t.state}" for t in d.tracks)
        seen = max((t for t in d.tracks if t.alarms), key=lambda t: t.alarms[-1], default=None)
        moved = ""
        if seen is not None:
            level = f"{seen.before:.4g} → " if math.isfinite(seen.before) else ""
            moved = f"{level}{seen.after:.4g} since {short(seen.changes[-1])}"
        rows.append((d.feature, d.state, tracks, moved))
    return Section(
        "drift of the request mix (Page–Hinkley, ADWIN)",
        ("feature", "state", "detectors", "level"),
        tuple(rows),
    )


def _budget_section(a: ServiceAnalysis) -> Section:
    if not a.budgets:
        return Section("budgets", lines=("none declared (spec.budgets)",))
    rows = []
    for b in a.budgets:
        exhaust = "—"
        if b.exhausted_at is not None:
            exhaust = f"exhausted at {short(b.exhausted_at)}"
        elif b.exhausts_at is not None:
            latest = short(b.exhausts_latest) if b.exhausts_latest else "not this period"
            exhaust = f"{short(b.exhausts_at)} [{short(b.exhausts_earliest)}, {latest}]"
        else:
            exhaust = "not before the period ends"
        alert = f"{b.alert:.0%}" if b.alert is not None else "—"
        rows.append(
            (
                f"{b.period} ${b.limit_usd:,.2f}",
                f"${b.spent:,.2f} ({b.used:.0%})",
                alert,
                f"${b.rate.per_day:,.2f}/day [{b.rate.low:,.2f}, {b.rate.high:,.2f}]",
                f"${b.projected:,.2f} [{b.projected_low:,.2f}, {b.projected_high:,.2f}]",
                exhaust,
            )
        )
    headers = ("budget", "spent", "alert", "rate", "projected", "runs out")
    return Section("budgets (UTC periods)", headers, tuple(rows))


def sections(a: ServiceAnalysis) -> list[Section]:
    return [
        *_baseline_sections(a),
        _trend_section(a),
        _change_section(a),
        _anomaly_section(a),
        _drift_section(a),
        _budget_section(a),
    ]


def heading(a: ServiceAnalysis) -> list[str]:
    policy = f"policy {a.policy}" if a.policy else "no policy (defaults)"
    stable = f", stable {a.stable}" if a.stable else ""
    return [
        f"analyze {a.service} ({policy}{stable}) as of {short(a.as_of.timestamp())} UTC",
        f"series {short(a.window.start.timestamp())} .. {short(a.window.end.timestamp())} in "
        f"{a.step / 3600:g}h buckets; current stretch from {short(a.current.start.timestamp())}; "
        f"significance {a.settings.level} with {a.settings.correction} per baseline",
        a.read.rows.line(),
    ]


def _aligned(headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> list[str]:
    widths = [max(len(r[i]) for r in (headers, *rows)) for i in range(len(headers))]

    def line(cells: tuple[str, ...]) -> str:
        return "  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def as_text(a: ServiceAnalysis) -> str:
    out = heading(a)
    for section in sections(a):
        out += ["", section.title]
        out += (
            _aligned(section.headers, section.rows)
            if section.headers
            else [f"  {line}" for line in section.lines]
        )
    if a.notes:
        out += ["", *(f"note: {n}" for n in a.notes)]
    return "\n".join(out)


def as_markdown(a: ServiceAnalysis) -> str:
    top = heading(a)
    out = [f"### {top[0]}", "", *(f"- {line}" for line in top[1:])]
    for section in sections(a):
        out += ["", f"**{section.title}**", ""]
        if section.headers:
            out.append("| " + " | ".join(section.headers) + " |")
            out.append("|" + "---|" * len(section.headers))
            out += [
                "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in section.rows
            ]
        else:
            out += list(section.lines)
    if a.notes:
        out += ["", *(f"- note: {n}" for n in a.notes)]
    return "\n".join(out)

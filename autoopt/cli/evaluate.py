"""``autoopt evaluate``: measured candidates scored against a policy, and the recommendation."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from autoopt.cli.options import (
    format_option,
    metrics_option,
    now_option,
    parse_now,
    repo_option,
    window_options,
)

if TYPE_CHECKING:
    import pandas as pd

    from autoopt.decide.decision import Assessment
    from autoopt.evaluate import Evaluation

#: The metrics the table shows, in order, with their headers.
SHOWN = (
    ("error_rate", "errors"),
    ("latency_p95_ms", "p95 ms"),
    ("cost_per_request", "$/req"),
    ("daily_cost_usd", "$/day"),
    ("quality", "quality"),
)


@click.command("evaluate")
@click.option("--policy", "policy_ref", required=True, metavar="NAME|PATH", help="The policy.")
@repo_option
@metrics_option
@window_options
@now_option
@click.option("--by", default=None, type=click.Choice(["1m", "5m", "15m", "1h", "1d"]),
              help="Also give a time series in buckets of this size.")  # fmt: skip
@format_option("table", "json", "markdown")
def command(
    policy_ref: str,
    repo: Path,
    metrics_src: str | None,
    since: str | None,
    until: str | None,
    now_text: str | None,
    by: str | None,
    fmt: str,
) -> None:
    """Score every measured version of the policy's service and recommend one.

    Hard constraints decide feasibility, soft ones cost penalties, the objectives give Pareto
    ranks and the weighted score (relative improvement over the stable version).
    """
    from autoopt.evaluate import evaluate
    from autoopt.spec.repository import load_repository

    loaded = load_repository(repo)
    now = parse_now(now_text)
    evaluation = evaluate(loaded, policy_ref, metrics_src, since, until, now, by)
    for warning in _warnings(evaluation):
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        click.echo(json.dumps(as_json(evaluation), indent=2, allow_nan=False))
    elif fmt == "markdown":
        click.echo(as_markdown(evaluation))
    else:
        _print_table(evaluation)


def _warnings(evaluation: Evaluation) -> list[str]:
    warning = evaluation.read.pricing.warning()
    return [warning] if warning else []


# --------------------------------------------------------------------------- rendering


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _candidate_json(a: Assessment) -> dict[str, Any]:
    return {
        "version": a.candidate.version,
        "params": dict(a.candidate.params),
        "n": a.n,
        "metrics": {
            name: {k: _num(v) for k, v in est.as_dict().items()}
            for name, est in sorted(a.metrics.items())
        },
        "feasible": a.feasible,
        "violations": [
            {
                "metric": v.metric,
                "bound": v.bound,
                "limit": v.limit,
                "value": _num(v.value),
                "hard": v.hard,
                "probability": _num(v.probability),
            }
            for v in a.violations
        ],
        "pareto_rank": a.pareto_rank,
        "score": _num(a.score),
    }


def as_json(evaluation: Evaluation) -> dict[str, Any]:
    """The stable JSON contract of ``autoopt evaluate --format json``."""
    out: dict[str, Any] = {
        "policy": evaluation.policy,
        "service": evaluation.service,
        "baseline": evaluation.baseline,
        "window": {
            "start": evaluation.window.start.isoformat(),
            "end": evaluation.window.end.isoformat(),
        },
        "source": evaluation.read.source,
        "rows": evaluation.read.rows.as_dict(),
        "prices": evaluation.read.pricing.as_dict(),
        "history": evaluation.history,
        "candidates": [_candidate_json(a) for a in evaluation.assessments],
        "recommended": evaluation.recommended,
        "notes": evaluation.notes,
    }
    if evaluation.series is not None:
        out["series"] = _series_json(evaluation.series)
    return out


def _series_json(series: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in series.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if hasattr(value, "isoformat"):
                clean[str(key)] = value.isoformat()
            elif isinstance(value, float):
                clean[str(key)] = _num(value)
            else:
                clean[str(key)] = value.item() if hasattr(value, "item") else value
        records.append(clean)
    return records


def _cell(a: Assessment, metric: str) -> str:
    est = a.metrics.get(metric)
    if est is None:
        return "—"
    digits = {"error_rate": 4, "cost_per_request": 5, "daily_cost_usd": 2}.get(metric, 1)
    fmt = f"{{:.{digits}f}}"
    if metric == "error_rate":
        return f"{est.value:.2%} [{est.low:.2%}, {est.high:.2%}]"
    return f"{fmt.format(est.value)} [{fmt.format(est.low)}, {fmt.format(est.high)}]"


def _rows(evaluation: Evaluation) -> list[list[str]]:
    rows = []
    for a in sorted(evaluation.assessments, key=lambda a: -a.score):
        mark = " ★" if a.candidate.version == evaluation.recommended else ""
        stable = " (stable)" if a.candidate.version == evaluation.baseline else ""
        hard = ", ".join(v.label for v in a.violations if v.hard)
        soft = ", ".join(v.label for v in a.violations if not v.hard)
        verdict = ("feasible" if a.feasible else "infeasible") + (f": {hard}" if hard else "")
        verdict += f"; soft: {soft}" if soft else ""
        rank = str(a.pareto_rank) if a.pareto_rank >= 0 else "—"
        rows.append(
            [
                f"{a.candidate.version}{stable}{mark}",
                str(a.n),
                *(_cell(a, m) for m, _ in SHOWN),
                verdict,
                rank,
                f"{a.score:+.3f}",
            ]
        )
    return rows


def _headers() -> list[str]:
    return ["version", "n", *(h for _, h in SHOWN), "constraints", "rank", "score"]


def _footer(evaluation: Evaluation) -> list[str]:
    prices = evaluation.read.pricing.as_dict()["models"]
    assert isinstance(prices, dict)
    shown = "; ".join(f"{m}: {p['source']}" for m, p in prices.items()) or "given with the metrics"
    window = evaluation.window
    return [
        f"policy {evaluation.policy}, service {evaluation.service}, "
        f"window {window.start.isoformat()} .. {window.end.isoformat()}",
        evaluation.read.rows.line(),
        f"prices: {shown}",
        f"params from {evaluation.history}",
        "recommended: " + (evaluation.recommended or "none (no feasible candidate)"),
        *(f"note: {n}" for n in evaluation.notes),
    ]


def as_markdown(evaluation: Evaluation) -> str:
    headers = _headers()
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(evaluation)]
    return "\n".join([*lines, "", *(f"- {line}" for line in _footer(evaluation))])


def _print_table(evaluation: Evaluation) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"evaluate {evaluation.policy}", title_justify="left")
    for header in _headers():
        table.add_column(header, overflow="fold")
    for row in _rows(evaluation):
        table.add_row(*row)
    console = Console(width=max(160, Console().width), highlight=False)
    console.print(table)
    if evaluation.series is not None:
        console.print(evaluation.series.to_string(index=False))
    for line in _footer(evaluation):
        console.print(line, markup=False)

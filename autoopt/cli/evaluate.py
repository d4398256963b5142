"""``autoopt evaluate``: measured candidates scored against a policy, and the recommendation."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from autoopt.cli.options import format_option, metrics_option, repo_option
from autoopt.errors import MetricsError, UserError

if TYPE_CHECKING:
    import pandas as pd

    from autoopt.decide.decision import Assessment
    from autoopt.metrics import MetricsRead
    from autoopt.spec.load import Loaded
    from autoopt.spec.models import LLMConfig
    from autoopt.spec.repository import Repository
    from autoopt.values import Window

#: The metrics the table shows, in order, with their headers.
SHOWN = (
    ("error_rate", "errors"),
    ("latency_p95_ms", "p95 ms"),
    ("cost_per_request", "$/req"),
    ("daily_cost_usd", "$/day"),
    ("quality", "quality"),
)


@dataclass
class Evaluation:
    """Everything ``evaluate`` found, rendered last (JSON is a stable contract)."""

    policy: str
    service: str
    baseline: str
    window: Window
    read: MetricsRead
    assessments: list[Assessment]
    recommended: str | None
    history: str
    series: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


@click.command("evaluate")
@click.option("--policy", "policy_ref", required=True, metavar="NAME|PATH", help="The policy.")
@repo_option
@metrics_option
@click.option("--since", default=None, metavar="WHEN", help="Window start: 24h, 7d or ISO time.")
@click.option("--until", default=None, metavar="WHEN", help="Window end: 1h, or ISO time.")
@click.option("--now", "now_text", default=None, metavar="ISO", help="Pretend it is this time.")
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
    from autoopt.spec.repository import load_repository

    loaded = load_repository(repo)
    now = _now(now_text)
    evaluation = evaluate(loaded, policy_ref, metrics_src, since, until, now, by)
    for warning in _warnings(evaluation):
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        click.echo(json.dumps(as_json(evaluation), indent=2, allow_nan=False))
    elif fmt == "markdown":
        click.echo(as_markdown(evaluation))
    else:
        _print_table(evaluation)


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--now {text!r}: expected an ISO time such as 2026-11-25T00:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def evaluate(
    repo: Repository,
    policy_ref: str,
    metrics_src: str | None,
    since: str | None,
    until: str | None,
    now: datetime,
    by: str | None = None,
) -> Evaluation:
    """Read, summarise and assess; the composition of metrics and decide for one policy."""
    from autoopt.decide.score import assess
    from autoopt.metrics import read_metrics, source_from_settings, summarise
    from autoopt.metrics.summary import resolve_window

    policy = repo.policy(policy_ref).document
    service = policy.spec.target.service
    config = repo.config_for(policy)
    source = source_from_settings(repo.settings.spec, repo.root, metrics_src)
    read = read_metrics(source, repo.settings.spec.prices)
    ours = read.frame.loc[read.frame["service"] == service]
    window = resolve_window(since, until, now, ours)
    params, history = config_params(repo, config)
    summaries = summarise(read.frame, service, params, window)
    if not summaries:
        seen = ", ".join(sorted(map(str, read.frame["service"].unique()))) or "none"
        raise MetricsError(
            f"no metrics for service {service!r} in {window.start.isoformat()} .. "
            f"{window.end.isoformat()} (services seen: {seen})"
        )
    baseline = config.document.spec.stable.version
    assessments = assess(summaries, policy.spec, baseline)
    series = _series(ours, by, service, window) if by else None
    notes = [*read.notes, *(f"{s.version}: {n}" for s in summaries for n in s.notes)]
    return Evaluation(
        policy=policy.metadata.name,
        service=service,
        baseline=baseline,
        window=window,
        read=read,
        assessments=assessments,
        recommended=recommend(assessments),
        history=history,
        series=series,
        notes=notes,
    )


def config_params(repo: Repository, config: Loaded[LLMConfig]) -> tuple[dict[str, Any], str]:
    """version → params from every committed version of the config (and the work tree)."""
    from autoopt.errors import GitOpsError
    from autoopt.metrics.candidates import candidates_from_texts

    texts, history = [], "the current config file only (not a git repository)"
    try:
        from autoopt.gitops.repo import GitRepo

        git_repo = GitRepo(repo.root)
        relpath = config.path.resolve().relative_to(repo.root.resolve()).as_posix()
        versions = git_repo.file_versions(relpath)
        texts = [v.text for v in versions]
        history = f"{len(versions)} committed version(s) of {relpath} and the work tree"
    except (GitOpsError, ValueError):
        pass
    found = candidates_from_texts([*texts, config.text])
    return {version: p.flat() for version, p in found.items()}, history


def recommend(assessments: list[Assessment]) -> str | None:
    """The eligible candidate with the highest score (ties: better Pareto rank, then name)."""
    eligible = [a for a in assessments if a.eligible and a.pareto_rank >= 0]
    if not eligible:
        return None
    best = min(eligible, key=lambda a: (-a.score, a.pareto_rank, a.candidate.version))
    return best.candidate.version


def _series(frame: pd.DataFrame, by: str, service: str, window: Window) -> pd.DataFrame:
    from autoopt.metrics.aggregate import timeseries

    series, _rows = timeseries(frame, by, service=service, window=window, quantile_intervals=True)
    return series


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

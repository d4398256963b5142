"""``autoopt analyze``: a service's baselines, trends, anomalies, drift and budget state."""

from __future__ import annotations

import json
from pathlib import Path

import click

from autoopt.cli.options import format_option, metrics_option, now_option, parse_now, repo_option


@click.command("analyze")
@click.option("--service", required=True, metavar="NAME", help="The service to analyse.")
@repo_option
@metrics_option
@click.option(
    "--since",
    default=None,
    metavar="WHEN",
    help="Start of the analysed series: 7d (default), 48h or an ISO time.",
)
@now_option
@format_option("text", "json", "markdown", default="text")
@click.option(
    "--plot",
    "plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Also draw the main series, anomalies, change points and the "
    "budget line to FILE (.svg, or .png with the plot extra).",
)
def command(
    service: str,
    repo: Path,
    metrics_src: str | None,
    since: str | None,
    now_text: str | None,
    fmt: str,
    plot: Path | None,
) -> None:
    """Compare a service with its baselines and look for trends, anomalies, drift and budget burn.

    Baselines: rolling (the days before), peak (its best window), initial (the stable
    version's first week), pre-change (before the last promotion) and golden (pinned in the
    policy). The policy that targets the service sets the level, buckets and budgets.
    """
    from autoopt.monitor import render
    from autoopt.monitor.service import analyse_service
    from autoopt.spec.repository import load_repository

    loaded = load_repository(repo)
    analysis = analyse_service(loaded, service, metrics_src, since=since, now=parse_now(now_text))
    if plot is not None:
        from autoopt.monitor.plot import write_plot

        write_plot(analysis, plot)
    if fmt == "json":
        click.echo(json.dumps(render.as_json(analysis), indent=2, allow_nan=False))
    elif fmt == "markdown":
        click.echo(render.as_markdown(analysis))
    else:
        click.echo(render.as_text(analysis))
    if plot is not None:
        click.echo(f"plot written to {plot}", err=True)

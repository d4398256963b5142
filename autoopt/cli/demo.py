"""``autoopt demo``: the whole loop offline, on a simulated production."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to build the repository (default: a new temporary directory).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the simulation.")
@click.option(
    "--scenario",
    type=click.Choice(["improve", "regression"]),
    default="improve",
    show_default=True,
    help="improve: the proposal rolls out to 100%; regression: the canary slows down "
    "mid-rollout and is rolled back.",
)
@click.option("--quick", is_flag=True, help="Shorter simulated history and rollout (CI).")
def command(directory: Path | None, seed: int, scenario: str, quick: bool) -> None:
    """Run the whole loop offline: simulated production → evaluate → propose → merge →
    reconcile stage by stage, with real git commits, a local pull request and an HTML report.

    Deterministic for a seed: the same commits, verdicts and report every run.
    """
    from autoopt.demo import loop, show
    from autoopt.spec.repository import load_repository

    target = directory or Path(tempfile.mkdtemp(prefix="autoopt-demo-"))
    if target.exists() and any(target.iterdir()):
        raise click.UsageError(f"--dir {target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    click.echo(f"autoopt demo: scenario {scenario}, seed {seed}, in {target}")
    options = loop.Options(target, seed=seed, scenario=scenario, quick=quick)  # type: ignore[arg-type]
    outcome = loop.run(options, progress=lambda text: click.echo(f"  … {text}", err=True))
    repo = load_repository(outcome.repo.root)
    strategy = repo.strategy_for(repo.policies[loop.POLICY].document).spec
    html = show.report(
        outcome,
        seed=seed,
        scenario=scenario,
        triggers=strategy.triggers,
        steps=strategy.rollout.steps,
    )
    report_path = target / "report.html"
    report_path.write_text(html)
    click.echo("\nTimeline")
    click.echo("\n".join(show.timeline_lines(outcome.timeline)))
    click.echo("\nFinal config diff (v7 → now)")
    click.echo(show.config_diff(outcome) or "  (no change)")
    click.echo("Git log with trailers")
    click.echo(show.git_log(outcome))
    click.echo(
        f"\nOutcome: {outcome.result.replace('_', ' ')} in {time.perf_counter() - started:.1f} s"
    )
    click.echo(f"Report: {report_path}")
    click.echo(f"Repository: {outcome.repo.root} (origin {outcome.repo.origin})")

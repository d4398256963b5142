"""``autoopt cycle``: one pass over the whole repository — reconcile, then propose."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autoopt.cli.options import format_option, metrics_option, now_option, parse_now, repo_option

if TYPE_CHECKING:
    from autoopt.cycle import Cycle, CycleSummary
    from autoopt.gitops.actions import Actions
    from autoopt.gitops.forge import Forge


@click.command("cycle")
@repo_option
@metrics_option
@click.option("--dry-run", is_flag=True, help="Judge and decide every service; change nothing.")
@format_option("text", "json", default="text")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the search.")
@click.option(
    "--trigger",
    "manual",
    multiple=True,
    metavar="NAME",
    help="Fire the policies' manual trigger NAME in this run (repeatable).",
)
@now_option
@click.pass_context
def command(
    ctx: click.Context,
    repo: Path,
    metrics_src: str | None,
    dry_run: bool,
    fmt: str,
    seed: int,
    manual: tuple[str, ...],
    now_text: str | None,
) -> None:
    """Evaluate the policies' triggers, reconcile every active rollout, then propose for
    every policy, in a stable order.

    One event per service (JSON Lines with --format json): the decision (propose, no_change,
    promote, hold, rollback, skipped), its reasons with their numbers and the pull request.
    Stale and superseded proposals are closed. A paused service and the emergency stop get
    no proposal and no promotion. One failing service is reported and the others still run;
    the exit code is 1 when any failed. Inside GitHub Actions the summary also goes to the
    step summary, the outputs decision, pull-request and summary are set, and failures and
    warnings become annotations.
    """
    from autoopt.cycle import render, run_cycle
    from autoopt.gitops.actions import Actions

    env = os.environ
    actions = Actions.from_env(env)
    trigger = actions.trigger if actions is not None else "manual"
    now = parse_now(now_text)
    cycle = build(repo, env, now, metrics_src=metrics_src, seed=seed, trigger=trigger)
    asked = actions.dispatch_input("trigger") if actions is not None else None
    cycle.manual = frozenset(manual) | ({asked} if asked else set())
    if not dry_run:
        require_remote(cycle)
    summary = run_cycle(cycle, apply=not dry_run)
    if not dry_run and cycle.settings.spec.bot.dashboard:
        from autoopt.cycle import dashboard

        summary = dashboard.update(cycle, summary)
    click.echo(render.json_lines(summary) if fmt == "json" else render.text(summary))
    if actions is not None:
        report(actions, summary)
    if summary.failed or summary.dashboard_error is not None:
        ctx.exit(1)


def build(
    repo: Path,
    env: Mapping[str, str],
    now: datetime,
    *,
    metrics_src: str | None,
    seed: int,
    trigger: str,
) -> Cycle:
    """The composition root of a cycle: settings, the base branch, a lazy forge."""
    from autoopt.cycle import Cycle
    from autoopt.errors import GitOpsError
    from autoopt.gitops.forges import make_forge
    from autoopt.rollout.runner import base_branch
    from autoopt.rollout.state import read_settings

    settings = read_settings(repo)
    try:
        git = base_branch(repo, settings, now)
    except GitOpsError:
        git = None  # not a git clone: a dry run still works

    def forge() -> Forge:
        if git is None:
            raise GitOpsError(f"{repo}: not inside a git repository")
        return make_forge(settings, git.repo, env=env, now=now)

    return Cycle(
        repo, settings, now, git, forge, metrics_src=metrics_src, seed=seed, trigger=trigger
    )


def require_remote(cycle: Cycle) -> None:
    from autoopt.errors import GitOpsError

    if cycle.git is None:
        raise GitOpsError(f"{cycle.root}: not inside a git repository")
    remote = cycle.settings.spec.defaults.remote
    if cycle.settings.spec.forge.type == "github" and cycle.git.remote is None:
        raise GitOpsError(
            f"forge github needs the branches pushed, but there is no remote {remote!r}"
        )


def report(actions: Actions, summary: CycleSummary) -> None:
    """Outputs, the step summary and annotations (annotations on stderr: stdout stays data)."""
    from autoopt.cycle import render
    from autoopt.gitops.actions import annotation

    prs = summary.pull_requests()
    actions.set_outputs(
        {
            "decision": summary.decision(),
            "pull-request": " ".join(str(p.number) for p in prs),
            "summary": summary.line(),
        }
    )
    actions.add_summary(render.markdown(summary))
    for level, title, message in render.marks(summary):
        click.echo(annotation(level, message, title=title), err=True)

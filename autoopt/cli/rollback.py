"""``autoopt rollback SERVICE [--to VERSION] --reason``: roll back by hand, at once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autoopt.cli.options import format_option, repo_option
from autoopt.cli.reconcile import actor, dry_run_option, reason_option, run_control

if TYPE_CHECKING:
    from autoopt.controls import ControlPlan
    from autoopt.reconcile import RepoState


@click.command("rollback")
@click.argument("service")
@repo_option
@click.option(
    "--to",
    "version",
    metavar="VERSION",
    default=None,
    help="Make this earlier version stable (found in previous or the config's git history).",
)
@reason_option
@dry_run_option
@format_option("table", "json")
def command(
    service: str, repo: Path, version: str | None, reason: str, dry_run: bool, fmt: str
) -> None:
    """Roll SERVICE back now: drop its canary, or restore the version kept in ``previous``.

    With ``--to VERSION`` the stable becomes that version, with the params it had in the
    config's git history. The commit goes straight to the base branch (also during an
    emergency stop or a pause), and the rollout's pull request gets a comment.
    """
    from autoopt.controls import plan_rollback
    from autoopt.gitops.repo import GitRepo

    def history(path: str) -> list[tuple[str, str]]:
        versions = GitRepo(repo).file_versions(path)
        return [(v.sha, v.text) for v in reversed(versions)]

    who = actor(repo, os.environ)

    def build(state: RepoState) -> ControlPlan:
        return plan_rollback(state, service, reason=reason, to=version, history=history, actor=who)

    run_control(repo, build, dry_run=dry_run, fmt=fmt, forge=True, actor=who)

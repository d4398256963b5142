"""``autoopt resume [SERVICE] --reason``: let the reconciler act again."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import click

from autoopt.cli.options import format_option, repo_option
from autoopt.cli.reconcile import actor, dry_run_option, reason_option, run_control


@click.command("resume")
@click.argument("service", required=False)
@repo_option
@reason_option
@dry_run_option
@format_option("table", "json")
def command(service: str | None, repo: Path, reason: str, dry_run: bool, fmt: str) -> None:
    """Resume SERVICE (every service when omitted): ``paused: false`` is committed.

    The next ``autoopt reconcile`` acts on its verdicts again.
    """
    from autoopt.controls import plan_pause

    who = actor(repo, os.environ)
    build = partial(plan_pause, service=service, paused=False, reason=reason, actor=who)
    run_control(repo, build, dry_run=dry_run, fmt=fmt, actor=who)

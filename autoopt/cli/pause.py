"""``autoopt pause [SERVICE] --reason``: the reconciler observes and reports only."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import click

from autoopt.cli.options import format_option, repo_option
from autoopt.cli.reconcile import actor, dry_run_option, reason_option, run_control


@click.command("pause")
@click.argument("service", required=False)
@repo_option
@reason_option
@dry_run_option
@format_option("table", "json")
def command(service: str | None, repo: Path, reason: str, dry_run: bool, fmt: str) -> None:
    """Pause SERVICE's rollout (every service when omitted): ``paused: true`` is committed.

    While paused, ``autoopt reconcile`` still judges and reports, but changes nothing.
    """
    from autoopt.controls import plan_pause

    who = actor(repo, os.environ)
    build = partial(plan_pause, service=service, paused=True, reason=reason, actor=who)
    run_control(repo, build, dry_run=dry_run, fmt=fmt, actor=who)

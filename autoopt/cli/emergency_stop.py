"""``autoopt emergency-stop --reason`` (and ``--lift``): stop every rollout at once."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import click

from autoopt.cli.options import clock, format_option, repo_option
from autoopt.cli.reconcile import actor, dry_run_option, reason_option, run_control


@click.command("emergency-stop")
@repo_option
@reason_option
@click.option("--lift", is_flag=True, help="Lift the emergency stop instead of setting it.")
@dry_run_option
@format_option("table", "json")
def command(repo: Path, reason: str, lift: bool, dry_run: bool, fmt: str) -> None:
    """Commit .autoopt/EMERGENCY_STOP: ``autoopt reconcile`` then changes nothing anywhere.

    Reconcile keeps judging and reporting every rollout; nothing is promoted or rolled back
    until ``autoopt emergency-stop --lift --reason ...`` removes the file. Manual
    ``autoopt rollback`` still works during a stop.
    """
    from autoopt.controls import plan_emergency_stop

    now = clock()
    who = actor(repo, os.environ)
    build = partial(plan_emergency_stop, reason=reason, by=who, now=now, lift=lift)
    run_control(repo, build, dry_run=dry_run, fmt=fmt, now=now, actor=who)

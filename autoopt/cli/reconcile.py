"""``autoopt reconcile``: judge every active rollout stage and promote, hold or roll it back."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from autoopt.cli.options import (
    DURATION,
    clock,
    format_option,
    metrics_option,
    now_option,
    parse_now,
    repo_option,
)
from autoopt.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from autoopt.controls import ControlPlan, ControlResult
    from autoopt.gitops.repo import Identity
    from autoopt.metrics import MetricsRead
    from autoopt.reconcile import ReconcileResult, RepoState, ServiceResult


@click.command("reconcile")
@repo_option
@metrics_option
@format_option("table", "json")
@click.option("--dry-run", is_flag=True, help="Judge and print the plan; change nothing.")
@click.option(
    "--watch",
    "interval",
    type=DURATION,
    metavar="INTERVAL",
    default=None,
    help="Run again every INTERVAL (30s, 5m, …) until interrupted.",
)
@now_option
def command(
    repo: Path,
    metrics_src: str | None,
    fmt: str,
    dry_run: bool,
    interval: timedelta | None,
    now_text: str | None,
) -> None:
    """Judge every active rollout stage and watch window; promote, hold or roll back.

    Each change is one commit on the base branch with Autoopt-* trailers, pushed with the
    expected old head (a concurrent run makes this one re-read and re-judge). A paused config
    or the emergency stop (.autoopt/EMERGENCY_STOP) makes it observe and report only.
    """
    from autoopt import reconcile
    from autoopt.spec.durations import format_duration

    if interval is None:
        result, read = reconcile.run_once(
            repo, metrics_src, dry_run=dry_run, now=parse_now(now_text), env=os.environ
        )
        click.echo(render(result, read, fmt))
        return
    while True:  # until interrupted; a round that fails is reported and the next one runs
        try:
            result, read = reconcile.run_once(
                repo, metrics_src, dry_run=dry_run, now=parse_now(now_text), env=os.environ
            )
            click.echo(render(result, read, fmt, one_line=True))
        except UserError as exc:
            click.echo(f"error: {exc} (retrying in {format_duration(interval)})", err=True)
        time.sleep(interval.total_seconds())


def as_json(result: ReconcileResult, read: MetricsRead | None = None) -> dict[str, Any]:
    stop = result.stop
    metrics = None if read is None else {"source": read.source, **read.rows.as_dict()}
    return {
        "now": result.now.isoformat().replace("+00:00", "Z"),
        "head": result.head,
        "attempts": result.attempts,
        "metrics": metrics,
        "emergency_stop": None
        if stop is None
        else {"reason": stop.reason, "by": stop.by, "at": stop.at},
        "services": [
            {
                "service": s.plan.service,
                "stable": s.plan.stable,
                "canary": s.plan.canary,
                "step": s.plan.step,
                "weight": s.plan.weight,
                "verdict": s.plan.verdict,
                "reasons": [r.as_dict() for r in s.plan.reasons],
                "applied": s.applied,
                "commit": s.commit,
                "phase": s.plan.phase,
                "action": str(s.plan.action),
                "blocked": s.plan.blocked,
                "pull_request": s.pull_request,
                "notes": list(s.notes),
            }
            for s in result.services
        ],
    }


def _action(service: ServiceResult) -> str:
    plan = service.plan
    if service.applied:
        return "pr opened" if plan.via == "pr" else str(plan.action)
    if plan.blocked is not None:
        return f"{plan.action} ({plan.blocked})"
    if plan.via is not None:
        return f"would {plan.action}"
    return "-"


def render(
    result: ReconcileResult, read: MetricsRead | None, fmt: str, *, one_line: bool = False
) -> str:
    """The table, or JSON (one line per round under ``--watch``: JSON Lines)."""
    if fmt == "json":
        return json.dumps(as_json(result, read), indent=None if one_line else 2)
    lines = [] if read is None else [f"metrics: {read.source}; {read.rows.line()}"]
    if result.stop is not None:
        lines.append(f"{result.stop.line()}; observing only")
    header = (
        "SERVICE",
        "STABLE",
        "CANARY",
        "STEP",
        "WEIGHT",
        "VERDICT",
        "ACTION",
        "COMMIT",
        "REASONS",
    )
    rows = [header]
    for s in result.services:
        p = s.plan
        action = _action(s)
        rows.append(
            (
                p.service,
                p.stable,
                p.canary or "-",
                "watch" if p.phase == "watch" else str(p.step),
                f"{p.weight}%" if p.weight is not None else "-",
                p.verdict,
                action,
                (s.commit or "-")[:12],
                ",".join(r.code for r in p.reasons) or "-",
            )
        )
    if len(rows) == 1:
        return "\n".join([*lines, "no active rollout"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    for row in rows:
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    return "\n".join(lines)


def run_control(
    repo: Path,
    build: Callable[[RepoState], ControlPlan],
    *,
    dry_run: bool,
    fmt: str,
    forge: bool = False,
    now: datetime | None = None,
    actor: str = "",
) -> None:
    """Shared body of pause, resume, emergency-stop and rollback: plan, apply, render.

    When ``actor`` is a person (``Name <email>``, from a terminal) the commit is authored by
    them, the bot committing it; the ``Autoopt-Actor`` trailer names them either way."""
    from autoopt import controls
    from autoopt.rollout.runner import base_branch, forge_for
    from autoopt.rollout.state import read_settings, read_state

    if dry_run:
        plan = build(read_state(repo))
        result = controls.ControlResult(plan, applied=False, commit=None, attempts=0)
    else:
        settings = read_settings(repo)
        git = base_branch(repo, settings, now or clock(), author=_person(actor))
        result = controls.apply(build, git, forge_for(git, settings, os.environ) if forge else None)
    click.echo(render_control(result, fmt, dry_run=dry_run))


def render_control(result: ControlResult, fmt: str, *, dry_run: bool) -> str:
    plan = result.plan
    if fmt == "json":
        data = {
            "action": plan.action,
            "summary": plan.summary,
            "services": list(plan.services),
            "files": sorted(plan.files),
            "applied": result.applied,
            "commit": result.commit,
            "notes": list(result.notes),
        }
        return json.dumps(data, indent=2)
    lines = [plan.summary]
    if dry_run and plan.files:
        lines.append("dry run: would commit " + ", ".join(sorted(plan.files)))
    elif result.commit:
        lines.append(f"committed {result.commit[:12]}")
    return "\n".join([*lines, *result.notes])


def _person(actor: str) -> Identity | None:
    from autoopt.gitops.repo import Identity

    match = re.fullmatch(r"(.+?) <([^<>\s]+@[^<>\s]+)>", actor.strip())
    return Identity(match.group(1), match.group(2)) if match else None


def actor(repo: Path, env: Mapping[str, str]) -> str:
    """Who is asking for a control: the workflow's actor inside GitHub Actions, else the git
    identity configured for ``repo`` (else the login name). Recorded as ``Autoopt-Actor``."""
    import getpass

    from autoopt.errors import GitOpsError
    from autoopt.gitops.actions import Actions

    actions = Actions.from_env(env)
    if actions is not None and actions.actor:
        return f"{actions.actor} (GitHub Actions)"
    try:
        from autoopt.gitops.repo import GitRepo

        person = GitRepo(repo).person()
    except GitOpsError:
        person = ""
    if person:
        return person
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def reason_option(func: F) -> F:
    return click.option(
        "--reason", required=True, help="Why (recorded in the commit and its trailers)."
    )(func)


def dry_run_option(func: F) -> F:
    return click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")(
        func
    )

"""``autoopt history SERVICE``: the audit log of a service, read back from commit trailers."""

from __future__ import annotations

import json
from pathlib import Path

import click

from autoopt.cli.options import format_option, repo_option


@click.command("history")
@click.argument("service")
@repo_option
@format_option("table", "json", default="table")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=0,
    help="Show at most this many commits (0: all).",
)
@click.option("--autoopt-only", is_flag=True, help="Only commits autoopt made (with trailers).")
def command(service: str, repo: Path, fmt: str, limit: int, autoopt_only: bool) -> None:
    """Every commit that changed SERVICE's config, newest first, with autoopt's trailers
    (decision, version, policy, reasons). Commits made by people are listed too."""
    from autoopt.gitops import audit
    from autoopt.gitops.repo import GitRepo
    from autoopt.spec.repository import load_repository

    entries = audit.history(load_repository(repo), GitRepo(repo), service, limit=limit)
    if autoopt_only:
        entries = [e for e in entries if e.is_autoopt]
    if fmt == "json":
        click.echo(json.dumps([e.as_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo(f"no commits changed the config of {service}")
        return
    for e in entries:
        what = e.decision or e.action or "edit"
        version = (
            f" {e.from_version} → {e.version}"
            if e.from_version and e.version
            else (f" {e.version}" if e.version else "")
        )
        step = f" step {e.step}" if e.step else ""
        who = f"{e.author}, by {e.actor}" if e.actor and e.actor != e.author else e.author
        click.echo(
            f"{e.committed_at:%Y-%m-%d %H:%M} {e.sha[:10]} {what}{version}{step}  "
            f"{e.subject}  ({who})"
        )
        for reason in e.reasons:
            click.echo(f"    reason: {reason}")

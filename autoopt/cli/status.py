"""``autoopt status``: every service's rollout state, and the open local proposals."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from autoopt.cli.options import format_option, now_option, parse_now, repo_option


@click.command("status")
@repo_option
@format_option("table", "json", "markdown", default="table")
@now_option
def command(repo: Path, fmt: str, now_text: str | None) -> None:
    """Stable and canary version, stage, traffic weight, time in stage and the last autoopt
    decision of every service; then the open pull requests of the local forge.

    --format markdown prints the dashboard issue as the cycle writes it: every service with
    its stage, last verdict, open proposal and why nothing is happening, and the last cycle.
    """
    from autoopt.errors import GitOpsError
    from autoopt.gitops import audit
    from autoopt.gitops.local import LocalForge
    from autoopt.gitops.repo import GitRepo
    from autoopt.rollout.stop import read_stop
    from autoopt.spec.repository import load_repository

    now = parse_now(now_text)
    if fmt == "markdown":
        click.echo(_markdown(repo, now), nl=False)
        return
    documents = load_repository(repo)
    try:
        git: GitRepo | None = GitRepo(repo)
    except GitOpsError:
        git = None
    rows = audit.status(documents, git, now=now)
    open_prs = []
    if git is not None and documents.settings.spec.forge.type == "local":
        open_prs = [audit.pr_dict(p) for p in LocalForge(git, now=now).list_prs(state="open")]
    stop = read_stop(documents.root)
    pauses = _pauses(documents, git)
    if fmt == "json":
        data = {
            "emergency_stop": None if stop is None else stop.as_dict(),
            "services": [{**r.as_dict(), "pause": pauses.get(r.service)} for r in rows],
            "proposals": open_prs,
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    lines = [] if stop is None else [stop.line()]
    lines.append(_table(rows, open_prs))
    for service, pause in sorted(pauses.items()):
        if pause is not None:
            lines.append(_pause_line(service, pause))
    click.echo("\n".join(lines))


def _pauses(documents: Any, git: Any) -> dict[str, dict[str, str] | None]:
    """Who paused which service, when and why (from the pause commits of its config)."""
    from autoopt.controls import pause_info
    from autoopt.gitops import audit

    found: dict[str, dict[str, str] | None] = {}
    for service, loaded in sorted(documents.configs.items()):
        commits = []
        if git is not None and loaded.document.spec.paused:
            path = audit.config_path(documents, service)
            commits = [
                (c.committed_at, f"{c.author_name} <{c.author_email}>", c.message)
                for c in git.log(["HEAD"], [path], max_count=50)
            ]
        info = pause_info(loaded.document, commits)
        found[service] = None if info is None else info.as_dict()
    return found


def _pause_line(service: str, pause: dict[str, str]) -> str:
    who = f" by {pause['by']}" if pause["by"] else ""
    when = f" at {pause['at']}" if pause["at"] else ""
    return f"PAUSED {service}{who}{when}: {pause['reason'] or 'no reason given'}"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(max(seconds, 0) // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _table(rows: list[Any], prs: list[dict[str, Any]]) -> str:
    header = ("SERVICE", "STABLE", "CANARY", "STEP", "WEIGHT", "IN STEP", "LAST DECISION")
    body = []
    for r in rows:
        step = f"{r.step + 1}/{len(r.steps)}" if r.step is not None else "—"
        last = "—"
        if r.last is not None:
            last = (
                f"{r.last.decision} {r.last.version or ''} ({r.last.committed_at:%Y-%m-%d %H:%M})"
            )
        paused = " (paused)" if r.paused else ""
        body.append(
            (
                r.service + paused,
                r.stable,
                r.canary or "—",
                step,
                f"{r.weight}%",
                _age(r.in_step_seconds),
                last,
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *body)
    ]
    lines.append("")
    if prs:
        lines.append("Open proposals (local forge):")
        lines += [f"  #{p['number']}  {p['head']}  {p['title']}" for p in prs]
    else:
        lines.append("No open proposals on the local forge.")
    return "\n".join(lines)


def _markdown(repo: Path, now: Any) -> str:
    """The dashboard as the last cycle left it, with the repository as it is now. The open
    pull requests and the last cycle's record come from the forge; a GitHub forge without a
    token (a laptop) shows the repository alone and says so on stderr."""
    from autoopt.cycle import dashboard
    from autoopt.errors import ForgeError, GitOpsError
    from autoopt.gitops.forges import make_forge
    from autoopt.gitops.repo import GitRepo
    from autoopt.rollout.state import read_settings, read_state

    settings = read_settings(repo)
    state = read_state(repo)
    prs: list[Any] = []
    last = None
    try:
        forge = make_forge(settings, GitRepo(repo), env=os.environ, now=now)
        _issue, last = dashboard.read_last(forge)
        prs = list(forge.list_prs(state="open"))
    except (ForgeError, GitOpsError) as exc:
        click.echo(f"note: the forge could not be read ({exc}); the repository alone", err=True)
    return dashboard.markdown(dashboard.build(state, prs, last))

"""``autoopt command --event FILE``: carry out a ``/autoopt …`` comment command, and reply."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autoopt.cli.options import now_option, parse_now, repo_option

if TYPE_CHECKING:
    from datetime import datetime

    from autoopt.cycle import Cycle
    from autoopt.cycle.commands import CommentEvent, Context
    from autoopt.rollout.state import RepoState


@click.command("command")
@repo_option
@click.option(
    "--event",
    "event_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The issue_comment event (in Actions: $GITHUB_EVENT_PATH).",
)
@now_option
def command(repo: Path, event_path: Path, now_text: str | None) -> None:
    """Run the `/autoopt pause|resume|rollback|recheck|help` command of a comment.

    The commenter's permission is asked of GitHub (write, maintain or admin may run
    commands); everyone gets a reply on the pull request or issue saying what happened. The
    commit a command makes is authored by the commenter, with an Autoopt-Actor trailer.
    Comments that are not commands, edits and the bot's own comments are ignored.
    """
    from autoopt.cycle import commands

    try:
        data = json.loads(event_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise commands.EventError(f"{event_path}: not a readable JSON event ({exc})") from None
    if not isinstance(data, dict):
        raise commands.EventError(f"{event_path}: the event is not a JSON object")
    event = commands.parse_event(data)
    found = commands.parse_command(event.body)
    if event.action != "created" or event.user_type == "Bot" or found is None:
        click.echo(f"#{event.number}: not a new /autoopt command; nothing to do")
        return
    ctx = _context(repo, event, parse_now(now_text))
    reply = commands.handle(ctx, event, found)
    ctx.forge.comment(event.number, reply.body)
    if reply.changed:
        _refresh_dashboard(ctx)
    click.echo(reply.body)


def _context(repo: Path, event: CommentEvent, now: datetime) -> Context:
    """The composition root of a command: the base branch committing as the commenter (the
    bot as committer), the forge, and a cycle over some services for ``recheck``."""
    from autoopt.cli.cycle import build
    from autoopt.cycle import dashboard
    from autoopt.cycle.commands import Context
    from autoopt.gitops.forges import make_forge
    from autoopt.gitops.repo import Identity
    from autoopt.rollout.gitport import BaseBranch
    from autoopt.rollout.state import read_settings, read_state

    settings = read_settings(repo)
    defaults, bot = settings.spec.defaults, settings.spec.bot
    git = BaseBranch(
        repo,
        base=defaults.base_branch,
        remote=defaults.remote,
        identity=Identity(bot.name, bot.email),
        now=now,
        author=Identity(event.login, event.email),
    )
    forge = make_forge(settings, git.repo, env=os.environ, now=now)

    def state() -> RepoState:
        return read_state(git.root, git.repo.rev("HEAD"), git.history(), git.landed_at)

    def cycle(services: frozenset[str]) -> Cycle:
        made = build(repo, os.environ, now, metrics_src=None, seed=0, trigger="comment")
        made.only = services
        made._forge = forge
        return made

    issue = forge.find_issue(dashboard.MARKER)
    number = issue.number if issue is not None else None
    return Context(forge=forge, git=git, state=state, cycle=cycle, dashboard=number)


def _refresh_dashboard(ctx: Context) -> None:
    """After a command changed something, the dashboard shows it at once."""
    from autoopt.cycle import dashboard

    _issue, last = dashboard.read_last(ctx.forge)
    board = dashboard.build(ctx.state(), list(ctx.forge.list_prs(state="open")), last)
    dashboard.post(ctx.forge, board)

"""Comment commands: ``/autoopt pause|resume|rollback|recheck|help`` on an autoopt pull request
or on the dashboard issue (an ``issue_comment`` workflow runs ``autoopt command --event``).

Who may run them is asked of the API — the commenter's permission on the repository must be
write, maintain or admin — never read from the event (its ``author_association`` says nothing
about permission). Anyone else gets a reply saying so, and nothing changes. Each command
answers in a reply with what it did; the commit it makes is authored by the person who asked
and carries an ``Autoopt-Actor:`` trailer naming them, so ``autoopt history`` shows who acted.

:func:`parse_event` and :func:`parse_command` are pure; :func:`handle` carries a command out
through the same controls (and, for ``recheck``, the same cycle) as the terminal commands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from autoopt.errors import UserError

if TYPE_CHECKING:
    from autoopt.controls import ControlPlan
    from autoopt.cycle.core import Cycle
    from autoopt.gitops.forge import Forge
    from autoopt.rollout.ports import RolloutGit
    from autoopt.rollout.state import RepoState

PREFIX = "/autoopt"
ALLOWED = frozenset({"admin", "maintain", "write"})
VERBS = ("pause", "resume", "rollback", "recheck", "help")
HELP = """\
| command | what it does |
|---|---|
| `/autoopt pause [reason]` | pause the service: no proposal and no promotion until resumed |
| `/autoopt resume [reason]` | resume it |
| `/autoopt rollback [reason]` | roll its rollout back now (also during a pause or a stop) |
| `/autoopt recheck` | decide again now on the current metrics: open, update or close its proposal |
| `/autoopt help` | this list |

On an autoopt pull request the command acts on its service; on the dashboard issue name the
service first: `/autoopt pause chat-service incident 42` (`all` pauses or resumes every
service). Commands need write, maintain or admin permission on the repository."""


class EventError(UserError):
    """The event file is not an ``issue_comment`` event as GitHub sends it."""


@dataclass(frozen=True)
class CommentEvent:
    """The parts of an ``issue_comment`` event a command needs."""

    action: str  # created | edited | deleted
    number: int  # the issue or pull request commented on
    pull_request: bool
    body: str
    login: str
    user_id: int
    user_type: str  # User | Bot | Organization
    repository: str  # OWNER/NAME

    @property
    def actor(self) -> str:
        return f"{self.login} (comment on #{self.number})"

    @property
    def email(self) -> str:
        """GitHub's no-reply address for the user: commits made for them are theirs."""
        return f"{self.user_id}+{self.login}@users.noreply.github.com"


def _field(data: Mapping[str, Any], *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            raise EventError(f"the event has no {'.'.join(path)}: not an issue_comment event")
        node = node[key]
    return node


def parse_event(data: Mapping[str, Any]) -> CommentEvent:
    issue, comment = _field(data, "issue"), _field(data, "comment")
    user = _field(comment, "user")
    try:
        number, user_id = int(_field(issue, "number")), int(_field(user, "id"))
    except (TypeError, ValueError):
        raise EventError("the event's issue.number or comment.user.id is not a number") from None
    return CommentEvent(
        action=str(_field(data, "action")),
        number=number,
        pull_request=isinstance(issue.get("pull_request"), Mapping),
        body=str(comment.get("body") or ""),
        login=str(_field(user, "login")),
        user_id=user_id,
        user_type=str(user.get("type") or "User"),
        repository=str(_field(data, "repository", "full_name")),
    )


@dataclass(frozen=True)
class Command:
    verb: str  # one of VERBS, or what was written when unknown
    args: tuple[str, ...]
    line: str  # the command line as written

    @property
    def known(self) -> bool:
        return self.verb in VERBS


def parse_command(body: str) -> Command | None:
    """The command of a comment whose first non-empty line starts with ``/autoopt``."""
    line = next((x.strip() for x in body.splitlines() if x.strip()), "")
    words = line.split()
    if not words or words[0].lower() != PREFIX:
        return None
    verb = words[1].lower() if len(words) > 1 else "help"
    return Command(verb, tuple(words[2:]), " ".join(words)[:200])


@dataclass(frozen=True)
class Reply:
    body: str
    changed: bool = False
    commit: str | None = None
    allowed: bool = True


@dataclass
class Context:
    """What a command runs with; built by the composition root (``autoopt command``)."""

    forge: Forge
    git: RolloutGit  # the base branch, committing as the person who asked
    state: Callable[[], RepoState]
    cycle: Callable[[frozenset[str]], Cycle]  # a cycle over some services (recheck)
    dashboard: int | None = None  # the dashboard issue's number, when there is one


def _quote(event: CommentEvent, command: Command) -> str:
    return f"> {command.line}\n\n@{event.login}: "


def _service_of(ctx: Context, event: CommentEvent, command: Command) -> tuple[str | None, str]:
    """The service a command acts on, and the arguments left (the reason)."""
    state = ctx.state()
    known = state.repository.configs
    args = list(command.args)
    if event.pull_request:
        pr = ctx.forge.get_pr(event.number)
        parts = pr.head.split("/")
        service = parts[1] if len(parts) >= 3 and parts[0] == "autoopt" else None
        if service is None:
            ref = f"#{event.number}"
            service = next(
                (n for n, c in known.items() if (c.document.spec.canary or None) is not None
                 and c.document.spec.canary.proposal == ref),  # type: ignore[union-attr]
                None,
            )  # fmt: skip
        if args and args[0] == service:
            args = args[1:]
        return service, " ".join(args)
    if args and (args[0] in known or (args[0] == "all" and command.verb in ("pause", "resume"))):
        return args[0], " ".join(args[1:])
    return None, " ".join(args)


def handle(ctx: Context, event: CommentEvent, command: Command) -> Reply:
    """Carry ``command`` out for ``event``'s author, if they may; the reply says what happened."""
    head = _quote(event, command)
    refused = _refusal(ctx, event, command, head)
    if refused is not None:
        return refused
    service, reason = _service_of(ctx, event, command)
    if service is None:
        names = ", ".join(f"`{n}`" for n in sorted(ctx.state().repository.configs)) or "none"
        return Reply(
            f"{head}name the service first, e.g. `/autoopt {command.verb} chat-service …` "
            f"(services: {names}). Nothing was changed."
        )
    reason = reason or f"asked by @{event.login} in #{event.number}"
    try:
        if command.verb == "recheck":
            return _recheck(ctx, head, service)
        return _control(ctx, event, head, command.verb, service, reason)
    except UserError as exc:
        return Reply(f"{head}`/autoopt {command.verb}` failed: {exc}. Nothing was changed.")


def _refusal(ctx: Context, event: CommentEvent, command: Command, head: str) -> Reply | None:
    """The reply when the command is not run: help, an unknown command, no permission (asked
    of the API), or a comment somewhere autoopt takes no commands."""
    if not command.known:
        return Reply(f"{head}`{command.verb}` is not an autoopt command.\n\n{HELP}")
    if command.verb == "help":
        return Reply(f"{head}the autoopt commands:\n\n{HELP}")
    permission = ctx.forge.permission(event.login)
    if permission not in ALLOWED:
        return Reply(
            f"{head}`/autoopt {command.verb}` needs write, maintain or admin permission on "
            f"{event.repository}; GitHub says yours is `{permission}`. Nothing was changed.",
            allowed=False,
        )
    if not event.pull_request and event.number != ctx.dashboard:
        where = f"the dashboard issue #{ctx.dashboard}" if ctx.dashboard else "the dashboard issue"
        return Reply(
            f"{head}autoopt takes commands on its pull requests and on {where}. Nothing was "
            "changed."
        )
    return None


def _control(
    ctx: Context, event: CommentEvent, head: str, verb: str, service: str, reason: str
) -> Reply:
    from autoopt import controls

    target = None if service == "all" else service
    build: Callable[[RepoState], ControlPlan]
    if verb in ("pause", "resume"):
        build = partial(
            controls.plan_pause, service=target, paused=verb == "pause", reason=reason,
            actor=event.actor,
        )  # fmt: skip
    else:

        def build(state: RepoState) -> ControlPlan:
            plan = controls.plan_rollback(state, service, reason=reason, actor=event.actor)
            # the reply on this very pull request says it: no second comment there
            kept = tuple(c for c in plan.comments if c[0] != event.number)
            return replace(plan, comments=kept)

    result = controls.apply(build, ctx.git, ctx.forge)
    plan = result.plan
    if not result.applied:
        return Reply(f"{head}{plan.summary}.")
    sha = (result.commit or "")[:12]
    follow = {
        "pause": "nothing is proposed or promoted for it until `/autoopt resume`. "
        f"Reason: {reason}",
        "resume": "the next cycle proposes and promotes again.",
        "rollback": f"reason: {reason}",
    }[verb]
    return Reply(f"{head}{plan.summary} (commit {sha}); {follow}", True, result.commit)


def _recheck(ctx: Context, head: str, service: str) -> Reply:
    from autoopt.cycle.core import run_cycle

    summary = run_cycle(ctx.cycle(frozenset({service})))
    lines = []
    for e in summary.events:
        pr = f" #{e.pull_request.number}" if e.pull_request is not None else ""
        why = "; ".join(r.message for r in e.reasons[:2])
        error = f" — failed: {e.error}" if e.error else ""
        lines.append(
            f"- `{e.service}` ({e.policy or 'no policy'}): **{e.decision}**, {e.action}{pr}"
            + (f" — {why}" if why and not error else "")
            + error
        )
    changed = any(
        e.action not in ("none", "no_change", "dry_run", "failed") for e in summary.events
    )
    body = f"{head}rechecked `{service}` now:\n\n" + ("\n".join(lines) or "- nothing to decide")
    return Reply(body, changed)

"""Rollout controls: pause, resume, emergency stop (and lifting it), manual rollback.

Each control is a pure plan built from the repository as read at the base branch's head —
the files to write (or delete), one commit message with ``Autoopt-*`` trailers — and one
``apply`` that commits it to the base branch and pushes with the expected old head. When
another run moved the branch first, the plan is rebuilt from the new head and retried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from autoopt.errors import StaleHead, UserError
from autoopt.gitops import trailers as tr
from autoopt.gitops.forge import Forge
from autoopt.rollout import edits, messages
from autoopt.rollout.ports import RolloutGit
from autoopt.rollout.state import RepoState, pr_number, read_state
from autoopt.rollout.stop import STOP_FILE, EmergencyStop, stop_text
from autoopt.spec.load import Loaded, load_string
from autoopt.spec.models import LLMConfig
from autoopt.spec.repository import Repository
from autoopt.values import Reason

MAX_ATTEMPTS = 5


class ControlError(UserError):
    """A control cannot be carried out as asked (unknown service, nothing to roll back)."""


@dataclass(frozen=True)
class ControlPlan:
    action: str  # pause | resume | emergency-stop | lift-emergency-stop | rollback
    summary: str  # one line for people
    files: Mapping[str, str | None]  # relative path → new text; None deletes; {} = no-op
    message: str
    comments: tuple[tuple[int, str], ...] = ()  # (pull request number, body) after applying
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class ControlResult:
    plan: ControlPlan
    applied: bool
    commit: str | None
    attempts: int
    notes: tuple[str, ...] = field(default=())


def _message(title: str, reason: str, trailers: Iterable[tuple[str, str]], actor: str = "") -> str:
    extra = ((tr.ACTOR, actor),) if actor else ()
    return messages.format_message(
        title, [f"Reason: {messages.one_line(reason)}"], (*trailers, (tr.REASON, reason), *extra)
    )


def block_reason(stop: EmergencyStop | None, config: LLMConfig | None) -> Reason | None:
    """Why nothing may be proposed or promoted for ``config`` now (None: nothing stops it).

    The emergency stop blocks every service; a paused service is blocked on its own. The
    reason's values say who set the stop and when, so one line tells the whole story.
    """
    if stop is not None:
        who = f" by {stop.by}" if stop.by else ""
        when = f" at {stop.at}" if stop.at else ""
        return Reason(
            "emergency_stop",
            f"emergency stop set{who}{when}: {stop.reason}; nothing is proposed or promoted "
            "until it is lifted",
            {"reason": stop.reason, "by": stop.by, "at": stop.at},
        )
    if config is not None and config.spec.paused:
        why = config.spec.pause_reason or "no reason given"
        return Reason(
            "paused",
            f"{config.metadata.name} is paused ({why}); nothing is proposed or promoted "
            "until it is resumed",
            {"reason": why},
        )
    return None


def blocked_for(repository: Repository, service: str) -> Reason | None:
    """:func:`block_reason` for ``service`` as the repository's work tree has it now."""
    from autoopt.rollout.stop import read_stop

    config = repository.configs.get(service)
    stop = read_stop(repository.root)
    if config is None:
        return block_reason(stop, None) if stop is not None else None
    return block_reason(stop, config.document)


@dataclass(frozen=True)
class PauseInfo:
    """Who paused a service, when and why — read back from the pause commit."""

    reason: str
    by: str
    at: str

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "by": self.by, "at": self.at}


def pause_info(config: LLMConfig, commits: Iterable[tuple[datetime, str, str]]) -> PauseInfo | None:
    """The pause of ``config`` (None when running), from its commits ``(at, author, message)``
    newest first: the actor trailer (or the author) and the time of the latest pause commit."""
    if not config.spec.paused:
        return None
    reason = config.spec.pause_reason or ""
    name = config.metadata.name
    for at, author, message in commits:
        pairs = tr.parse_trailers(message)
        if tr.first(pairs, messages.ACTION) != "pause" or name not in tr.values(pairs, tr.SERVICE):
            continue
        by = tr.first(pairs, tr.ACTOR) or author
        return PauseInfo(reason or tr.first(pairs, tr.REASON) or "", by, at.isoformat())
    return PauseInfo(reason, "", "")  # paused by a hand edit of the file


def _config(repo: Repository, service: str) -> Loaded[LLMConfig]:
    if service not in repo.configs:
        known = ", ".join(sorted(repo.configs)) or "none"
        raise ControlError(f"no config for service {service!r} (known: {known})")
    return repo.configs[service]


def _rel(repo: Repository, loaded: Loaded[Any]) -> str:
    return loaded.path.resolve().relative_to(repo.root.resolve()).as_posix()


def plan_pause(
    state: RepoState, service: str | None, *, paused: bool, reason: str, actor: str = ""
) -> ControlPlan:
    """Pause (or resume) one service, or every service when ``service`` is None."""
    repo = state.repository
    names = [service] if service else sorted(repo.configs)
    files: dict[str, str | None] = {}
    for name in names:
        loaded = _config(repo, name)
        if loaded.document.spec.paused != paused:
            files[_rel(repo, loaded)] = edits.set_paused(loaded.text, paused=paused, reason=reason)
    verb = "pause" if paused else "resume"
    who = service or "all services"
    title = f"autoopt: {verb} {who}"
    trailers = [(messages.ACTION, verb), *((tr.SERVICE, n) for n in names)]
    done = "paused" if paused else "running"
    summary = f"{who}: {done}" if files else f"{who}: already {done}; nothing to change"
    message = _message(title, reason, trailers, actor)
    return ControlPlan(verb, summary, files, message, (), tuple(names))


def plan_emergency_stop(
    state: RepoState, *, reason: str, by: str, now: datetime, lift: bool
) -> ControlPlan:
    """Set (or lift) the repository-wide emergency stop file."""
    if lift:
        files: dict[str, str | None] = {STOP_FILE: None} if state.stop is not None else {}
        title = "autoopt: lift the emergency stop"
        summary = "emergency stop lifted" if files else "no emergency stop is set; nothing to lift"
        action = "lift-emergency-stop"
    else:
        files = {STOP_FILE: stop_text(reason, by=by, now=now)} if state.stop is None else {}
        title = "autoopt: emergency stop of every rollout"
        summary = (
            f"emergency stop set: the reconciler changes nothing until lifted ({STOP_FILE})"
            if files
            else f"the emergency stop is already set ({state.stop.reason if state.stop else ''})"
        )
        action = "emergency-stop"
    message = _message(title, reason, [(messages.ACTION, action)], by)
    return ControlPlan(action, summary, files, message)


def plan_rollback(
    state: RepoState,
    service: str,
    *,
    reason: str,
    to: str | None = None,
    history: Callable[[str], Iterable[tuple[str, str]]] = lambda _path: (),
    actor: str = "",
) -> ControlPlan:
    """Roll ``service`` back: drop its canary, restore ``previous``, or go back ``to`` a version."""
    repo = state.repository
    loaded = _config(repo, service)
    spec = loaded.document.spec
    path = _rel(repo, loaded)
    if to is None:
        text, rolled, stable = _rollback_default(loaded)
    else:
        text, rolled, stable = _rollback_to(loaded, to, history(path))
    title = f"autoopt: manual rollback of {service} {rolled}; {stable} is stable"
    trailers = [
        (tr.SERVICE, service),
        (tr.DECISION, "rollback"),
        (messages.ACTION, "manual_rollback"),
        (tr.FROM_VERSION, stable),
        (tr.VERSION, rolled),
        (messages.VERDICT_REASONS, "manual_rollback"),
    ]
    comments: tuple[tuple[int, str], ...] = ()
    number = pr_number(spec.canary.proposal or "") if spec.canary is not None else None
    if number is not None:
        body = f"**{service} {rolled} was rolled back by hand**; {stable} is stable.\n\n"
        body += f"Reason: {reason}"
        comments = ((number, body),)
    summary = f"{service}: {rolled} rolled back; {stable} is stable"
    return ControlPlan(
        "rollback",
        summary,
        {path: text},
        _message(title, reason, trailers, actor),
        comments,
        (service,),
    )


def _rollback_default(loaded: Loaded[LLMConfig]) -> tuple[str, str, str]:
    spec = loaded.document.spec
    if spec.canary is not None:
        return edits.drop_canary(loaded.text), spec.canary.version, spec.stable.version
    if spec.previous is not None:
        return edits.restore_previous(loaded.text), spec.stable.version, spec.previous.version
    raise ControlError(
        f"{loaded.document.metadata.name}: nothing to roll back (no rollout and no previous "
        "version kept); name an earlier version with --to VERSION"
    )


def _rollback_to(
    loaded: Loaded[LLMConfig], version: str, history: Iterable[tuple[str, str]]
) -> tuple[str, str, str]:
    spec = loaded.document.spec
    name = loaded.document.metadata.name
    current = spec.canary.version if spec.canary is not None else spec.stable.version
    if version == spec.stable.version:
        if spec.canary is None:
            raise ControlError(f"{name}: {version} is already stable")
        return _rollback_default(loaded)
    if spec.previous is not None and spec.previous.version == version:
        return edits.restore_previous(loaded.text), current, version
    seen: list[str] = []
    for _sha, text in history:
        old = _parse(loaded, text)
        releases = (old.spec.stable, old.spec.canary) if old is not None else ()
        for release in releases:
            if release is not None and release.version == version:
                params = release.params.flat()
                new_text = edits.set_stable(loaded.text, version=version, params=params)
                return new_text, current, version
            if release is not None and release.version not in seen:
                seen.append(release.version)
    known = ", ".join(seen) or "none"
    raise ControlError(
        f"{name}: version {version!r} is not in the history of {loaded.display} (known: {known})"
    )


def _parse(loaded: Loaded[LLMConfig], text: str) -> LLMConfig | None:
    try:
        document = load_string(text, path=loaded.path, kind="LLMConfig").document
    except UserError:
        return None
    return document if isinstance(document, LLMConfig) else None


def apply(
    build: Callable[[RepoState], ControlPlan],
    git: RolloutGit,
    forge: Forge | None,
    *,
    attempts: int = MAX_ATTEMPTS,
) -> ControlResult:
    """Build the plan from the base branch's head, commit it and push; retry on StaleHead."""
    for attempt in range(1, attempts + 1):
        head = git.sync()
        plan = build(read_state(git.root, head))
        if not plan.files:
            return ControlResult(plan, applied=False, commit=None, attempts=attempt)
        sha = git.commit(plan.files, plan.message)
        try:
            git.push(expected=head)
        except StaleHead:
            continue
        notes = tuple(_comment(forge, number, body) for number, body in plan.comments)
        return ControlResult(plan, applied=True, commit=sha, attempts=attempt, notes=notes)
    raise StaleHead(f"the base branch kept moving: gave up after {attempts} attempts")


def _comment(forge: Forge | None, number: int, body: str) -> str:
    if forge is None:
        return f"no forge configured: pull request #{number} not commented"
    forge.comment(number, body)
    return f"commented on pull request #{number}"

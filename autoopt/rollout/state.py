"""What the rollout workflows read: the repository at the base branch's head, and helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from autoopt.rollout.history import (
    Record,
    Rollback,
    entries,
    last_rollbacks,
    proposals,
    stage_starts,
)
from autoopt.rollout.stop import EmergencyStop, read_stop
from autoopt.rollout.triggerlog import LoggedAlert, read_trigger_log
from autoopt.spec.load import load_document
from autoopt.spec.models import Settings
from autoopt.spec.repository import (
    SETTINGS_FILE,
    Repository,
    default_settings,
    load_repository,
)

StageStarts = Mapping[int, datetime]  # rollout stage → when it started (from the audit log)


@dataclass(frozen=True)
class RepoState:
    """The documents as read at ``head`` of the base branch, and the emergency stop if set."""

    repository: Repository
    head: str | None = None
    stop: EmergencyStop | None = None
    stages: Mapping[str, StageStarts] = field(default_factory=dict)  # service → stage starts
    rollbacks: Mapping[str, Rollback] = field(default_factory=dict)  # service → last rollback
    #: (service, version) → the pull request its rollout came from (from the audit log)
    proposals: Mapping[tuple[str, str], str] = field(default_factory=dict)
    alerts: Mapping[str, tuple[LoggedAlert, ...]] = field(default_factory=dict)  # newest first


def read_state(
    root: Path,
    head: str | None = None,
    log: Iterable[Record] = (),
    landed: Callable[[str], datetime | None] | None = None,
) -> RepoState:
    """The repository at ``root`` (read at ``head``), with what its audit ``log`` tells.

    ``landed(relpath)`` says when a config last changed on the base branch; a rollout's first
    stage starts no earlier than that, so the time a proposal waited for review does not count
    as time in the stage (a proposal merged after ``max_stage_time`` is not timed out).
    """
    repository = load_repository(root)
    if landed is not None:
        _start_first_stages_when_landed(repository, landed)
    found = entries(log)
    configs = {name: c.document for name, c in repository.configs.items()}
    return RepoState(
        repository,
        head,
        read_stop(root),
        stage_starts(found, configs),
        last_rollbacks(found),
        alerts=_alerts(root),
        proposals=proposals(found),
    )


def _alerts(root: Path) -> Mapping[str, tuple[LoggedAlert, ...]]:
    """The triggers' recent alerts (``.autoopt/triggers.json``), for the progress comments; a
    malformed log shows none here (the cycle's analysis phase reports it)."""
    from autoopt.errors import UserError

    try:
        return read_trigger_log(root).alerts
    except UserError:
        return {}


def pr_number(reference: str) -> int | None:
    """The pull-request number in a forge reference: ``#12``, ``12`` or ``…/pull/12``."""
    digits = ""
    for char in reversed(reference.strip()):
        if not char.isdigit():
            break
        digits = char + digits
    return int(digits) if digits else None


def read_settings(root: Path) -> Settings:
    """Only ``autoopt.yaml`` (defaults when absent): what is needed before the git sync."""
    path = root / SETTINGS_FILE
    if path.is_file():
        document = load_document(path, kind="Settings", display=SETTINGS_FILE).document
        assert isinstance(document, Settings)
        return document
    return default_settings(root.resolve())


def _start_first_stages_when_landed(
    repository: Repository, landed: Callable[[str], datetime | None]
) -> None:
    for name, loaded in repository.configs.items():
        canary = loaded.document.spec.canary
        if canary is None or canary.step != 0:
            continue
        relpath = loaded.path.resolve().relative_to(repository.root.resolve()).as_posix()
        at = landed(relpath)
        if at is None or at <= canary.step_started_at:
            continue
        spec = loaded.document.spec.model_copy(
            update={"canary": canary.model_copy(update={"step_started_at": at})}
        )
        document = loaded.document.model_copy(update={"spec": spec})
        repository.configs[name] = replace(loaded, document=document)

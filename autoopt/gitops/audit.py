"""What ``autoopt status`` and ``autoopt history`` show: read back from git and the configs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from autoopt.errors import UserError
from autoopt.gitops import trailers
from autoopt.gitops.forge import PullRequest
from autoopt.gitops.repo import GitRepo
from autoopt.spec.repository import Repository


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    config: str
    stable: str
    canary: str | None
    step: int | None
    steps: tuple[int, ...]
    weight: int
    in_step_seconds: float | None
    paused: bool
    last: trailers.AuditEntry | None  # the newest autoopt commit on the config

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "config": self.config,
            "stable": self.stable,
            "canary": self.canary,
            "step": self.step,
            "steps": list(self.steps),
            "weight": self.weight,
            "in_step_seconds": self.in_step_seconds,
            "paused": self.paused,
            "last": None if self.last is None else self.last.as_dict(),
        }


def config_path(repo: Repository, service: str) -> str:
    """The config file of ``service`` relative to the repository root, or a UserError."""
    loaded = repo.configs.get(service)
    if loaded is None:
        known = ", ".join(sorted(repo.configs)) or "none"
        raise UserError(f"no service {service!r} in {repo.root} (known: {known})")
    try:
        return loaded.path.resolve().relative_to(Path(repo.root).resolve()).as_posix()
    except ValueError:
        return loaded.path.as_posix()


def history(
    repo: Repository, git: GitRepo, service: str, *, limit: int = 0
) -> list[trailers.AuditEntry]:
    """Commits that changed the service's config, newest first, with their autoopt trailers."""
    path = config_path(repo, service)
    return [
        trailers.audit_entry(c.sha, c.committed_at, c.author_name, c.message)
        for c in git.log(["HEAD"], [path], max_count=limit)
    ]


def _last(entries: Sequence[trailers.AuditEntry]) -> trailers.AuditEntry | None:
    return next((e for e in entries if e.is_autoopt), None)


def status(repo: Repository, git: GitRepo | None, *, now: datetime) -> list[ServiceStatus]:
    """One row per service: stable, canary, stage, time in stage, last autoopt decision."""
    rows = []
    for service, loaded in sorted(repo.configs.items()):
        spec = loaded.document.spec
        canary = spec.canary
        entries = history(repo, git, service, limit=50) if git is not None else []
        rows.append(
            ServiceStatus(
                service=service,
                config=config_path(repo, service),
                stable=spec.stable.version,
                canary=canary.version if canary else None,
                step=canary.step if canary else None,
                steps=tuple(canary.steps) if canary else (),
                weight=canary.weight if canary else 0,
                in_step_seconds=(now - canary.step_started_at).total_seconds() if canary else None,
                paused=spec.paused,
                last=_last(entries),
            )
        )
    return rows


def pr_dict(pr: PullRequest) -> dict[str, Any]:
    return {
        "number": pr.number,
        "title": pr.title,
        "head": pr.head,
        "base": pr.base,
        "state": pr.state,
        "url": pr.url,
        "labels": list(pr.labels),
    }

"""Build the demo's GitOps repository: a bare origin and a clone with a short history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from autoopt.gitops.repo import GitRepo, Identity, clone, init_bare
from autoopt.spec.scaffold import Scaffold

PERSON = Identity("Dana Reviewer", "dana@example.com")
CONFIG = "configs/chat-service.yaml"

SETTINGS_EXTRA = "metrics/\nreport.html\n"


@dataclass(frozen=True)
class DemoRepo:
    root: Path
    origin: Path
    git: GitRepo
    base: str  # the commit the demo starts from (stable v7), for the final diff


def build(directory: Path, *, v6_at: datetime, v7_at: datetime) -> DemoRepo:
    """origin.git and repo/ under ``directory``; main has v6, then v7 on top."""
    origin = init_bare(directory / "origin.git")
    repo = clone(origin, directory / "repo", identity=PERSON)
    files = Scaffold(service="chat-service", model="gpt-4o").files()
    v7 = files[CONFIG]
    v6 = v7.replace("version: v7", "version: v6").replace("model: gpt-4o\n", "model: gpt-4o-mini\n")
    v6 = v6.replace("max_tokens: 1024", "max_tokens: 512")
    first = repo.commit_files(
        None,
        {**files, CONFIG: v6, ".gitignore": SETTINGS_EXTRA},
        "Add chat-service config (v6 on gpt-4o-mini) and the cost policy",
        author=PERSON,
        now=v6_at,
    )
    second = repo.commit_files(
        first,
        {CONFIG: v7},
        "chat-service: v7 moves to gpt-4o for quality",
        author=PERSON,
        now=v7_at,
    )
    repo.push("origin", "main", second, expected=None)
    repo.reset_branch_to(second)
    return DemoRepo(root=directory / "repo", origin=origin, git=repo, base=second)

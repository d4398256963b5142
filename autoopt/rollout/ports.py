"""The narrow git interface the rollout workflows need (implemented over ``gitops.repo``).

Workflows talk to this protocol only; ``autoopt/rollout/gitport.py`` adapts the real
``GitRepo`` to it, so the only module that knows gitpython stays ``gitops/repo.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol


class RolloutGit(Protocol):
    @property
    def root(self) -> Path:
        """The work tree the documents are read from."""
        ...

    def sync(self) -> str | None:
        """Fetch; reset the local base branch and work tree to the remote's; return its head.

        None when the repository has no remote (a plain local repository)."""
        ...

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        """Write ``files`` (relative path → text; None deletes) and commit on the base branch."""
        ...

    def commit_all(self, changes: Sequence[tuple[Mapping[str, str | None], str]]) -> list[str]:
        """Commit each ``(files, message)`` in turn on the base branch; the shas, in order."""
        ...

    def push(self, *, expected: str | None) -> None:
        """Push the base branch, only if the remote still points at ``expected``.

        Raises :class:`autoopt.errors.StaleHead` when it moved. A no-op without a remote."""
        ...

    def push_branch(self, branch: str, files: Mapping[str, str | None], message: str) -> str:
        """One commit on ``branch`` started from the base head, (force-)pushed; its sha."""
        ...

    def history(self) -> list[tuple[datetime, str]]:
        """``(committed_at, message)`` of the base branch's recent commits, newest first."""
        ...

    def landed_at(self, relpath: str) -> datetime | None:
        """When ``relpath`` last changed on the base branch's own line of history."""
        ...

    def file_versions(self, path: str) -> Iterator[tuple[str, str]]:
        """``(commit sha, text)`` of ``path`` on the base branch, newest first."""
        ...

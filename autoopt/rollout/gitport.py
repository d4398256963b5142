""":class:`RolloutGit` over ``gitops.repo.GitRepo``: the base branch of a GitOps clone.

The reconciler reads the documents from the work tree, so :meth:`sync` first makes the
checked-out base branch equal to the remote's (fast-forward only, never losing local work).
Commits are built with plumbing on top of the synced head and pushed with that head as the
expected old value; after a successful push the work tree fast-forwards to the new head.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from autoopt.errors import GitOpsError, StaleHead
from autoopt.gitops.repo import GitRepo, Identity

#: How many recent commits of the base branch the audit log is read from.
HISTORY = 2000


class BaseBranch:
    """The base branch of the GitOps repository at ``path``, as the rollout workflows see it."""

    def __init__(
        self,
        path: Path,
        *,
        base: str,
        remote: str,
        identity: Identity,
        now: datetime,
        author: Identity | None = None,
    ) -> None:
        self.repo = GitRepo(path)
        self._path = Path(path)
        self.base = base
        self.remote = remote if self.repo.has_remote(remote) else None
        self.identity = identity  # the committer (the bot)
        self.author = author or identity  # the person a control is made for, when one asked
        self.now = now
        self._tip: str | None = None

    @property
    def root(self) -> Path:
        return self._path

    def sync(self) -> str | None:
        self.repo.ensure_clean()
        if self.repo.current_branch() != self.base:
            raise GitOpsError(
                f"check out {self.base} first: rollouts commit to the base branch "
                f"(checked out: {self.repo.current_branch() or 'a detached HEAD'})"
            )
        local = self.repo.branch_sha(self.base)
        if self.remote is None:
            self._tip = local
            return local
        head = self.repo.fetch(self.remote, self.base)
        if head is None:
            raise GitOpsError(f"{self.remote} has no branch {self.base}")
        if local != head:
            if local is not None and self.repo.commits_between(head, local):
                raise GitOpsError(
                    f"local {self.base} has commits that are not on {self.remote}; "
                    "push or drop them first"
                )
            self.repo.reset_branch_to(head)
        self._tip = head
        return head

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        sha = self.repo.commit_files(
            self._tip, files, message, author=self.author, committer=self.identity, now=self.now
        )
        self._tip = sha
        return sha

    def commit_all(self, changes: Sequence[tuple[Mapping[str, str | None], str]]) -> list[str]:
        shas = self.repo.commit_chain(self._tip, changes, author=self.identity, now=self.now)
        if shas:
            self._tip = shas[-1]
        return shas

    def push(self, *, expected: str | None) -> None:
        tip = self._tip
        if tip is None or tip == expected:
            return
        if self.remote is not None:
            self.repo.push(self.remote, self.base, tip, expected=expected)
        elif self.repo.branch_sha(self.base) != expected:
            raise StaleHead(f"{self.base} moved since it was read; re-read and retry")
        self.repo.reset_branch_to(tip)

    def push_branch(self, branch: str, files: Mapping[str, str | None], message: str) -> str:
        parent = self.repo.branch_sha(self.base) if self.remote is None else self._tip
        sha = self.repo.commit_files(parent, files, message, author=self.identity, now=self.now)
        if self.remote is not None:
            old = self.repo.remote_sha(self.remote, branch)
            self.repo.push(self.remote, branch, sha, expected=old)
        else:
            self.repo.set_branch(branch, sha, expected=self.repo.branch_sha(branch))
        return sha

    def history(self, limit: int = HISTORY) -> list[tuple[datetime, str]]:
        ref = self._ref()
        return [(c.committed_at, c.message) for c in self.repo.log((ref,), max_count=limit)]

    def landed_at(self, relpath: str) -> datetime | None:
        """When ``relpath`` last changed on the base branch itself: the merge (or squash, or
        direct commit) that brought its current content, not the branch commit it merged."""
        found = self.repo.log((self._ref(),), [relpath], max_count=1, first_parent=True)
        return found[0].committed_at if found else None

    def _ref(self) -> str:
        return (
            f"refs/remotes/{self.remote}/{self.base}" if self.remote else f"refs/heads/{self.base}"
        )

    def file_versions(self, path: str) -> Iterator[tuple[str, str]]:
        ref = (
            f"refs/remotes/{self.remote}/{self.base}" if self.remote else f"refs/heads/{self.base}"
        )
        for version in reversed(self.repo.file_versions(path, (ref,))):
            yield version.sha, version.text

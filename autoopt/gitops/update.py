"""Commit an edit straight to a branch (the reconciler's promote/revert), safely under races.

``commit_edit`` reads the file at the remote's head, applies a pure ``str -> str | None``
change, builds the commit, and pushes it with that head as the expected old value. When
another run moved the branch first, the push is refused (:class:`StaleHead`); it re-reads and
applies the change to the new text — a change that checks the state it expects (``step == 0``)
then returns None, so two runs never promote twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from autoopt.errors import GitOpsError, StaleHead
from autoopt.gitops.repo import GitRepo, Identity

#: How often a push refused because the branch moved is re-read and retried.
ATTEMPTS = 3

Change = Callable[[str], "str | None"]


@dataclass(frozen=True)
class EditCommit:
    sha: str
    parent: str
    attempts: int
    pushed: bool


def commit_edit(
    git: GitRepo,
    *,
    branch: str,
    relpath: str,
    change: Change,
    message: str,
    author: Identity,
    now: datetime,
    remote: str | None,
) -> EditCommit | None:
    """Apply ``change`` to ``relpath`` on ``branch`` and push; None when there is nothing to do.

    ``remote`` None (or absent from the repository) commits to the local branch only. After a
    push, a checked-out, clean ``branch`` is fast-forwarded so the work tree shows the edit.
    """
    use = remote if remote is not None and git.has_remote(remote) else None
    for attempt in range(1, ATTEMPTS + 1):
        head = git.fetch(use, branch) if use else git.branch_sha(branch)
        if head is None:
            raise GitOpsError(f"branch {branch} does not exist")
        text = git.show(head, relpath)
        if text is None:
            raise GitOpsError(f"{relpath} does not exist on {branch}")
        new = change(text)
        if new is None or new == text:
            return None
        sha = git.commit_files(head, {relpath: new}, message, author=author, now=now)
        try:
            if use:
                git.push(use, branch, sha, expected=head)
            _update_local(git, branch, sha, head, pushed=use is not None)
        except StaleHead:
            if attempt == ATTEMPTS:
                raise
            continue
        return EditCommit(sha=sha, parent=head, attempts=attempt, pushed=use is not None)
    raise AssertionError("unreachable")  # pragma: no cover


def _update_local(git: GitRepo, branch: str, sha: str, head: str, *, pushed: bool) -> None:
    local = git.branch_sha(branch)
    if git.current_branch() == branch:
        if local == head and not git.is_dirty():
            git.fast_forward(sha)
        elif not pushed:
            raise StaleHead(f"branch {branch} moved or has local changes; re-read and retry")
        return
    if pushed and local is not None and local != head:
        return  # the local branch has its own commits; the remote is the truth
    git.set_branch(branch, sha, expected=local)

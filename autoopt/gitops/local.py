"""The local forge: pull requests kept inside the git directory, no network (the offline default).

Each pull request is one JSON file, ``<git-dir>/autoopt/pulls/<n>.json``, written atomically
(a temporary file, then a rename; a new number is claimed with a hard link, so two runs can
never take the same one). Nothing lands in the work tree. ``autoopt status`` lists the open
ones and ``autoopt merge N`` merges one with a real ``git merge --no-ff``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from autoopt.errors import ForgeError, GitOpsError
from autoopt.gitops.forge import (
    Issue,
    PRRequest,
    PRState,
    PullRequest,
    StatusState,
    marker_tag,
    tagged,
)
from autoopt.gitops.repo import GitRepo


def _write_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(name, path)


class LocalForge:
    """Pull requests as JSON files under ``.git/autoopt/``; ``now`` stamps what changes."""

    shared = False  # the pull requests live in this clone's git directory

    def __init__(self, git: GitRepo, *, now: datetime, author: str = "autoopt[bot]") -> None:
        self.git = git
        self.now = now
        self.author = author
        self.root = git.git_dir / "autoopt"
        self.pulls = self.root / "pulls"
        self.issues = self.root / "issues"  # the dashboard; numbers shared with the pulls

    # ------------------------------------------------------------------ storage

    def _path(self, number: int) -> Path:
        issue = self.issues / f"{number}.json"
        return issue if issue.exists() else self.pulls / f"{number}.json"

    def _read(self, number: int) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self._path(number).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ForgeError(f"no local pull request #{number}") from None
        except (OSError, ValueError) as exc:
            raise ForgeError(f"local pull request #{number} is unreadable: {exc}") from None
        return data

    def _numbers(self, folder: Path | None = None) -> list[int]:
        folder = folder or self.pulls
        if not folder.is_dir():
            return []
        return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())

    def _claim(self, data: dict[str, Any], folder: Path | None = None) -> int:
        """Write a new pull request (or issue) under the next number free in both folders
        (race-free: the file is claimed with a hard link, then the other folder is checked)."""
        folder = folder or self.pulls
        other = self.issues if folder == self.pulls else self.pulls
        folder.mkdir(parents=True, exist_ok=True)
        number = max([0, *self._numbers(self.pulls), *self._numbers(self.issues)]) + 1
        while True:
            data["number"] = number
            handle, name = tempfile.mkstemp(prefix=".new.", dir=folder)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2, sort_keys=True)
                out.write("\n")
            try:
                os.link(name, folder / f"{number}.json")
            except FileExistsError:
                number += 1
                continue
            finally:
                os.unlink(name)
            if not (other / f"{number}.json").exists():
                return number
            (folder / f"{number}.json").unlink()
            number += 1

    def _stamp(self) -> str:
        return self.now.isoformat()

    def _view(self, data: dict[str, Any]) -> PullRequest:
        """The pull request as GitHub would show it: an open one's head follows its branch."""
        head_sha = str(data.get("head_sha", ""))
        if data["state"] == "open":
            head_sha = self.git.branch_sha(str(data["head"])) or head_sha
        return PullRequest(
            number=int(data["number"]),
            title=str(data["title"]),
            body=str(data["body"]),
            head=str(data["head"]),
            base=str(data["base"]),
            state=data["state"],
            url=f"local:pulls/{data['number']}",
            labels=tuple(data.get("labels", ())),
            head_sha=head_sha,
            author=str(data.get("author", "")),
            closed_at=data.get("closed_at"),
        )

    # ------------------------------------------------------------------ Forge

    def get(self, number: int) -> PullRequest:
        return self._view(self._read(number))

    def list_prs(self, *, state: PRState | Literal["all"] = "open") -> Sequence[PullRequest]:
        found = [self._view(self._read(n)) for n in self._numbers() if not self._is_issue(n)]
        return [pr for pr in found if state in ("all", pr.state)]

    def find_pr(self, head: str, *, state: PRState | Literal["all"] = "open") -> PullRequest | None:
        matches = [pr for pr in self.list_prs(state=state) if pr.head == head]
        return matches[-1] if matches else None

    def upsert_pr(self, request: PRRequest) -> tuple[PullRequest, bool]:
        head_sha = self.git.branch_sha(request.head) or ""
        existing = self.find_pr(request.head, state="open")
        if existing is not None:
            data = self._read(existing.number)
            labels = list(dict.fromkeys([*data.get("labels", []), *request.labels]))
            data.update(
                title=request.title,
                body=request.body,
                base=request.base,
                labels=labels,
                head_sha=head_sha,
                draft=request.draft,
                updated_at=self._stamp(),
            )
            _write_atomic(self._path(existing.number), data)
            return self._view(data), False
        data = {
            "title": request.title,
            "body": request.body,
            "head": request.head,
            "base": request.base,
            "state": "open",
            "labels": list(request.labels),
            "head_sha": head_sha,
            "author": self.author,
            "draft": request.draft,
            "created_at": self._stamp(),
            "updated_at": self._stamp(),
            "closed_at": None,
            "comments": [],
        }
        number = self._claim(data)
        return self.get(number), True

    def comment(self, number: int, body: str, *, marker: str | None = None) -> None:
        data = self._read(number)
        comments: list[dict[str, Any]] = data.setdefault("comments", [])
        tag = marker_tag(marker) if marker else None
        text = tagged(body, marker) if marker else body
        for item in comments:
            if tag and tag in str(item.get("body", "")):
                item.update(body=text, updated_at=self._stamp())
                break
        else:
            comments.append({"body": text, "marker": tag, "created_at": self._stamp()})
        _write_atomic(self._path(number), data)

    def comments(self, number: int) -> list[str]:
        return [str(c["body"]) for c in self._read(number).get("comments", [])]

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        data = self._read(number)
        data["labels"] = list(dict.fromkeys([*data.get("labels", []), *labels]))
        _write_atomic(self._path(number), data)

    def set_status(
        self, sha: str, state: StatusState, *, context: str, description: str, url: str = ""
    ) -> None:
        path = self.root / "statuses" / f"{sha}.json"
        statuses: dict[str, Any] = {}
        with contextlib.suppress(FileNotFoundError, ValueError):
            statuses = json.loads(path.read_text(encoding="utf-8"))
        statuses[context] = {"state": state, "description": description, "url": url}
        _write_atomic(path, statuses)

    def statuses(self, sha: str) -> dict[str, Any]:
        path = self.root / "statuses" / f"{sha}.json"
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def get_pr(self, number: int) -> PullRequest:
        if self._is_issue(number):
            raise ForgeError(f"local #{number} is an issue, not a pull request")
        return self.get(number)

    # ------------------------------------------------------------------ issues

    def _is_issue(self, number: int) -> bool:
        return (self.issues / f"{number}.json").exists()

    def _issue(self, data: dict[str, Any]) -> Issue:
        state: Literal["open", "closed"] = "closed" if data.get("state") == "closed" else "open"
        number = int(data["number"])
        return Issue(number, str(data["title"]), str(data["body"]), f"local:issues/{number}", state)

    def list_issues(self) -> list[Issue]:
        return [self._issue(self._read(n)) for n in self._numbers(self.issues)]

    def find_issue(self, marker: str) -> Issue | None:
        tag = marker_tag(marker)
        found = [i for i in self.list_issues() if i.state == "open" and tag in i.body]
        return found[0] if found else None

    def upsert_issue(
        self, title: str, body: str, *, marker: str, labels: Sequence[str] = ()
    ) -> tuple[Issue, bool]:
        """The issue as one JSON file, ``<git-dir>/autoopt/issues/<n>.json``: the same view
        GitHub's issue shows, read back by ``autoopt status --format markdown``."""
        body = tagged(body, marker)
        existing = self.find_issue(marker)
        if existing is not None:
            data = self._read(existing.number)
            if (data["title"], data["body"]) != (title, body):
                data.update(title=title, body=body, updated_at=self._stamp())
                _write_atomic(self._path(existing.number), data)
            return self._issue(data), False
        data = {
            "title": title,
            "body": body,
            "state": "open",
            "labels": list(labels),
            "author": self.author,
            "created_at": self._stamp(),
            "updated_at": self._stamp(),
            "comments": [],
        }
        number = self._claim(data, self.issues)
        return self._issue(self._read(number)), True

    def permission(self, user: str) -> str:
        """The local forge has no accounts: whoever can write to this clone owns it."""
        return "admin"

    # ------------------------------------------------------------------ local only

    def close(
        self, number: int, *, state: Literal["closed", "merged"] = "closed", merged_sha: str = ""
    ) -> PullRequest:
        """Mark a pull request closed (or merged), stamped with ``now``."""
        data = self._read(number)
        if data["state"] != "open":
            raise ForgeError(f"local pull request #{number} is already {data['state']}")
        data.update(state=state, closed_at=self._stamp(), updated_at=self._stamp())
        if merged_sha:
            data["merged_sha"] = merged_sha
        _write_atomic(self._path(number), data)
        return self._view(data)


def merge(forge: LocalForge, number: int, *, remote: str | None) -> PullRequest:
    """Merge local pull request ``number``: ``git merge --no-ff`` of its branch into its base
    (which must be checked out and in step with ``remote``), push the base, mark it merged.

    When the push is refused because the remote base moved, the local merge is undone and
    :class:`StaleHead` propagates: nothing is half-done.
    """
    git = forge.git
    pr = forge.get(number)
    if pr.state != "open":
        raise ForgeError(f"local pull request #{number} is already {pr.state}")
    git.ensure_clean()
    if git.current_branch() != pr.base:
        raise GitOpsError(f"check out {pr.base} first: pull request #{number} merges into it")
    before = git.rev("HEAD")
    assert before is not None
    head_ref = f"refs/heads/{pr.head}"
    remote_base: str | None = None
    if remote is not None and git.has_remote(remote):
        remote_base = git.fetch(remote, pr.base)
        if remote_base is not None and remote_base != before:
            raise GitOpsError(f"{pr.base} differs from {remote}/{pr.base}; pull (or push) first")
        if git.fetch(remote, pr.head) is not None:
            head_ref = f"refs/remotes/{remote}/{pr.head}"
    else:
        remote = None
    if git.rev(head_ref) is None:
        raise GitOpsError(f"branch {pr.head} of pull request #{number} no longer exists")
    message = f"Merge pull request #{number} from {pr.head}\n\n{pr.title}\n"
    sha = git.merge_no_ff(head_ref, message, now=forge.now)
    if remote is not None:
        try:
            git.push(remote, pr.base, sha, expected=remote_base)
        except GitOpsError:
            git.reset_branch_to(before)
            raise
    return forge.close(number, state="merged", merged_sha=sha)

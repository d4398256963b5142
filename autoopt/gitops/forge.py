"""The forge interface: what autoopt needs from GitHub (or its offline twin).

Implementations: ``gitops/github.py`` (REST, injected ``requests.Session``) and
``gitops/local.py`` (pull requests kept inside the git directory, no network). The registry
maps the ``forge.type`` of ``autoopt.yaml`` to a factory; an unknown type is a validation error
upstream, so the registry is never asked for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

PRState = Literal["open", "closed", "merged"]
StatusState = Literal["pending", "success", "failure", "error"]


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    body: str
    head: str  # branch name
    base: str
    state: PRState
    url: str
    labels: tuple[str, ...] = ()
    head_sha: str = ""
    author: str = ""
    closed_at: str | None = None  # ISO 8601, when closed or merged


@dataclass(frozen=True)
class Issue:
    """An issue (the dashboard): GitHub's issues and pull requests share one number space."""

    number: int
    title: str
    body: str
    url: str
    state: Literal["open", "closed"] = "open"


#: A user's permission on the repository, as GitHub names it (``role_name``).
PERMISSIONS = ("admin", "maintain", "write", "triage", "read", "none")


@dataclass(frozen=True)
class PRRequest:
    """What the bot wants a pull request to look like (created or updated in place)."""

    title: str
    body: str
    head: str
    base: str
    labels: tuple[str, ...] = ()
    draft: bool = False


def marker_tag(marker: str) -> str:
    """The invisible HTML comment that identifies an autoopt comment: ``<!-- autoopt:x -->``.

    A marker is a name (``autoopt:progress:chat-service``); one already written as an HTML
    comment is taken as it is. Both forges find a sticky comment by this tag."""
    text = marker.strip()
    if text.startswith("<!--") and text.endswith("-->"):
        return text
    return f"<!-- {text} -->"


def tagged(body: str, marker: str) -> str:
    """``body`` carrying ``marker``'s tag (appended when it is not in the body yet)."""
    tag = marker_tag(marker)
    return body if tag in body else f"{body}\n\n{tag}"


CheckConclusion = Literal["success", "neutral", "failure"]


@dataclass(frozen=True)
class CheckRun:
    """A completed check run as GitHub shows it: the conclusion, the output (title, Markdown
    summary and text) and annotations (GitHub's shape: path, start_line, end_line,
    annotation_level, message, title)."""

    conclusion: CheckConclusion
    title: str
    summary: str
    completed_at: str  # ISO 8601
    text: str = ""
    annotations: tuple[dict[str, object], ...] = ()
    details_url: str = ""


class Forge(Protocol):
    #: True when the pull requests are shared by every clone (GitHub); False for the local
    #: forge, whose pull requests live in one clone's git directory.
    shared: bool

    def find_pr(self, head: str, *, state: PRState | Literal["all"] = "open") -> PullRequest | None:
        """The newest pull request from branch ``head`` in ``state``, or None."""
        ...

    def list_prs(self, *, state: PRState | Literal["all"] = "open") -> Sequence[PullRequest]: ...

    def upsert_pr(self, request: PRRequest) -> tuple[PullRequest, bool]:
        """Create the PR, or update the open one from the same head; True when created."""
        ...

    def comment(self, number: int, body: str, *, marker: str | None = None) -> None:
        """Comment on a PR; with ``marker`` the comment carrying its invisible tag is edited in
        place (sticky), so a pull request carries one such comment however often it is posted."""
        ...

    def close(self, number: int) -> PullRequest:
        """Close pull request ``number`` without merging it."""
        ...

    def add_labels(self, number: int, labels: Sequence[str]) -> None: ...

    def get_pr(self, number: int) -> PullRequest:
        """Pull request ``number`` in any state (``ForgeError`` when there is none)."""
        ...

    def find_issue(self, marker: str) -> Issue | None:
        """The open issue whose body carries ``marker``'s tag (the lowest number), or None."""
        ...

    def upsert_issue(
        self, title: str, body: str, *, marker: str, labels: Sequence[str] = ()
    ) -> tuple[Issue, bool]:
        """Edit the open issue carrying ``marker`` (only when it changed), or create it; True
        when created. However often it is called, there is one such issue."""
        ...

    def permission(self, user: str) -> str:
        """``user``'s permission on the repository: one of :data:`PERMISSIONS`."""
        ...

    def set_status(
        self, sha: str, state: StatusState, *, context: str, description: str, url: str = ""
    ) -> None: ...

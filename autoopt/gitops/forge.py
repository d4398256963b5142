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
class PRRequest:
    """What the bot wants a pull request to look like (created or updated in place)."""

    title: str
    body: str
    head: str
    base: str
    labels: tuple[str, ...] = ()
    draft: bool = False


class Forge(Protocol):
    def find_pr(self, head: str, *, state: PRState | Literal["all"] = "open") -> PullRequest | None:
        """The newest pull request from branch ``head`` in ``state``, or None."""
        ...

    def list_prs(self, *, state: PRState | Literal["all"] = "open") -> Sequence[PullRequest]: ...

    def upsert_pr(self, request: PRRequest) -> tuple[PullRequest, bool]:
        """Create the PR, or update the open one from the same head; True when created."""
        ...

    def comment(self, number: int, body: str, *, marker: str | None = None) -> None:
        """Comment on a PR; with ``marker`` the comment carrying it is edited in place (sticky)."""
        ...

    def add_labels(self, number: int, labels: Sequence[str]) -> None: ...

    def set_status(
        self, sha: str, state: StatusState, *, context: str, description: str, url: str = ""
    ) -> None: ...

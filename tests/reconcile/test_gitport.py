"""The git port: a chain of commits in one fast-import run, on a real repository."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from autoopt.gitops.repo import GitRepo, Identity
from tests.conftest import git

BOT = Identity("autoopt[bot]", "bot@example.com")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_commit_chain_writes_edits_deletes_and_odd_paths(local_repo: Path) -> None:
    repo = GitRepo(local_repo)
    head = repo.rev("HEAD")
    odd = 'configs/a "quoted" name.yaml'
    shas = repo.commit_chain(
        head,
        [
            ({odd: "one\n", "configs/chat-service.yaml": None}, "first\n\nAutoopt-Step: 1\n"),
            ({odd: "two\n"}, "second\n"),
        ],
        author=BOT,
        now=NOW,
    )
    assert len(shas) == 2
    assert git(local_repo, "rev-parse", f"{shas[1]}^").strip() == shas[0]
    assert git(local_repo, "rev-parse", f"{shas[0]}^").strip() == head
    assert repo.show(shas[1], odd) == "two\n"
    assert repo.show(shas[0], "configs/chat-service.yaml") is None
    assert git(local_repo, "log", "-1", "--format=%an|%ae|%aI|%B", shas[0]) == (
        "autoopt[bot]|bot@example.com|2026-11-25T12:00:00Z|first\n\nAutoopt-Step: 1\n\n"
    ).replace("Z|", "+00:00|")
    # nothing else moved: no ref, no work tree change, no scratch ref left behind
    assert repo.rev("HEAD") == head
    assert git(local_repo, "status", "--porcelain") == ""
    assert "refs/autoopt" not in git(local_repo, "for-each-ref")
    # the same inputs give the same commits
    again = repo.commit_chain(
        head,
        [
            ({odd: "one\n", "configs/chat-service.yaml": None}, "first\n\nAutoopt-Step: 1\n"),
            ({odd: "two\n"}, "second\n"),
        ],
        author=BOT,
        now=NOW,
    )
    assert again == shas

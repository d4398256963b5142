"""GitRepo against real repositories: history, plumbing commits, leased pushes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autoopt.errors import GitOpsError, StaleHead
from autoopt.gitops.repo import GitRepo, Identity
from tests.conftest import Remote, git

BOT = Identity("autoopt[bot]", "bot@example.com")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CONFIG = "configs/chat-service.yaml"


def _commit_edit(repo: Path, text: str, message: str) -> str:
    (repo / CONFIG).write_text(text, encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", message)
    return git(repo, "rev-parse", "HEAD").strip()


def test_file_versions_oldest_first_with_every_distinct_text(local_repo: Path) -> None:
    original = (local_repo / CONFIG).read_text(encoding="utf-8")
    second = original.replace("temperature: 0.7", "temperature: 0.5")
    sha2 = _commit_edit(local_repo, second, "Lower the temperature")
    (local_repo / "README.txt").write_text("unrelated\n", encoding="utf-8")
    git(local_repo, "add", "README.txt")
    git(local_repo, "commit", "--quiet", "-m", "Unrelated")
    sha3 = _commit_edit(local_repo, original, "Back to 0.7")

    versions = GitRepo(local_repo).file_versions(CONFIG)

    assert [v.text for v in versions] == [original, second]  # the revert repeats a known text
    assert versions[1].sha == sha2
    assert sha3 not in [v.sha for v in versions]
    assert versions[0].committed_at <= versions[1].committed_at
    assert versions[0].committed_at.tzinfo is not None


def test_file_versions_of_a_subdirectory_repository(tmp_path: Path, git_identity: Path) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "--quiet")
    (outer / "ops").mkdir()
    (outer / "ops" / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    git(outer, "add", "-A")
    git(outer, "commit", "--quiet", "-m", "one")

    versions = GitRepo(outer / "ops").file_versions("a.yaml")

    assert [v.text for v in versions] == ["a: 1\n"]
    assert GitRepo(outer / "ops").file_versions("missing.yaml") == []


def test_not_a_repository_is_a_user_error(tmp_path: Path, git_identity: Path) -> None:
    with pytest.raises(GitOpsError, match="not inside a git repository"):
        GitRepo(tmp_path)


def test_commit_files_is_reproducible_and_leaves_the_work_tree_alone(local_repo: Path) -> None:
    repo = GitRepo(local_repo)
    head = repo.rev("HEAD")
    before = (local_repo / CONFIG).read_text(encoding="utf-8")
    message = "Try gpt-4o-mini\n\nAutoopt-Policy: chat-cost\n"

    first = repo.commit_files(head, {CONFIG: "changed\n"}, message, author=BOT, now=NOW)
    again = repo.commit_files(head, {CONFIG: "changed\n"}, message, author=BOT, now=NOW)
    later = repo.commit_files(
        head, {CONFIG: "changed\n"}, message, author=BOT, now=NOW + timedelta(seconds=1)
    )

    assert first == again != later
    assert repo.rev("HEAD") == head
    assert (local_repo / CONFIG).read_text(encoding="utf-8") == before
    assert not repo.is_dirty()
    assert repo.show(first, CONFIG) == "changed\n"
    assert repo.show(first, "autoopt.yaml") == repo.show(head, "autoopt.yaml")
    info = repo.log([first], max_count=1)[0]
    assert (info.author_name, info.author_email) == (BOT.name, BOT.email)
    assert info.committed_at == NOW
    assert info.message == message
    assert info.parents == (head,)


def test_set_branch_with_expected_old_value(local_repo: Path) -> None:
    repo = GitRepo(local_repo)
    head = repo.rev("HEAD")
    assert head is not None
    sha = repo.commit_files(head, {CONFIG: "x\n"}, "x", author=BOT, now=NOW)
    repo.set_branch("autoopt/chat-service/v-1", sha, expected=None)
    assert repo.branch_sha("autoopt/chat-service/v-1") == sha
    with pytest.raises(StaleHead):
        repo.set_branch("autoopt/chat-service/v-1", head, expected=None)
    with pytest.raises(GitOpsError, match="is checked out"):
        repo.set_branch("main", sha, expected=head)


def test_dirty_work_tree_is_reported_with_the_files(local_repo: Path) -> None:
    repo = GitRepo(local_repo)
    repo.ensure_clean()
    (local_repo / CONFIG).write_text("edited by hand\n", encoding="utf-8")
    with pytest.raises(GitOpsError, match=r"uncommitted changes \(configs/chat-service.yaml\)"):
        repo.ensure_clean()


def test_push_new_branch_then_update_with_lease(remote: Remote) -> None:
    repo = GitRepo(remote.clone)
    head = repo.rev("HEAD")
    assert head is not None
    one = repo.commit_files(head, {CONFIG: "one\n"}, "one", author=BOT, now=NOW)
    two = repo.commit_files(head, {CONFIG: "two\n"}, "two", author=BOT, now=NOW)

    repo.push("origin", "autoopt/svc/v-1", one, expected=None)
    assert repo.remote_sha("origin", "autoopt/svc/v-1") == one
    repo.push("origin", "autoopt/svc/v-1", two, expected=one)  # a forced update, leased
    assert git(remote.origin, "rev-parse", "refs/heads/autoopt/svc/v-1").strip() == two


def test_push_rejected_when_the_remote_moved(remote: Remote) -> None:
    repo = GitRepo(remote.clone)
    head = repo.rev("HEAD")
    assert head is not None
    one = repo.commit_files(head, {CONFIG: "one\n"}, "one", author=BOT, now=NOW)
    repo.push("origin", "autoopt/svc/v-1", one, expected=None)

    other = remote.another_clone("other")
    git(other, "fetch", "--quiet", "origin", "autoopt/svc/v-1")
    git(other, "checkout", "--quiet", "-b", "work", "FETCH_HEAD")
    (other / "note.txt").write_text("a person was here\n", encoding="utf-8")
    git(other, "add", "note.txt")
    git(other, "commit", "--quiet", "-m", "person")
    git(other, "push", "--quiet", "origin", "HEAD:refs/heads/autoopt/svc/v-1")
    moved = git(remote.origin, "rev-parse", "refs/heads/autoopt/svc/v-1").strip()

    two = repo.commit_files(head, {CONFIG: "two\n"}, "two", author=BOT, now=NOW)
    with pytest.raises(StaleHead, match="moved since it was read"):
        repo.push("origin", "autoopt/svc/v-1", two, expected=one)
    with pytest.raises(StaleHead):
        repo.push("origin", "autoopt/svc/v-1", two, expected=None)
    assert git(remote.origin, "rev-parse", "refs/heads/autoopt/svc/v-1").strip() == moved


def test_fast_forward_push_to_base_rejected_when_base_moved(remote: Remote) -> None:
    repo = GitRepo(remote.clone)
    base = repo.rev("HEAD")
    assert base is not None
    other = remote.another_clone("other")
    (other / "x.txt").write_text("x\n", encoding="utf-8")
    git(other, "add", "x.txt")
    git(other, "commit", "--quiet", "-m", "someone else")
    git(other, "push", "--quiet", "origin", "main")

    mine = repo.commit_files(base, {CONFIG: "mine\n"}, "mine", author=BOT, now=NOW)
    with pytest.raises(StaleHead):
        repo.push("origin", "main", mine, expected=base)
    after = repo.fetch("origin", "main")
    assert after is not None and after != base
    rebuilt = repo.commit_files(after, {CONFIG: "mine\n"}, "mine", author=BOT, now=NOW)
    repo.push("origin", "main", rebuilt, expected=after)
    assert git(remote.origin, "rev-parse", "main").strip() == rebuilt


def test_commits_between_names_each_author(remote: Remote) -> None:
    repo = GitRepo(remote.clone)
    base = repo.rev("HEAD")
    assert base is not None
    sha = repo.commit_files(base, {CONFIG: "bot\n"}, "bot edit", author=BOT, now=NOW)
    repo.set_branch("feature", sha, expected=None)
    commits = repo.commits_between(base, "feature")
    assert [(c.author_email, c.subject) for c in commits] == [("bot@example.com", "bot edit")]

"""The local forge on real repositories: storage, sticky comments, merge; the forge registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoopt.errors import ForgeError, GitOpsError
from autoopt.gitops import local
from autoopt.gitops.forge import PRRequest
from autoopt.gitops.forges import make_forge
from autoopt.gitops.local import LocalForge
from autoopt.gitops.repo import GitRepo
from autoopt.propose import apply, plan
from autoopt.spec.models import Settings
from autoopt.spec.repository import load_repository
from tests.conftest import Remote, git
from tests.gitops import decisions

CONFIG = "configs/chat-service.yaml"


def _forge(root: Path) -> LocalForge:
    return LocalForge(GitRepo(root), now=decisions.NOW)


def _propose(root: Path) -> int:
    proposal = plan(load_repository(root), "chat-cost", decisions.propose(), now=decisions.NOW)
    result = apply(proposal, GitRepo(root), _forge(root))
    assert result.pr is not None
    return result.pr.number


def test_pull_requests_live_in_the_git_dir(local_repo: Path) -> None:
    forge = _forge(local_repo)
    pr, created = forge.upsert_pr(PRRequest("t", "b", "feature", "main", labels=("a",)))
    assert created and pr.number == 1 and pr.state == "open" and pr.url == "local:pulls/1"
    again, created = forge.upsert_pr(PRRequest("t2", "b2", "feature", "main", labels=("b",)))
    assert not created and again.number == 1 and again.title == "t2"
    assert again.labels == ("a", "b")
    forge.add_labels(1, ["b", "c"])
    assert forge.get(1).labels == ("a", "b", "c")
    assert (local_repo / ".git" / "autoopt" / "pulls" / "1.json").is_file()
    assert git(local_repo, "status", "--porcelain", "--ignored") == ""
    assert forge.find_pr("feature") == forge.get(1)
    assert forge.find_pr("other") is None


def test_numbers_are_never_reused(local_repo: Path) -> None:
    forge = _forge(local_repo)
    forge.pulls.mkdir(parents=True)
    (forge.pulls / "7.json").write_text(
        json.dumps(
            {"number": 7, "title": "x", "body": "", "head": "h", "base": "main", "state": "closed"}
        ),
        encoding="utf-8",
    )
    pr, _ = forge.upsert_pr(PRRequest("t", "b", "h", "main"))
    assert pr.number == 8
    assert [p.number for p in forge.list_prs(state="all")] == [7, 8]
    assert [p.number for p in forge.list_prs(state="closed")] == [7]


def test_sticky_comments_and_statuses(local_repo: Path) -> None:
    forge = _forge(local_repo)
    forge.upsert_pr(PRRequest("t", "b", "h", "main"))
    forge.comment(1, "first", marker="m")
    forge.comment(1, "second", marker="m")
    forge.comment(1, "plain")
    assert forge.comments(1) == ["second\n\n<!-- m -->", "plain"]
    forge.set_status("abc", "pending", context="autoopt/stage", description="stage 1")
    forge.set_status("abc", "success", context="autoopt/stage", description="stage 1 ok")
    assert forge.statuses("abc") == {
        "autoopt/stage": {"state": "success", "description": "stage 1 ok", "url": ""}
    }
    with pytest.raises(ForgeError, match="no local pull request #9"):
        forge.comment(9, "x")


def test_merge_is_a_real_no_ff_merge_pushed_to_origin(remote: Remote) -> None:
    number = _propose(remote.clone)
    before = git(remote.clone, "rev-parse", "HEAD").strip()
    pr = _forge(remote.clone).get(number)

    merged = local.merge(_forge(remote.clone), number, remote="origin")

    head = git(remote.clone, "rev-parse", "HEAD").strip()
    parents = git(remote.clone, "log", "-1", "--format=%P", "HEAD").split()
    assert parents == [before, pr.head_sha]
    assert merged.state == "merged" and merged.closed_at == decisions.NOW.isoformat()
    assert git(remote.origin, "rev-parse", "main").strip() == head
    assert "canary:" in (remote.clone / CONFIG).read_text(encoding="utf-8")
    subject = git(remote.clone, "log", "-1", "--format=%s%n%an", "HEAD").split("\n")
    assert subject[:2] == [f"Merge pull request #{number} from {pr.head}", "Pat Person"]
    with pytest.raises(ForgeError, match="already merged"):
        local.merge(_forge(remote.clone), number, remote="origin")


def test_merge_needs_the_base_checked_out_and_in_step(remote: Remote) -> None:
    number = _propose(remote.clone)
    git(remote.clone, "checkout", "--quiet", "-b", "elsewhere")
    with pytest.raises(GitOpsError, match="check out main first"):
        local.merge(_forge(remote.clone), number, remote="origin")
    git(remote.clone, "checkout", "--quiet", "main")

    other = remote.another_clone("other")
    (other / "note.txt").write_text("x\n", encoding="utf-8")
    git(other, "add", "note.txt")
    git(other, "commit", "--quiet", "-m", "someone else")
    git(other, "push", "--quiet", "origin", "main")
    before = git(remote.clone, "rev-parse", "HEAD").strip()
    with pytest.raises(GitOpsError, match="main differs from origin/main; pull"):
        local.merge(_forge(remote.clone), number, remote="origin")
    assert git(remote.clone, "rev-parse", "HEAD").strip() == before
    assert _forge(remote.clone).get(number).state == "open"


def test_merge_without_remote(local_repo: Path) -> None:
    number = _propose(local_repo)
    merged = local.merge(_forge(local_repo), number, remote="origin")
    assert merged.state == "merged"
    assert "canary:" in (local_repo / CONFIG).read_text(encoding="utf-8")


def _settings(forge: dict[str, str]) -> Settings:
    return Settings.model_validate(
        {
            "apiVersion": "autoopt/v1",
            "kind": "Settings",
            "metadata": {"name": "x"},
            "spec": {"forge": forge},
        }
    )


def test_registry(local_repo: Path) -> None:
    repo = GitRepo(local_repo)
    local_settings = _settings({"type": "local"})
    assert isinstance(make_forge(local_settings, repo, env={}, now=decisions.NOW), LocalForge)
    github = _settings({"type": "github", "repository": "acme/llm-configs"})
    with pytest.raises(ForgeError, match="GITHUB_TOKEN"):
        make_forge(github, repo, env={})
    assert isinstance(make_forge(github, repo, env={}, override="local"), LocalForge)
    with pytest.raises(ForgeError, match="--forge github needs forge"):
        make_forge(local_settings, repo, env={"GITHUB_TOKEN": "x"}, override="github")


def test_merge_conflict_is_aborted_cleanly(local_repo: Path) -> None:
    number = _propose(local_repo)
    path = local_repo / CONFIG
    path.write_text(
        path.read_text(encoding="utf-8").replace("timeout: 30s", "timeout: 60s"), "utf-8"
    )
    git(local_repo, "commit", "--quiet", "-am", "Longer timeout")
    before = git(local_repo, "rev-parse", "HEAD").strip()
    with pytest.raises(
        GitOpsError, match=r"cannot merge refs/heads/autoopt/chat-service/.*"
    ) as caught:
        local.merge(_forge(local_repo), number, remote="origin")
    assert str(caught.value).endswith(
        "conflicts in configs/chat-service.yaml; nothing was changed (re-run the proposal on "
        "the new base)"
    )
    assert git(local_repo, "rev-parse", "HEAD").strip() == before
    assert git(local_repo, "status", "--porcelain") == ""
    assert _forge(local_repo).get(number).state == "open"

"""propose.plan and propose.apply against real repositories and the local forge."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from autoopt.errors import GitOpsError, StaleHead
from autoopt.gitops import trailers
from autoopt.gitops.local import LocalForge
from autoopt.gitops.repo import GitRepo
from autoopt.propose import apply as apply_plan
from autoopt.propose import as_json, plan
from autoopt.propose.model import ProposalPlan, ProposalResult
from autoopt.propose.planning import with_proposal
from autoopt.spec.repository import load_repository
from tests.conftest import Remote, git
from tests.gitops import decisions

CONFIG = "configs/chat-service.yaml"
BRANCH_PREFIX = "autoopt/chat-service/"


def _plan(root: Path, **kwargs: object) -> ProposalPlan:
    now = kwargs.pop("now", decisions.NOW)
    decision = decisions.propose(**kwargs)  # type: ignore[arg-type]
    return plan(load_repository(root), "chat-cost", decision, now=now)  # type: ignore[arg-type]


def _apply(root: Path, proposal: ProposalPlan, now: object = None) -> ProposalResult:
    repo = GitRepo(root)
    forge = LocalForge(repo, now=now or proposal.now)  # type: ignore[arg-type]
    return apply_plan(proposal, repo, forge)


def test_plan_is_pure_and_complete(local_repo: Path) -> None:
    before = git(local_repo, "status", "--porcelain")
    proposal = _plan(local_repo)
    assert proposal.branch == BRANCH_PREFIX + proposal.decision.proposal.target.version  # type: ignore[union-attr]
    assert all(ln.startswith(("+", "@@", "---", "+++", " ")) for ln in proposal.diff.splitlines())
    assert not [ln for ln in proposal.diff.splitlines() if ln.startswith("-") and ln[:3] != "---"]
    found = trailers.parse_trailers(proposal.commit_message)
    assert trailers.first(found, trailers.POLICY) == "chat-cost"
    assert trailers.first(found, trailers.DECISION) == "propose"
    assert trailers.first(found, trailers.VERSION) == proposal.decision.proposal.target.version  # type: ignore[union-attr]
    assert git(local_repo, "status", "--porcelain") == before
    assert GitRepo(local_repo).branch_sha(proposal.branch or "") is None


def test_json_contract(local_repo: Path) -> None:
    data = as_json(_plan(local_repo))
    assert list(data) == [
        "decision",
        "service",
        "policy",
        "from",
        "to",
        "predicted",
        "confidence",
        "risk",
        "reasons",
        "plan",
    ]
    assert data["decision"] == "propose"
    assert data["from"] == {
        "version": "v7",
        "params": {"model": "gpt-4o", "temperature": 0.7, "max_tokens": 1024},
    }
    assert data["predicted"]["cost_per_request"] == {
        "value": 0.0024,
        "low": 0.0022,
        "high": 0.0026,
        "delta": -0.6,
    }
    assert (data["confidence"], data["risk"]) == (0.97, "low")
    assert data["reasons"][0] == {
        "code": "improvement_ok",
        "message": "weighted improvement 35.2% ≥ 10%",
    }
    assert set(data["plan"]) == {"branch", "commit_message", "diff", "body"}
    json.dumps(data)  # serialisable as is


def test_no_change_plan_and_apply(local_repo: Path) -> None:
    proposal = plan(
        load_repository(local_repo), "chat-cost", decisions.no_change(), now=decisions.NOW
    )
    data = as_json(proposal)
    assert (data["decision"], data["to"], data["plan"]) == ("no_change", None, None)
    assert data["reasons"] == [
        {"code": "improvement_too_small", "message": "best improvement 3% < 10%"}
    ]
    result = _apply(local_repo, proposal)
    assert result.action == "no_change"
    assert not (GitRepo(local_repo).git_dir / "autoopt").exists()


def test_apply_without_remote_keeps_the_branch_local(local_repo: Path) -> None:
    proposal = _plan(local_repo)
    head = git(local_repo, "rev-parse", "HEAD").strip()
    result = _apply(local_repo, proposal)

    assert result.action == "created" and not result.pushed
    assert result.pr is not None and result.pr.number == 1
    repo = GitRepo(local_repo)
    assert repo.branch_sha(proposal.branch or "") == result.sha
    # the commit is the plan's edit, with the new pull request's number in the canary block
    committed = repo.show(result.sha or "", CONFIG)
    assert committed == with_proposal(proposal, "#1").new_text
    assert committed == (proposal.new_text or "").replace(
        "    policy: chat-cost\n", "    policy: chat-cost\n    proposal: '#1'\n"
    )
    assert git(local_repo, "rev-parse", "HEAD").strip() == head  # main untouched
    assert git(local_repo, "status", "--porcelain") == ""
    assert LocalForge(repo, now=decisions.NOW).get(1).head_sha == result.sha
    statuses = LocalForge(repo, now=decisions.NOW).statuses(result.sha or "")
    assert statuses["autoopt/evidence"]["state"] == "success"
    assert statuses["autoopt/evidence"]["description"].startswith("propose v-")


def test_running_twice_gives_the_same_branch_commit_and_pr(remote: Remote) -> None:
    first = _apply(remote.clone, _plan(remote.clone))
    second = _apply(remote.clone, _plan(remote.clone))
    later = _apply(remote.clone, _plan(remote.clone, now=decisions.NOW + timedelta(hours=3)))
    assert (first.action, second.action, later.action) == ("created", "updated", "updated")
    assert first.sha == second.sha
    assert later.sha != first.sha  # new step_started_at: new content, pushed in place
    assert first.pushed and not second.pushed and later.pushed
    assert first.branch == second.branch == later.branch
    assert first.pr and second.pr and later.pr
    assert first.pr.number == second.pr.number == later.pr.number == 1
    forge = LocalForge(GitRepo(remote.clone), now=decisions.NOW)
    assert len(forge.list_prs(state="all")) == 1
    on_origin = git(remote.origin, "rev-parse", f"refs/heads/{first.branch}").strip()
    assert on_origin == later.sha


def test_reproducible_sha_across_clones(remote: Remote) -> None:
    mine = _apply(remote.clone, _plan(remote.clone))
    other = remote.another_clone("other")
    theirs = _apply(other, _plan(other))
    assert theirs.sha == mine.sha and not theirs.pushed


def test_dirty_work_tree_changes_nothing(local_repo: Path) -> None:
    proposal = _plan(local_repo)
    (local_repo / "autoopt.yaml").write_text("# edited\n", encoding="utf-8")
    refs_before = git(local_repo, "for-each-ref")
    with pytest.raises(GitOpsError, match=r"uncommitted changes \(autoopt.yaml\)"):
        _apply(local_repo, proposal)
    assert git(local_repo, "for-each-ref") == refs_before
    assert not (GitRepo(local_repo).git_dir / "autoopt").exists()


def test_config_changed_upstream_is_refused(remote: Remote) -> None:
    proposal = _plan(remote.clone)
    other = remote.another_clone("other")
    path = other / CONFIG
    path.write_text(path.read_text(encoding="utf-8").replace("retries: 2", "retries: 3"), "utf-8")
    git(other, "commit", "--quiet", "-am", "More retries")
    git(other, "push", "--quiet", "origin", "main")
    with pytest.raises(GitOpsError, match="differs from the one read; pull"):
        _apply(remote.clone, proposal)
    assert git(remote.origin, "branch", "--list", "autoopt/*") == ""


def test_a_person_pushed_to_the_branch_so_the_bot_comments(remote: Remote) -> None:
    first = _apply(remote.clone, _plan(remote.clone))
    other = remote.another_clone("person")
    git(other, "checkout", "--quiet", first.branch or "")
    path = other / CONFIG
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("steps: [5, 25, 50, 100]", "steps: [1, 100]")
        .replace("durations: [5m, 10m, 15m]", "durations: [1h]"),
        encoding="utf-8",
    )
    git(other, "commit", "--quiet", "-am", "Slower start")
    git(other, "push", "--quiet", "origin", first.branch or "")
    pushed = git(remote.origin, "rev-parse", f"refs/heads/{first.branch}").strip()

    again = _apply(remote.clone, _plan(remote.clone, now=decisions.NOW + timedelta(hours=1)))

    assert again.action == "left_alone"
    assert "Pat Person <pat@example.com>" in again.message
    assert git(remote.origin, "rev-parse", f"refs/heads/{first.branch}").strip() == pushed
    forge = LocalForge(GitRepo(remote.clone), now=decisions.NOW)
    comments = forge.comments(1)
    assert len(comments) == 1 and "did not make (Pat Person <pat@example.com>)" in comments[0]
    _apply(remote.clone, _plan(remote.clone, now=decisions.NOW + timedelta(hours=2)))
    assert len(forge.comments(1)) == 1  # sticky: edited in place, not repeated


def test_closed_proposal_waits_for_the_cooldown(local_repo: Path) -> None:
    first = _apply(local_repo, _plan(local_repo))
    assert first.pr is not None
    LocalForge(GitRepo(local_repo), now=decisions.NOW + timedelta(hours=1)).close(first.pr.number)

    soon = decisions.NOW + timedelta(days=2)
    blocked = _apply(local_repo, _plan(local_repo, now=soon))
    assert blocked.action == "cooldown"
    assert "not proposing them again before 2026-12-02T13:00:00+00:00" in blocked.message

    changed = _apply(local_repo, _plan(local_repo, now=soon, improvement=0.45))
    assert changed.action == "created" and changed.pr is not None and changed.pr.number == 2


def test_cooldown_ends(local_repo: Path) -> None:
    first = _apply(local_repo, _plan(local_repo))
    assert first.pr is not None
    LocalForge(GitRepo(local_repo), now=decisions.NOW).close(first.pr.number)
    late = _apply(local_repo, _plan(local_repo, now=decisions.NOW + timedelta(days=8)))
    assert late.action == "created"


def test_a_newer_proposal_supersedes_the_open_one(local_repo: Path) -> None:
    first = _apply(local_repo, _plan(local_repo))
    other = _plan(local_repo, target={"model": "claude-3-5-haiku", "temperature": 0.3})
    result = _apply(local_repo, other)
    assert result.action == "created"
    assert result.pr is not None and first.pr is not None and result.pr.number == 2
    forge = LocalForge(GitRepo(local_repo), now=decisions.NOW)
    assert [p.number for p in forge.list_prs()] == [2]  # one open proposal per service
    assert forge.get(1).state == "closed"
    [comment] = forge.comments(1)
    assert comment.startswith("**autoopt closed this proposal: a newer one supersedes it — #2.**")
    assert "held only autoopt's commit and was deleted" in comment
    assert comment.endswith("<!-- autoopt:closed -->")
    assert GitRepo(local_repo).branch_sha(first.branch or "") is None  # bot-only: deleted
    assert forge.statuses(first.sha or "")["autoopt/evidence"]["state"] == "failure"
    assert f"closed #1 (superseded); deleted {first.branch}" in result.message


def test_a_refused_push_leaves_nothing_half_done(remote: Remote) -> None:
    hook = remote.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'refused by policy' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    proposal = _plan(remote.clone)
    with pytest.raises(GitOpsError, match=r"git push to origin failed: .*refused by policy"):
        _apply(remote.clone, proposal)
    assert git(remote.origin, "branch", "--list", "autoopt/*") == ""
    repo = GitRepo(remote.clone)
    assert repo.branch_sha(proposal.branch or "") is None
    assert not (repo.git_dir / "autoopt").exists()


def test_race_between_two_clones_is_stale_head(remote: Remote) -> None:
    first = _apply(remote.clone, _plan(remote.clone))
    other = remote.another_clone("other")
    # While `other` pushes, a third party moves the branch: git's pre-push hook runs after
    # the lease was checked against the advertised head, so only the server's check fails.
    hook = other / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"git -C '{remote.clone}' push --quiet --force origin "
        f"main:refs/heads/{first.branch}\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    later = _plan(other, now=decisions.NOW + timedelta(hours=1))
    with pytest.raises(StaleHead, match="moved since it was read"):
        _apply(other, later)
    main = git(remote.origin, "rev-parse", "main").strip()
    assert git(remote.origin, "rev-parse", f"refs/heads/{first.branch}").strip() == main

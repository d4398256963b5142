"""commit_edit: the reconciler's commit to the base branch, with re-read and retry on races."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from autoopt.gitops.repo import GitRepo, Identity
from autoopt.gitops.update import commit_edit
from autoopt.spec import edit
from autoopt.spec.load import load_string
from tests.conftest import ROOT, Remote, git
from tests.gitops import decisions

CONFIG = "configs/chat-service.yaml"
BOT = Identity("autoopt[bot]", "bot@example.com")
CANARY = edit.NewCanary("v-1", {"model": "gpt-4o-mini"}, [5, 25, 50, 100], ["5m", "10m", "15m"])


def _step(text: str) -> int | None:
    canary = load_string(text, path=Path("c"), kind="LLMConfig").document.spec.canary
    return None if canary is None else canary.step


def advance_from(step: int):  # type: ignore[no-untyped-def]
    """A change that advances only from ``step``: applying it twice cannot skip a stage."""

    def change(text: str) -> str | None:
        if _step(text) != step:
            return None
        return edit.advance_step(text, now=decisions.NOW + timedelta(minutes=6), step=step + 1)

    return change


def _start_rollout(remote: Remote) -> None:
    path = remote.clone / CONFIG
    path.write_text(edit.start_rollout(path.read_text("utf-8"), CANARY, now=decisions.NOW), "utf-8")
    git(remote.clone, "commit", "--quiet", "-am", "Start the rollout")
    git(remote.clone, "push", "--quiet", "origin", "main")


def test_commit_edit_pushes_and_fast_forwards_the_work_tree(remote: Remote) -> None:
    _start_rollout(remote)
    done = commit_edit(
        GitRepo(remote.clone),
        branch="main",
        relpath=CONFIG,
        change=advance_from(0),
        message="autoopt: advance\n",
        author=BOT,
        now=decisions.NOW,
        remote="origin",
    )
    assert done is not None and done.pushed and done.attempts == 1
    assert git(remote.origin, "rev-parse", "main").strip() == done.sha
    assert git(remote.clone, "rev-parse", "HEAD").strip() == done.sha
    assert _step((remote.clone / CONFIG).read_text("utf-8")) == 1
    again = commit_edit(
        GitRepo(remote.clone),
        branch="main",
        relpath=CONFIG,
        change=advance_from(0),
        message="autoopt: advance\n",
        author=BOT,
        now=decisions.NOW,
        remote="origin",
    )
    assert again is None


def test_two_clones_advance_the_same_rollout_only_once(remote: Remote) -> None:
    _start_rollout(remote)
    other = remote.another_clone("other")
    # While `other` pushes, the first clone advances the same stage (git runs pre-push after
    # reading the remote's head, so `other`'s push is refused and it must re-read).
    script = (
        "from datetime import UTC, datetime; "
        "from autoopt.gitops.repo import GitRepo, Identity; "
        "from autoopt.gitops.update import commit_edit; "
        "from tests.gitops.test_update import advance_from; "
        f"commit_edit(GitRepo({str(remote.clone)!r}), branch='main', relpath={CONFIG!r}, "
        "change=advance_from(0), message='first\\n', author=Identity('autoopt[bot]', "
        "'bot@example.com'), now=datetime(2026, 11, 25, 12, 1, tzinfo=UTC), remote='origin')"
    )
    hook = other / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd '{ROOT}' && '{sys.executable}' -c \"{script}\" || exit 1\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)

    result = commit_edit(
        GitRepo(other),
        branch="main",
        relpath=CONFIG,
        change=advance_from(0),
        message="second\n",
        author=BOT,
        now=decisions.NOW,
        remote="origin",
    )

    assert result is None  # re-read: already at step 1, nothing left to do
    log = git(remote.origin, "log", "--format=%s", "main").split("\n")
    assert log[:2] == ["first", "Start the rollout"]
    assert _step(git(remote.origin, "show", f"main:{CONFIG}")) == 1


def test_commit_edit_without_remote(local_repo: Path) -> None:
    path = local_repo / CONFIG
    path.write_text(edit.start_rollout(path.read_text("utf-8"), CANARY, now=decisions.NOW), "utf-8")
    git(local_repo, "commit", "--quiet", "-am", "Start the rollout")
    done = commit_edit(
        GitRepo(local_repo),
        branch="main",
        relpath=CONFIG,
        change=edit.revert,
        message="autoopt: revert\n",
        author=BOT,
        now=decisions.NOW,
        remote="origin",
    )
    assert done is not None and not done.pushed
    assert "canary:" not in path.read_text("utf-8")
    assert git(local_repo, "status", "--porcelain") == ""

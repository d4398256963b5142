"""Pause, resume, emergency stop and manual rollback against real git repositories."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from autoopt import controls
from autoopt.errors import UserError
from autoopt.gitops.repo import Identity
from autoopt.rollout.gitport import BaseBranch
from autoopt.rollout.stop import STOP_FILE, parse_stop
from tests.conftest import Remote, git
from tests.reconcile.helpers import WATCH, canary, commit_file, trailers_of

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BOT = Identity("autoopt[bot]", "bot@example.com")
CONFIG = "configs/chat-service.yaml"


def _branch(clone: Path) -> BaseBranch:
    return BaseBranch(clone, base="main", remote="origin", identity=BOT, now=NOW)


def _origin_file(remote: Remote, path: str) -> str:
    return git(remote.origin, "show", f"main:{path}")


def _last_message(remote: Remote) -> str:
    return git(remote.origin, "log", "-1", "--format=%B", "main")


def test_pause_and_resume_one_service(remote: Remote) -> None:
    build = partial(controls.plan_pause, service="chat-service", paused=True, reason="incident 42")
    result = controls.apply(build, _branch(remote.clone), None)
    assert result.applied and result.commit is not None
    text = _origin_file(remote, CONFIG)
    assert "  paused: true" in text
    assert "  pause_reason: incident 42" in text
    trailers = trailers_of(_last_message(remote))
    assert trailers["Autoopt-Action"] == "pause"
    assert trailers["Autoopt-Reason"] == "incident 42"
    assert trailers["Autoopt-Service"] == "chat-service"
    # the clone's work tree followed the push
    assert (remote.clone / CONFIG).read_text(encoding="utf-8") == text

    again = controls.apply(build, _branch(remote.clone), None)
    assert not again.applied and "already paused" in again.plan.summary

    resume = partial(controls.plan_pause, service=None, paused=False, reason="fixed")
    controls.apply(resume, _branch(remote.clone), None)
    text = _origin_file(remote, CONFIG)
    assert "  paused: false" in text and "pause_reason" not in text


def test_pause_unknown_service_is_a_user_error(remote: Remote) -> None:
    build = partial(controls.plan_pause, service="nope", paused=True, reason="x")
    with pytest.raises(UserError, match=r"no config for service 'nope' \(known: chat-service\)"):
        controls.apply(build, _branch(remote.clone), None)


def test_emergency_stop_set_and_lift(remote: Remote) -> None:
    stop = partial(
        controls.plan_emergency_stop, reason='provider "outage"', by="pat", now=NOW, lift=False
    )
    result = controls.apply(stop, _branch(remote.clone), None)
    assert result.applied
    found = parse_stop(_origin_file(remote, STOP_FILE))
    assert (found.reason, found.by, found.at) == (
        'provider "outage"',
        "pat",
        "2026-11-25T12:00:00Z",
    )
    assert not controls.apply(stop, _branch(remote.clone), None).applied  # already set

    lift = partial(controls.plan_emergency_stop, reason="over", by="pat", now=NOW, lift=True)
    assert controls.apply(lift, _branch(remote.clone), None).applied
    assert STOP_FILE not in git(remote.origin, "ls-tree", "-r", "--name-only", "main")
    assert not (remote.clone / STOP_FILE).exists()


def test_rollback_drops_an_active_canary(remote: Remote) -> None:
    other = remote.another_clone("person")
    commit_file(other, CONFIG, canary(1), "start the rollout of v8")
    build = partial(controls.plan_rollback, service="chat-service", reason="bad answers")
    result = controls.apply(build, _branch(remote.clone), None)
    assert result.applied
    text = _origin_file(remote, CONFIG)
    assert "canary:" not in text and "version: v7" in text
    trailers = trailers_of(_last_message(remote))
    assert trailers["Autoopt-Decision"] == "rollback"
    assert trailers["Autoopt-Version"] == "v8"
    assert result.plan.comments[0][0] == 12  # the rollout's pull request (#12)
    assert result.notes == ("no forge configured: pull request #12 not commented",)


def test_rollback_restores_previous_during_the_watch_window(remote: Remote) -> None:
    commit_file(remote.another_clone("person"), CONFIG, WATCH)
    build = partial(controls.plan_rollback, service="chat-service", reason="slow")
    controls.apply(build, _branch(remote.clone), None)
    text = _origin_file(remote, CONFIG)
    assert "previous:" not in text and "version: v7" in text and "model: gpt-4o\n" in text


def test_rollback_to_a_version_from_the_history(remote: Remote) -> None:
    person = remote.another_clone("person")
    commit_file(person, CONFIG, WATCH)
    after = WATCH.split("  previous:")[0] + "  paused: false  # reconcile observes only when true\n"
    commit_file(person, CONFIG, after.replace("v8", "v9"))
    branch = _branch(remote.clone)

    def history(path: str) -> list[tuple[str, str]]:
        return list(branch.file_versions(path))

    build = partial(
        controls.plan_rollback, service="chat-service", reason="back", to="v7", history=history
    )
    assert controls.apply(build, branch, None).applied
    text = _origin_file(remote, CONFIG)
    assert "version: v7" in text and "model: gpt-4o\n" in text and "temperature: 0.7" in text

    missing = partial(
        controls.plan_rollback, service="chat-service", reason="x", to="v3", history=history
    )
    with pytest.raises(UserError, match=r"version 'v3' is not in the history .*known: v7"):
        controls.apply(missing, _branch(remote.clone), None)


def test_nothing_to_roll_back(remote: Remote) -> None:
    build = partial(controls.plan_rollback, service="chat-service", reason="x")
    with pytest.raises(UserError, match="nothing to roll back"):
        controls.apply(build, _branch(remote.clone), None)


def test_a_control_retries_when_the_branch_moved(remote: Remote) -> None:
    branch = _branch(remote.clone)
    person = remote.another_clone("person")
    calls: list[int] = []

    def build(state: controls.RepoState) -> controls.ControlPlan:
        calls.append(1)
        if len(calls) == 1:  # somebody pushes between our read and our push
            commit_file(person, "notes.txt", "hello\n")
        return controls.plan_pause(state, "chat-service", paused=True, reason="r")

    result = controls.apply(build, branch, None)
    assert result.applied and result.attempts == 2
    assert "notes.txt" in git(remote.origin, "ls-tree", "-r", "--name-only", "main")


def test_manual_rollback_works_during_an_emergency_stop(remote: Remote) -> None:
    person = remote.another_clone("person")
    commit_file(person, CONFIG, canary(1))
    stop = partial(controls.plan_emergency_stop, reason="outage", by="pat", now=NOW, lift=False)
    controls.apply(stop, _branch(remote.clone), None)
    build = partial(controls.plan_rollback, service="chat-service", reason="now")
    assert controls.apply(build, _branch(remote.clone), None).applied
    assert "canary:" not in _origin_file(remote, CONFIG)
    assert "outage" in _origin_file(remote, STOP_FILE)  # the stop stays

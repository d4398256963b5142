"""Rollouts and the forge: a rollback comments on the rollout's pull request; ``promotion: pr``
opens one pull request per step (never two); the control commands through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli, main
from autoopt.gitops.forge import PRRequest
from autoopt.gitops.local import LocalForge
from autoopt.gitops.repo import GitRepo
from tests.conftest import Remote, git
from tests.reconcile.helpers import STABLE_ONLY, canary, commit_file, trailers_of
from tests.reconcile.traffic import Arm, write

CONFIG = "configs/chat-service.yaml"
POLICY = "policies/chat-cost.yaml"
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T20 = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)


def _forge(clone: Path) -> LocalForge:
    return LocalForge(GitRepo(clone), now=T0)


def _proposal_pr(clone: Path) -> int:
    pr, created = _forge(clone).upsert_pr(
        PRRequest(title="autoopt: chat-service v8", body="evidence", head="autoopt/x", base="main")
    )
    assert created
    return pr.number


def _invoke(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _metrics(tmp: Path, canary_error: float) -> Path:
    arms = [Arm("v7", 800), Arm("v8", 800, error=canary_error, model="gpt-4o-mini")]
    return write(tmp / "requests.csv", "chat-service", arms, T0, T20)


def _reconcile(clone: Path, metrics: Path) -> dict[str, Any]:
    out = _invoke(
        "reconcile",
        "--repo",
        str(clone),
        "--metrics",
        str(metrics),
        "--now",
        "2026-11-25T10:20:00Z",
        "--format",
        "json",
    )
    data: dict[str, Any] = json.loads(out.output)
    return data


def test_rollback_comments_on_the_rollout_pull_request(remote: Remote, tmp_path: Path) -> None:
    number = _proposal_pr(remote.clone)
    person = remote.another_clone("person")
    commit_file(person, CONFIG, canary(1).replace("'#12'", f"'#{number}'"))
    [entry] = _reconcile(remote.clone, _metrics(tmp_path, 0.15))["services"]
    assert (entry["verdict"], entry["applied"]) == ("rollback", True)
    assert entry["notes"] == [
        f"progress updated on pull request #{number}",
        f"commented on pull request #{number}",
    ]
    progress, comment = _forge(remote.clone).comments(number)
    assert progress.startswith("### autoopt rollout: `chat-service` v7 → v8\n\n**Rolled back**")
    assert "| 2 ◀ | 25% | **rollback** (2026-11-25 10:20 UTC) | error_rate_increase:" in progress
    assert progress.endswith("<!-- autoopt:progress:chat-service -->")
    assert comment.startswith(
        f"**autoopt rolled back `chat-service` v8** in {entry['commit'][:12]}"
    )
    assert "- error_rate_increase: error rate: canary" in comment
    assert comment.endswith("<!-- autoopt:outcome:chat-service:v8 -->")


def test_promotion_pr_opens_one_pull_request_per_step(remote: Remote, tmp_path: Path) -> None:
    person = remote.another_clone("person")
    policy = (
        (person / POLICY)
        .read_text(encoding="utf-8")
        .replace("promotion: auto ", "promotion: pr   ")
    )
    commit_file(person, POLICY, policy)
    head = commit_file(person, CONFIG, canary(0).replace("    proposal: '#12'\n", ""))
    metrics = _metrics(tmp_path, 0.02)
    [entry] = _reconcile(remote.clone, metrics)["services"]
    assert (entry["verdict"], entry["action"], entry["applied"]) == ("promote", "advance", True)
    assert entry["pull_request"]
    assert git(remote.origin, "rev-parse", "main").strip() == head  # main is untouched
    branch = "autoopt/chat-service/v8/step-1"
    text = git(remote.origin, "show", f"{branch}:{CONFIG}")
    assert "    step: 1\n" in text
    assert (
        trailers_of(git(remote.origin, "log", "-1", "--format=%B", branch))["Autoopt-Step"] == "1"
    )
    [pr] = _forge(remote.clone).list_prs()
    assert (pr.head, pr.base, pr.title) == (
        branch,
        "main",
        "autoopt: chat-service v8 to 25% of traffic",
    )

    again = _reconcile(remote.clone, metrics)["services"][0]
    assert again["notes"] == [f"pull request #{pr.number} for this step is waiting for review"]
    assert len(_forge(remote.clone).list_prs(state="all")) == 1

    # a regression while the step waits for review: rolled back at once, the step superseded
    rolled = _reconcile(remote.clone, _metrics(tmp_path / "bad", 0.15))["services"][0]
    assert (rolled["verdict"], rolled["applied"]) == ("rollback", True)
    assert rolled["notes"] == [f"commented on superseded step pull request #{pr.number}"]
    assert "was rolled back in" in _forge(remote.clone).comments(pr.number)[0]


def test_control_commands_through_the_cli(remote: Remote) -> None:
    repo = str(remote.clone)
    out = _invoke("pause", "chat-service", "--repo", repo, "--reason", "incident 7")
    assert out.output.splitlines()[0] == "chat-service: paused"
    assert "paused: true" in git(remote.origin, "show", f"main:{CONFIG}")

    dry = _invoke("resume", "--repo", repo, "--reason", "ok", "--dry-run", "--format", "json")
    assert json.loads(dry.output)["applied"] is False
    assert json.loads(dry.output)["files"] == [CONFIG]
    _invoke("resume", "--repo", repo, "--reason", "ok")
    assert "paused: false" in git(remote.origin, "show", f"main:{CONFIG}")

    _invoke("emergency-stop", "--repo", repo, "--reason", "provider outage")
    stop = git(remote.origin, "show", "main:.autoopt/EMERGENCY_STOP")
    assert 'reason: "provider outage"' in stop
    lifted = _invoke("emergency-stop", "--lift", "--repo", repo, "--reason", "over")
    assert lifted.output.startswith("emergency stop lifted\ncommitted ")


def test_rollback_command_with_a_comment(remote: Remote) -> None:
    number = _proposal_pr(remote.clone)
    commit_file(remote.another_clone("p"), CONFIG, canary(2).replace("'#12'", f"'#{number}'"))
    out = _invoke("rollback", "chat-service", "--repo", str(remote.clone), "--reason", "too slow")
    assert out.output.splitlines()[0] == "chat-service: v8 rolled back; v7 is stable"
    assert out.output.splitlines()[-1] == f"commented on pull request #{number}"
    assert git(remote.origin, "show", f"main:{CONFIG}") == STABLE_ONLY
    [comment] = _forge(remote.clone).comments(number)
    assert "Reason: too slow" in comment


def test_rollback_of_nothing_is_one_clean_line(
    remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["rollback", "chat-service", "--repo", str(remote.clone), "--reason", "x"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err == (
        "error: chat-service: nothing to roll back (no rollout and no previous version kept); "
        "name an earlier version with --to VERSION\n"
    )

"""``autoopt reconcile`` end to end: real git (bare origin + clones), real metrics files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli
from tests.conftest import Remote, git
from tests.reconcile.helpers import (
    STABLE_ONLY,
    WATCH,
    canary,
    commit_file,
    commit_here,
    trailers_of,
)
from tests.reconcile.traffic import Arm, write

CONFIG = "configs/chat-service.yaml"
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T20 = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)


def _metrics(tmp: Path, canary_error: float = 0.02, n: int = 800) -> Path:
    arms = [Arm("v7", n), Arm("v8", n, error=canary_error, model="gpt-4o-mini")]
    return write(tmp / "metrics" / "requests.csv", "chat-service", arms, T0, T20)


def _reconcile(clone: Path, metrics: Path, *extra: str, now: str = "2026-11-25T10:20:00Z") -> Any:
    args = ["reconcile", "--repo", str(clone), "--metrics", str(metrics), "--now", now]
    result = CliRunner().invoke(cli, [*args, "--format", "json", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _origin(remote: Remote, path: str = CONFIG) -> str:
    return git(remote.origin, "show", f"main:{path}")


def _start(remote: Remote, text: str) -> str:
    return commit_file(remote.another_clone("person"), CONFIG, text, "start a rollout")


def test_no_rollout_no_entries(remote: Remote, tmp_path: Path) -> None:
    out = _reconcile(remote.clone, tmp_path / "nothing.csv")  # metrics are not even read
    assert out["services"] == []
    assert out["metrics"] is None


def test_healthy_stage_advances_once_with_trailers(remote: Remote, tmp_path: Path) -> None:
    _start(remote, canary(0).replace("    proposal: '#12'\n", ""))
    metrics = _metrics(tmp_path)
    out = _reconcile(remote.clone, metrics)
    [entry] = out["services"]
    assert {k: entry[k] for k in ("service", "stable", "canary", "step", "weight", "verdict")} == {
        "service": "chat-service",
        "stable": "v7",
        "canary": "v8",
        "step": 0,
        "weight": 5,
        "verdict": "promote",
    }
    assert entry["applied"] is True and entry["action"] == "advance"
    assert {r["code"] for r in entry["reasons"]} == {"non_inferior"}
    assert out["metrics"]["accepted"] == 1600 and out["metrics"]["rejected"] == 0
    text = _origin(remote)
    assert "    step: 1\n" in text and "    step_started_at: 2026-11-25T10:20:00Z\n" in text
    assert git(remote.origin, "rev-parse", "main").strip() == entry["commit"] == out["head"]
    assert out["attempts"] == 1
    message = git(remote.origin, "log", "-1", "--format=%B", "main")
    assert message.startswith("autoopt: chat-service v8 to 25% of traffic\n")
    trailers = trailers_of(message)
    assert trailers["Autoopt-Decision"] == "promote"
    assert trailers["Autoopt-Policy"] == "chat-cost"
    assert trailers["Autoopt-Version"] == "v8"
    assert trailers["Autoopt-Step"] == "1" and trailers["Autoopt-Weight"] == "25"
    assert trailers["Autoopt-Verdict-Reasons"] == "non_inferior,non_inferior,non_inferior"
    assert "error_rate" in trailers["Autoopt-Verdict-Values"]
    author = git(remote.origin, "log", "-1", "--format=%an <%ae>", "main").strip()
    assert author == "autoopt[bot] <autoopt-bot@users.noreply.github.com>"

    # the same clock again: the new stage has not run its hold time; nothing changes
    again = _reconcile(remote.clone, metrics)
    assert again["services"][0]["verdict"] == "hold"
    assert again["services"][0]["applied"] is False and again["services"][0]["commit"] is None
    assert git(remote.origin, "rev-parse", "main").strip() == entry["commit"]


def test_dry_run_changes_nothing(remote: Remote, tmp_path: Path) -> None:
    head = _start(remote, canary(0))
    git(remote.clone, "pull", "--quiet", "origin", "main")
    out = _reconcile(remote.clone, _metrics(tmp_path), "--dry-run")
    assert out["services"][0]["verdict"] == "promote"
    assert out["services"][0]["applied"] is False
    assert out["services"][0]["commit"] is None
    assert git(remote.origin, "rev-parse", "main").strip() == head
    assert (remote.clone / CONFIG).read_text(encoding="utf-8") == canary(0)


def test_regression_rolls_back_at_once(remote: Remote, tmp_path: Path) -> None:
    _start(remote, canary(1).replace("    proposal: '#12'\n", ""))
    out = _reconcile(remote.clone, _metrics(tmp_path, canary_error=0.15))
    [entry] = out["services"]
    assert (entry["verdict"], entry["action"], entry["applied"]) == ("rollback", "revert", True)
    assert [r["code"] for r in entry["reasons"]] == ["error_rate_increase"]
    assert _origin(remote) == STABLE_ONLY
    assert (
        trailers_of(git(remote.origin, "log", "-1", "--format=%B", "main"))["Autoopt-Decision"]
        == "rollback"
    )


@pytest.mark.parametrize("how", ["paused", "emergency_stop"])
def test_paused_or_stopped_observes_only(remote: Remote, tmp_path: Path, how: str) -> None:
    person = remote.another_clone("person")
    text = canary(1, strategy="canary").replace("    proposal: '#12'\n", "")
    if how == "paused":
        text = text.replace("paused: false", "paused: true")
    else:
        commit_file(person, ".autoopt/EMERGENCY_STOP", 'reason: "incident"\n')
    head = commit_file(person, CONFIG, text)
    out = _reconcile(remote.clone, _metrics(tmp_path, canary_error=0.15))
    [entry] = out["services"]
    assert (entry["verdict"], entry["applied"], entry["blocked"]) == ("rollback", False, how)
    assert git(remote.origin, "rev-parse", "main").strip() == head
    if how == "emergency_stop":
        assert out["emergency_stop"]["reason"] == "incident"


def test_watch_window_end_and_table_output(remote: Remote, tmp_path: Path) -> None:
    _start(remote, WATCH)
    metrics = write(tmp_path / "m.csv", "chat-service", [Arm("v7", 300), Arm("v8", 300)], T0, T20)
    args = ["reconcile", "--repo", str(remote.clone), "--metrics", str(metrics)]
    result = CliRunner().invoke(cli, [*args, "--now", "2026-11-25T10:31:00Z"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "metrics: files " + str(metrics) + "; rows: 600 accepted, 0 rejected"
    assert lines[1].split() == [
        "SERVICE",
        "STABLE",
        "CANARY",
        "STEP",
        "WEIGHT",
        "VERDICT",
        "ACTION",
        "COMMIT",
        "REASONS",
    ]
    assert lines[2].split()[:7] == [
        "chat-service",
        "v8",
        "v8",
        "watch",
        "-",
        "promote",
        "end_watch",
    ]
    assert "previous:" not in _origin(remote)


def test_bad_now_is_a_usage_error(remote: Remote) -> None:
    result = CliRunner().invoke(cli, ["reconcile", "--repo", str(remote.clone), "--now", "soon"])
    assert result.exit_code == 2
    assert "'soon' is not an ISO 8601 timestamp" in result.output


T40 = datetime(2026, 11, 25, 10, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("leftover", "codes"),
    [
        (0, ["recovered"]),
        (30, ["rollback_not_effective", "recovery_pending"]),
    ],
)
def test_recovery_after_a_rollback_is_checked(
    remote: Remote, tmp_path: Path, leftover: int, codes: list[str]
) -> None:
    _start(remote, canary(1).replace("    proposal: '#12'\n", ""))
    metrics = _metrics(tmp_path, canary_error=0.15)
    rolled = _reconcile(remote.clone, metrics)["services"][0]
    assert rolled["action"] == "revert"
    # after the rollback (10:20) the stable serves everything, as before; maybe not quite
    arms = [Arm("v7", 1600), *([Arm("v8", leftover, model="gpt-4o-mini")] if leftover else [])]
    write(metrics, "chat-service", arms, T20, T40, seed=11, append=True)
    out = _reconcile(remote.clone, metrics, now="2026-11-25T10:40:00Z")
    [entry] = out["services"]
    assert (entry["phase"], entry["stable"], entry["canary"]) == ("recovery", "v7", "v8")
    assert (entry["verdict"], entry["applied"], entry["action"]) == ("hold", False, "none")
    assert [r["code"] for r in entry["reasons"]][: len(codes)] == codes
    # after the window (balanced: watch 30m) it is no longer reported
    assert _reconcile(remote.clone, metrics, now="2026-11-25T10:51:00Z")["services"] == []


@pytest.mark.parametrize("method", ["threshold", "mannwhitney"])
def test_the_strategy_picks_the_judge(remote: Remote, tmp_path: Path, method: str) -> None:
    person = remote.another_clone("person")
    policy = (person / "policies/chat-cost.yaml").read_text(encoding="utf-8")
    policy = policy.replace(
        "  strategy: balanced ",
        f"  strategy: {{extends: balanced, judge: {{method: {method}}}}}",
    )
    commit_file(person, "policies/chat-cost.yaml", policy)
    commit_file(person, CONFIG, canary(1).replace("    proposal: '#12'\n", ""))
    [entry] = _reconcile(remote.clone, _metrics(tmp_path, canary_error=0.15))["services"]
    assert (entry["verdict"], entry["action"]) == ("rollback", "revert")


def test_ab_promotes_the_cheaper_arm_measured_in_the_metrics(
    remote: Remote, tmp_path: Path
) -> None:
    text = canary(0, strategy="ab", steps="[50, 100]", durations="[15m]")
    _start(remote, text.replace("    proposal: '#12'\n", ""))
    arms = [Arm("v7", 800, cost=0.01), Arm("v8", 800, cost=0.002, model="gpt-4o-mini")]
    metrics = write(tmp_path / "ab.csv", "chat-service", arms, T0, T20)
    [entry] = _reconcile(remote.clone, metrics)["services"]
    assert (entry["verdict"], entry["action"], entry["applied"]) == ("promote", "promote", True)
    [reason] = entry["reasons"]
    assert reason["code"] == "ab_canary_wins"
    assert reason["values"]["cost_per_request"] == pytest.approx(0.8, abs=0.05)
    text = _origin(remote)
    assert "  stable:\n    version: v8\n" in text and "  previous:\n    version: v7\n" in text


def test_a_repository_without_remote_commits_to_its_own_main(
    local_repo: Path, tmp_path: Path
) -> None:
    commit_here(local_repo, CONFIG, canary(0).replace("    proposal: '#12'\n", ""))
    out = _reconcile(local_repo, _metrics(tmp_path))
    assert out["services"][0]["applied"] is True
    assert git(local_repo, "rev-parse", "HEAD").strip() == out["services"][0]["commit"]
    assert "    step: 1\n" in (local_repo / CONFIG).read_text(encoding="utf-8")
    assert git(local_repo, "status", "--porcelain") == ""


def test_a_dirty_work_tree_is_refused(remote: Remote, tmp_path: Path) -> None:
    (remote.clone / CONFIG).write_text("changed by hand\n")
    args = ["reconcile", "--repo", str(remote.clone), "--metrics", str(tmp_path / "m.csv")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "the work tree has uncommitted changes (configs/chat-service.yaml)" in str(
        result.exception
    )


def test_watch_needs_a_duration(remote: Remote) -> None:
    result = CliRunner().invoke(cli, ["reconcile", "--repo", str(remote.clone), "--watch", "often"])
    assert result.exit_code == 2
    assert "invalid duration 'often'" in result.output


def test_watch_runs_rounds_until_interrupted(
    remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _start(remote, canary(0).replace("    proposal: '#12'\n", ""))
    metrics = _metrics(tmp_path)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the clock between rounds: stop after the second
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("autoopt.cli.reconcile.time.sleep", sleep)
    args = ["reconcile", "--repo", str(remote.clone), "--metrics", str(metrics)]
    args += ["--now", "2026-11-25T10:20:00Z", "--watch", "30s", "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1  # click turns the interrupt into "Aborted!"
    rounds = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["services"][0]["verdict"] for r in rounds] == ["promote", "hold"]
    assert sleeps == [30.0, 30.0]


def test_the_first_stage_starts_when_the_proposal_lands_not_when_it_was_written(
    remote: Remote, tmp_path: Path
) -> None:
    """Proposed at 10:00 (step_started_at), reviewed for two hours, merged at 12:00.

    Judged at 12:01 the stage has run one minute, not two hours: no inconclusive_timeout
    (max_stage_time is 1h), no promotion before the 5m hold time — a hold. Judged at the same
    minute with the merge time ignored, the stage would look 2 h old.
    """
    text = canary(0).replace("    proposal: '#12'\n", "")
    commit_file(
        remote.another_clone("person"), CONFIG, text, "merge", when="2026-11-25T12:00:00+00:00"
    )
    metrics = write(
        tmp_path / "metrics" / "requests.csv",
        "chat-service",
        [Arm("v7", 800), Arm("v8", 30, model="gpt-4o-mini")],
        datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 12, 1, tzinfo=UTC),
    )
    [entry] = _reconcile(remote.clone, metrics, now="2026-11-25T12:01:00Z")["services"]
    assert (entry["verdict"], entry["applied"]) == ("hold", False)
    codes = {r["code"]: r for r in entry["reasons"]}
    assert "inconclusive_timeout" not in codes
    assert codes["hold_time"]["message"] == "stage 0 has run 60s of its 300s hold time"

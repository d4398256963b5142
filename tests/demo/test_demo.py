"""`autoopt demo`, as the README's first command runs it (shorter simulated time with --quick)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def demo(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "autoopt", "demo", "--dir", str(directory), "--quick", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def improved(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    directory = tmp_path_factory.mktemp("improve")
    return directory, demo(directory, "--seed", "7")


def test_improve_promotes_through_every_stage(
    improved: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    directory, result = improved
    assert result.returncode == 0, result.stderr
    assert "Outcome: promoted" in result.stdout
    log = git(directory / "repo", "log", "--format=%B%x00")
    decisions = [line for line in log.splitlines() if line.startswith("Autoopt-Weight:")]
    assert decisions == ["Autoopt-Weight: 100", "Autoopt-Weight: 50", "Autoopt-Weight: 25"]
    assert "Autoopt-Action: promote" in log  # the end of the rollout: canary → stable
    config = (directory / "repo" / "configs" / "chat-service.yaml").read_text()
    assert "model: gpt-4o-mini" in config.split("previous:")[0]
    # The origin has exactly what the clone has: every step was pushed.
    assert git(directory / "origin.git", "rev-parse", "main") == git(
        directory / "repo", "rev-parse", "HEAD"
    )


def test_report_has_the_pictures(improved: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    directory, _ = improved
    html = (directory / "report.html").read_text()
    assert html.count("<svg") == 5  # Pareto front, cost per day, three stage charts
    assert "Pareto front: cost against quality" in html
    assert "latency_p95_ms: canary against stable, per stage" in html


def test_same_seed_same_history(
    improved: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    directory, _ = improved
    again = demo(tmp_path / "again", "--seed", "7")
    assert again.returncode == 0, again.stderr
    assert git(tmp_path / "again" / "repo", "rev-parse", "HEAD") == git(
        directory / "repo", "rev-parse", "HEAD"
    )


def test_regression_is_caught_and_rolled_back(tmp_path: Path) -> None:
    result = demo(tmp_path, "--scenario", "regression")
    assert result.returncode == 0, result.stderr
    assert "Outcome: rolled back" in result.stdout
    last = git(tmp_path / "repo", "log", "-1", "--format=%B")
    assert "Autoopt-Decision: rollback" in last
    assert "Autoopt-Reason: latency_p95_increase" in last
    config = (tmp_path / "repo" / "configs" / "chat-service.yaml").read_text()
    assert "canary:" not in config


def test_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = demo(tmp_path)
    assert result.returncode == 2
    assert "is not empty" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"

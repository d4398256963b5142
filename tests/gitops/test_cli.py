"""The commands end to end: propose → status → merge → history on real repositories.

``propose`` runs the real metrics reader and decision engine on the quickstart's metrics.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from autoopt.cli.main import cli
from tests.conftest import ROOT, Remote, git

NOW = "2026-11-25T00:00:00Z"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _propose(repo: Path, *extra: str) -> dict[str, object]:
    result = run(
        "propose",
        "--policy",
        "chat-cost",
        "--repo",
        str(repo),
        "--now",
        NOW,
        "--format",
        "json",
        *extra,
    )
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_dry_run_prints_the_plan_and_touches_nothing(local_repo: Path) -> None:
    refs = git(local_repo, "for-each-ref")
    data = _propose(local_repo, "--dry-run")
    assert data["decision"] == "propose"
    plan = data["plan"]
    assert isinstance(plan, dict) and isinstance(data["to"], dict)
    assert plan["branch"] == f"autoopt/chat-service/{data['to']['version']}"
    assert plan["diff"].startswith("--- a/configs/chat-service.yaml\n")
    assert "Autoopt-Decision: propose" in plan["commit_message"]
    assert "result" not in data
    assert git(local_repo, "for-each-ref") == refs
    assert not (local_repo / ".git" / "autoopt").exists()
    text = run(
        "propose", "--policy", "chat-cost", "--repo", str(local_repo), "--now", NOW, "--dry-run"
    )
    assert text.exit_code == 0
    assert "## Diff" in text.output and "Dry run: nothing was changed." in text.output


def test_propose_status_merge_history(remote: Remote) -> None:
    first = _propose(remote.clone)
    again = _propose(remote.clone)
    result, second = first["result"], again["result"]
    assert isinstance(result, dict) and isinstance(second, dict)
    assert (result["action"], second["action"]) == ("created", "updated")
    assert result["sha"] == second["sha"] and result["pr"] == second["pr"] == {
        "number": 1,
        "url": "local:pulls/1",
    }

    status = run("status", "--repo", str(remote.clone), "--now", NOW, "--format", "json")
    data = json.loads(status.output)
    assert data["services"][0]["canary"] is None
    assert [p["number"] for p in data["proposals"]] == [1]

    merged = run("merge", "1", "--repo", str(remote.clone), "--now", NOW)
    assert merged.exit_code == 0, merged.output
    assert merged.output.strip().endswith("into main; pushed main to origin")

    table = run("status", "--repo", str(remote.clone), "--now", "2026-11-25T00:07:00Z")
    assert table.exit_code == 0
    version = first["to"]["version"]  # type: ignore[index]
    row = next(ln for ln in table.output.splitlines() if ln.startswith("chat-service"))
    assert row.split()[:6] == ["chat-service", "v7", version, "1/4", "5%", "7m"]
    assert f"propose {version}" in row
    assert "No open proposals" in table.output

    history = run("history", "chat-service", "--repo", str(remote.clone), "--format", "json")
    entries = json.loads(history.output)
    assert entries[0]["decision"] == "propose" and entries[0]["version"] == version
    assert entries[0]["from"] == "v7" and entries[0]["author"] == "autoopt[bot]"
    assert entries[-1]["decision"] is None  # the first commit, made by a person
    text = run("history", "chat-service", "--repo", str(remote.clone), "--autoopt-only")
    assert text.output.count("\n") >= 2 and f"propose v7 → {version}" in text.output


def test_close_then_cooldown(local_repo: Path) -> None:
    _propose(local_repo)
    closed = run("merge", "1", "--close", "--repo", str(local_repo), "--now", NOW)
    assert closed.output.startswith("closed #1")
    data = _propose(local_repo)
    assert data["result"]["action"] == "cooldown"  # type: ignore[index]


def test_user_errors_are_one_line(local_repo: Path, tmp_path: Path) -> None:
    env = {
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "GIT_CONFIG_GLOBAL": str(tmp_path / "home" / ".gitconfig"),
    }
    cases = [
        (["history", "nope", "--repo", str(local_repo)], "error: no service 'nope'"),
        (["merge", "4", "--repo", str(local_repo)], "error: no local pull request #4"),
        (
            ["propose", "--policy", "chat-cost", "--repo", str(local_repo), "--forge", "github"],
            "error: --forge github needs forge",
        ),
    ]
    (local_repo / "configs" / "chat-service.yaml").write_text(
        (local_repo / "configs" / "chat-service.yaml").read_text(encoding="utf-8") + "# x\n",
        encoding="utf-8",
    )
    cases.append(
        (
            ["propose", "--policy", "chat-cost", "--repo", str(local_repo), "--now", NOW],
            "error: the work tree has uncommitted changes (configs/chat-service.yaml)",
        )
    )
    for args, expected in cases:
        done = subprocess.run(
            [sys.executable, "-m", "autoopt", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr.startswith(expected), (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["propose", "status", "merge", "history"])
def test_help(name: str) -> None:
    result = run(name, "--help")
    assert result.exit_code == 0 and "--repo" in result.output


def test_bad_now_is_a_usage_error_for_every_command(local_repo: Path) -> None:
    for command in (
        ["propose", "--policy", "chat-cost"],
        ["status"],
        ["merge", "1"],
        ["evaluate", "--policy", "chat-cost"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "autoopt", *command, "--repo", str(local_repo), "--now", "soon"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        assert done.returncode == 2, (command, done.stderr)
        assert "'soon' is not an ISO 8601 timestamp such as 2026-11-25T10:00:00Z" in done.stderr

"""End to end: ``autoopt propose`` with ``forge: {type: github}`` against the GitHub-shaped server.

Runs the real command in a subprocess (the CLI's error choke point included) on the quickstart
in a clone of a bare origin, with an isolated git identity. Skipped until the propose command
is merged into the same tree as the GitHub forge.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.github.ghserver import TOKEN, GitHubServer

pytest.importorskip("autoopt.cli.propose", reason="the propose command is not merged yet")
pytest.importorskip("autoopt.gitops.forges", reason="gitops/forges.py is not merged yet")

pytestmark = pytest.mark.slow  # each run of the real command takes a few seconds

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def _git(cwd: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    config = home / ".gitconfig"
    config.write_text("[user]\n\tname = Pat\n\temail = pat@example.com\n", encoding="utf-8")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB", "GH_"))}
    return {
        **keep,
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PYTHONPATH": str(ROOT),
        "GITHUB_TOKEN": TOKEN,
    }


def _clone(tmp_path: Path, api_url: str, env: dict[str, str]) -> Path:
    seed = tmp_path / "seed"
    shutil.copytree(QUICKSTART, seed)
    settings = seed / "autoopt.yaml"
    text = settings.read_text(encoding="utf-8")
    github = f"type: github\n    repository: acme/llm-configs\n    api_url: {api_url}"
    settings.write_text(re.sub(r"type: local\b", github, text, count=1), encoding="utf-8")
    _git(seed, "init", "-q", "-b", "main", env=env)
    _git(seed, "add", "-A", env=env)
    _git(seed, "commit", "-q", "-m", "start", env=env)
    origin = tmp_path / "origin.git"
    _git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin), env=env)
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(origin), str(clone), env=env)
    return clone


def _propose(clone: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "autoopt", "propose", "--policy", "chat-cost"]
    return subprocess.run(
        [*command, "--repo", str(clone)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_propose_opens_one_pull_request_on_github(tmp_path: Path, github: GitHubServer) -> None:
    env = _env(tmp_path)
    clone = _clone(tmp_path, github.url, env)

    first = _propose(clone, env)
    second = _propose(clone, env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    prs = list(github.state.prs.values())
    assert len(prs) == 1
    assert prs[0]["head"].startswith("autoopt/chat-service/")
    assert prs[0]["state"] == "open"
    assert len(github.calls("POST", "/pulls")) == 1
    for out in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert TOKEN not in out


def test_a_refusing_github_is_one_line_without_the_token(
    tmp_path: Path, github: GitHubServer
) -> None:
    """(Retries of 5xx are tested on the forge with an injected sleep; the CLI sleeps for real.)"""
    env = _env(tmp_path)
    clone = _clone(tmp_path, github.url, env)
    echo = {"message": f"Bad credentials: {TOKEN}"}
    github.fail("GET", "/pulls", status=401, body=echo, times=1000)

    done = _propose(clone, env)

    assert done.returncode == 1
    assert TOKEN not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "failed: HTTP 401: Bad credentials: ***" in done.stderr
    assert github.state.prs == {}

"""Shared fixtures: real git repositories under tmp_path with an isolated git identity."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.github.ghserver import GitHubServer

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stdout (raises on failure)."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, encoding="utf-8"
    )
    return done.stdout


@pytest.fixture
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """HOME and the global git config point into tmp_path; a person's identity is set there."""
    home = tmp_path / "home"
    home.mkdir()
    config = home / ".gitconfig"
    config.write_text(
        "[user]\n\tname = Pat Person\n\temail = pat@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
        "[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_DATE",
    ):
        monkeypatch.delenv(name, raising=False)
    yield home


@dataclass
class Remote:
    """A bare ``origin`` and a first clone that holds the quickstart repository."""

    origin: Path
    clone: Path
    tmp: Path

    def another_clone(self, name: str) -> Path:
        path = self.tmp / name
        git(self.tmp, "clone", "--quiet", str(self.origin), str(path))
        return path


def make_repo(path: Path, source: Path = QUICKSTART) -> Path:
    """A fresh git repository at ``path`` with ``source`` copied in and committed on main."""
    shutil.copytree(source, path)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "add", "-A")
    git(path, "commit", "--quiet", "-m", "Start the GitOps repository")
    return path


@pytest.fixture
def local_repo(tmp_path: Path, git_identity: Path) -> Path:
    """The quickstart in a git repository with no remote."""
    return make_repo(tmp_path / "local")


@pytest.fixture
def remote(tmp_path: Path, git_identity: Path) -> Remote:
    """A bare origin holding the quickstart on main, and one clone of it."""
    seed = make_repo(tmp_path / "seed")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(seed), str(origin))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    return Remote(origin=origin, clone=clone, tmp=tmp_path)


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    """The GitHub-shaped server (tests/github); a request that breaks GitHub's OpenAPI
    description fails the test."""
    from tests.github.ghserver import TOKEN, GitHubServer

    server = GitHubServer(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()
    assert server.violations == [], "\n".join(server.violations)

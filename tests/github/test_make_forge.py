"""The GitHub forge as the composition root builds it: autoopt.yaml → make_forge → GitHubForge."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from autoopt.errors import ForgeError
from autoopt.gitops.forge import PRRequest
from autoopt.gitops.github import GitHubForge
from autoopt.spec.repository import load_repository
from tests.github.ghserver import TOKEN, GitHubServer

forges = pytest.importorskip("autoopt.gitops.forges", reason="gitops/forges.py not merged yet")
repo_module = pytest.importorskip("autoopt.gitops.repo", reason="gitops/repo.py not merged yet")

SETTINGS = """\
apiVersion: autoopt/v1
kind: Settings
metadata: {{name: llm-configs}}
spec:
  forge:
    type: github
    repository: acme/llm-configs
    api_url: {url}
    token_env: AUTOOPT_TEST_TOKEN
"""


def _repository(tmp_path: Path, url: str) -> Path:
    root = tmp_path / "configs-repo"
    root.mkdir()
    (root / "autoopt.yaml").write_text(SETTINGS.format(url=url), encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return root


def test_make_forge_builds_a_working_github_forge(
    tmp_path: Path, github: GitHubServer, session: requests.Session
) -> None:
    root = _repository(tmp_path, github.url)
    settings = load_repository(root).settings
    forge = forges.make_forge(
        settings, repo_module.GitRepo(root), env={"AUTOOPT_TEST_TOKEN": TOKEN}, session=session
    )

    assert isinstance(forge, GitHubForge)
    pr, created = forge.upsert_pr(PRRequest(title="t", body="b", head="autoopt/x/v2", base="main"))
    assert (pr.number, created) == (1, True)
    assert TOKEN not in repr(forge)


def test_make_forge_without_the_token(tmp_path: Path, github: GitHubServer) -> None:
    root = _repository(tmp_path, github.url)
    settings = load_repository(root).settings
    with pytest.raises(ForgeError, match="AUTOOPT_TEST_TOKEN"):
        forges.make_forge(settings, repo_module.GitRepo(root), env={})

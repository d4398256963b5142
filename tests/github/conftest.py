"""Fixtures: a GitHub-shaped server on 127.0.0.1 and a ``GitHubForge`` pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from autoopt.gitops.github import GitHubForge
from tests.github.ghserver import NOW, OWNER, REPO, TOKEN, GitHubServer

# the ``github`` fixture (the server) lives in tests/conftest.py: tests/cycle use it too


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


@pytest.fixture
def forge(github: GitHubServer, session: requests.Session, sleeps: list[float]) -> GitHubForge:
    return GitHubForge(
        github.url,
        f"{OWNER}/{REPO}",
        TOKEN,
        session,
        sleep=sleeps.append,
        timeout=5.0,
        clock=lambda: NOW,
    )

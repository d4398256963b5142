"""Fixtures: the three-service repository, on the GitHub-shaped server or the local forge."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cycle.helpers import Bot, make_bot
from tests.github.ghserver import GitHubServer


@pytest.fixture
def bot(tmp_path: Path, git_identity: Path, github: GitHubServer) -> Bot:
    return make_bot(tmp_path, api_url=github.url)


@pytest.fixture
def local_bot(tmp_path: Path, git_identity: Path) -> Bot:
    return make_bot(tmp_path, api_url=None, services=("chat-service",))

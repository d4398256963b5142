"""docs/github.md is executed: its settings validate and its workflow has what the forge needs."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from autoopt.gitops.workflows import workflow_templates
from autoopt.spec.load import load_string
from autoopt.spec.models import GitHubForge as GitHubSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "github.md"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_settings_example_validates() -> None:
    settings = load_string(yaml_blocks()[0], path=Path("autoopt.yaml")).document
    forge = settings.spec.forge
    assert isinstance(forge, GitHubSettings)
    assert (forge.repository, forge.api_url, forge.token_env) == (
        "acme/llm-configs",
        "https://api.github.com",
        "GITHUB_TOKEN",
    )


def test_the_workflow_shown_is_the_workflow_shipped() -> None:
    """The page shows the cycle workflow ``autoopt init --github`` writes (comments aside)."""
    shown: Any = YAML(typ="safe").load(StringIO(yaml_blocks()[1]))
    text = workflow_templates()[".github/workflows/autoopt.yml"]
    shipped: Any = YAML(typ="safe").load(StringIO(text))
    assert shown == shipped
    assert shown["jobs"]["cycle"]["steps"][1]["with"]["command"] == "cycle"
    assert shown["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "statuses": "write",
        "issues": "write",
    }


def test_the_review_workflow_shown_is_the_one_shipped() -> None:
    """The "Reviewing a change" section shows the review workflow ``init --github`` writes."""
    (block,) = [b for b in yaml_blocks() if b.startswith("name: autoopt review\n")]
    shown: Any = YAML(typ="safe").load(StringIO(block))
    text = workflow_templates()[".github/workflows/autoopt-review.yml"]
    assert shown == YAML(typ="safe").load(StringIO(text))
    assert shown["permissions"] == {"contents": "read", "pull-requests": "write", "checks": "write"}

"""docs/github.md is executed: its settings validate and its workflow has what the forge needs."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

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


def test_the_workflow_has_schedule_dispatch_permissions_and_token() -> None:
    workflow: Any = YAML(typ="safe").load(StringIO(yaml_blocks()[1]))
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["schedule"][0]["cron"] == "*/15 * * * *"
    assert workflow["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "statuses": "write",
    }
    job = workflow["jobs"]["autoopt"]
    assert job["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert "autoopt validate" in runs
    assert any(run.startswith("autoopt reconcile") for run in runs)
    assert any(run.startswith("autoopt propose") for run in runs)
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0

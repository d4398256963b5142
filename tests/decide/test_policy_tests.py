"""Policy tests: the library's and the quickstart's cases pass; `autoopt test` end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli
from autoopt.decide.policytest import run_policy
from autoopt.spec.load import load_document
from autoopt.spec.repository import presets, resolve_strategy

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "policies" / "library").glob("*.yaml"))
QUICKSTART = ROOT / "examples" / "quickstart"


def test_the_library_has_the_ready_policies() -> None:
    assert {p.stem for p in LIBRARY} >= {"cost-saver", "latency-guard", "quality-first"}


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_library_policy_passes_its_tests(path: Path) -> None:
    policy = load_document(path, kind="Policy").document
    strategy = resolve_strategy(policy.spec.strategy, presets())
    results = run_policy(policy, strategy)
    assert len(results) >= 3
    assert [(r.name, r.detail) for r in results if not r.passed] == []


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_library_policy_is_annotated(path: Path) -> None:
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# ")
    spec = lines.index("spec:")
    keys = [ln for ln in lines[spec + 1 :] if ln.startswith("  ") and not ln.startswith("   ")]
    bare = [ln for ln in keys if "#" not in ln and ln.strip() not in ("target:",)]
    assert bare == []


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_cli_library() -> None:
    code, out = run("test", "--library")
    assert code == 0
    assert "PASS cost-saver: a cheaper model of equal quality is proposed" in out
    assert out.splitlines()[-1].endswith("passed, 0 failed (3 policies)")


def test_cli_verbose_shows_decisions(tmp_path: Path) -> None:
    code, out = run("test", "-v", str(write(tmp_path)))
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == ["PASS p: cheaper b", "  decision: propose", lines[2]]
    assert lines[2].startswith("  proposed: v-") and "−50% cost" in lines[2]
    assert lines[3] == "  rule_alert: rule r: n > 0"


def test_cli_quickstart_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo)
    code, out = run("test", "--repo", str(repo))
    assert code == 0, out
    assert out.splitlines()[-1] == "5 passed, 0 failed (1 policy)"
    code, out = run("test", "chat-cost", "--repo", str(repo), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["passed"] == 5
    assert data["cases"][0]["decision"] == "propose"
    assert data["cases"][0]["reasons"] == ["proposed"]


POLICY = """\
apiVersion: autoopt/v1
kind: Policy
metadata: {name: p}
spec:
  target: {service: s, config: configs/s.yaml}
  objectives: [{metric: cost_per_request, goal: minimize}]
  search_space: {model: [a, b]}
  strategy: STRATEGY
  rules: [{name: r, when: "WHEN", action: alert}]
  tests:
    - name: cheaper b
      CURRENT
      given:
        v1: {params: {model: a}, cost_per_request: 0.01}
        v2: {params: {model: b}, cost_per_request: 0.005}
      expect: {decision: EXPECT}
"""


def write(tmp_path: Path, **subs: str) -> Path:
    text = POLICY
    defaults = {
        "STRATEGY": "balanced",
        "WHEN": "n > 0",
        "CURRENT": "current: v1",
        "EXPECT": "propose",
    }
    for key, value in {**defaults, **subs}.items():
        text = text.replace(key, value)
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("subs", "line"),
    [
        ({}, "PASS p: cheaper b"),
        (
            {"EXPECT": "no_change"},
            "FAIL p: cheaper b: expected no_change, got propose (proposed: v-",
        ),
        (
            {"CURRENT": "rollout_active: false"},
            "FAIL p: cheaper b: no current version: set `current:` "
            "(the policy is tested without a repository)",
        ),
    ],
)
def test_cli_standalone_file(tmp_path: Path, subs: dict[str, str], line: str) -> None:
    code, out = run("test", str(write(tmp_path, **subs)))
    assert code == (0 if line.startswith("PASS") else 1)
    assert out.splitlines()[0].startswith(line)


def autoopt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoopt", *args],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_unknown_strategy_is_a_located_error(tmp_path: Path) -> None:
    path = write(tmp_path, STRATEGY="mine")
    done = autoopt("test", str(path))
    assert done.returncode == 1
    assert done.stderr == (
        f"error: {path}:8:13: spec.strategy: unknown strategy 'mine' (a policy tested on its own "
        "can use the presets: conservative, balanced, aggressive)\n"
    )


def test_a_bad_rule_condition_is_a_located_error(tmp_path: Path) -> None:
    path = write(tmp_path, WHEN="n.real > 0 or len(x)")
    done = autoopt("test", str(path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"error: {path}:9:27: spec.rules.0.when: column 2: unexpected character '.'\n"
    )


def test_policy_test_cases_are_validated_with_locations(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        POLICY.replace("STRATEGY", "balanced")
        .replace("WHEN", "n > 0")
        .replace("CURRENT", "current: v1")
        .replace("EXPECT", "propose")
        .replace(
            "{params: {model: a}, cost_per_request: 0.01}", "{qualty: 90, cost_per_request: x}"
        )
        .replace(
            "{params: {model: b}, cost_per_request: 0.005}",
            "{quality: {value: 80, low: 85, high: 90}}",
        )
    )
    done = autoopt("test", str(path))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {path}:14:44: spec.tests[0].given.v1.cost_per_request: "
        "Input should be a valid number, unable to parse string as a number",
        f"error: {path}:14:14: spec.tests[0].given.v1.qualty: unknown field; did you mean 'quality'?",
        f"error: {path}:15:23: spec.tests[0].given.v2.quality: "
        "expected low <= value <= high, got 85.0, 80.0, 90.0",
    ]

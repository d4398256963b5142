"""`autoopt validate` as users run it: formats, strictness, exit codes, a fast --help."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "autoopt", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo, ignore=shutil.ignore_patterns("metrics"))
    config = repo / "configs" / "chat-service.yaml"
    config.write_text(config.read_text().replace("temperature: 0.7", "temperature: 9"))
    return repo


def test_quickstart_is_valid() -> None:
    result = run("validate", "--repo", str(QUICKSTART))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith(
        ("ok: 3 file(s) valid", "3 file(s) checked: 0 error(s)")
    )
    assert "policy chat-cost: weights cost_per_request 0.60, quality 0.40" in result.stdout


def test_text_format_exit_1(broken: Path) -> None:
    result = run("validate", "--repo", str(broken))
    assert result.returncode == 1
    assert (
        "configs/chat-service.yaml:12:20: spec.stable.params.temperature: "
        "Input should be less than or equal to 2" in result.stdout
    )
    assert "Traceback" not in result.stdout + result.stderr


def test_json_format(broken: Path) -> None:
    result = run("validate", "--repo", str(broken), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["errors"] == 1
    assert report["problems"][0] == {
        "file": "configs/chat-service.yaml",
        "line": 12,
        "col": 20,
        "field": "spec.stable.params.temperature",
        "message": "Input should be less than or equal to 2",
        "severity": "error",
    }


def test_github_format_prints_workflow_commands(broken: Path) -> None:
    result = run("validate", "--repo", str(broken), "--format", "github")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "::error file=configs/chat-service.yaml,line=12,col=20::"
        "spec.stable.params.temperature: Input should be less than or equal to 2"
    )


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo, ignore=shutil.ignore_patterns("metrics"))
    policy = repo / "policies" / "chat-cost.yaml"
    text = policy.read_text()
    if "\n  tests:" in text:
        policy.write_text(text[: text.index("\n  tests:")] + "\n")
    assert run("validate", "--repo", str(repo)).returncode == 0
    strict = run("validate", "--repo", str(repo), "--strict")
    assert strict.returncode == 1
    assert "spec.tests: policy has no tests" in strict.stdout


def test_single_files_can_be_validated() -> None:
    files = [
        str(QUICKSTART / "configs" / "chat-service.yaml"),
        str(ROOT / "policies/strategies/balanced.yaml"),
    ]
    result = run("validate", *files)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "ok: 2 file(s) valid"


def test_usage_error_exits_2() -> None:
    result = run("validate", "--format", "yaml")
    assert result.returncode == 2
    assert "Invalid value for '--format'" in result.stderr


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys; from autoopt.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'pandas', 'numpy', 'pymoo', 'simpy', 'git', 'jinja2', 'duckdb', 'requests', 'scipy'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_bug_exits_3_without_traceback_unless_debug(tmp_path: Path) -> None:
    # A directory where a YAML file is expected is a user error, not a bug...
    (tmp_path / "autoopt.yaml").mkdir()
    result = run("validate", "--repo", str(tmp_path))
    assert result.returncode == 1
    assert "autoopt.yaml: is a directory, expected a YAML file" in result.stdout


def test_rule_conditions_are_checked(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo, ignore=shutil.ignore_patterns("metrics"))
    policy = repo / "policies" / "chat-cost.yaml"
    rule = '  rules:\n    - name: no-dunder\n      when: "error_rate > 0.1 and __class__"\n      action: block\n'
    policy.write_text(policy.read_text().replace("  promotion: auto", rule + "  promotion: auto"))
    result = run("validate", "--repo", str(repo))
    assert result.returncode == 1
    assert (
        "policies/chat-cost.yaml:35:13: spec.rules[0].when: column 22: name '__class__' is not allowed"
        in result.stdout
    )


def test_files_are_counted_in_the_folders_the_settings_name(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo, ignore=shutil.ignore_patterns("metrics"))
    (repo / "policies").rename(repo / "pol")
    settings = repo / "autoopt.yaml"
    settings.write_text(
        settings.read_text().replace("policy_dir: policies ", "policy_dir: pol      ")
    )
    assert run("validate", "--repo", str(repo)).stdout.splitlines()[-1] == "ok: 3 file(s) valid"
    config = repo / "configs" / "chat-service.yaml"
    config.write_text(config.read_text().replace("temperature: 0.7", "temperature: 9"))
    result = run("validate", "--repo", str(repo))
    assert result.stdout.splitlines()[-1] == "3 file(s) checked: 1 error(s), 0 warning(s)"


def _search_space(tmp_path: Path, models: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo, ignore=shutil.ignore_patterns("metrics"))
    policy = repo / "policies" / "chat-cost.yaml"
    old = "model: [gpt-4o, gpt-4o-mini, claude-3-5-haiku]"
    assert old in policy.read_text()
    policy.write_text(policy.read_text().replace(old, f"model: [{models}]"))
    return repo


def test_unknown_search_space_models_warn_and_fail_strict(tmp_path: Path) -> None:
    repo = _search_space(tmp_path, "gpt-4o, gpt-4o-mnii, claude-3-5-haiku, my-tuned")
    result = run("validate", "--repo", str(repo))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        "policies/chat-cost.yaml:30:21: spec.search_space.model[1]: unknown model 'gpt-4o-mnii': "
        "not in the price catalog and no config runs it (a model of your own needs spec.prices "
        "in autoopt.yaml) (warning)",
        "policies/chat-cost.yaml:30:52: spec.search_space.model[3]: unknown model 'my-tuned': "
        "not in the price catalog and no config runs it (a model of your own needs spec.prices "
        "in autoopt.yaml) (warning)",
        "policies/chat-cost.yaml: policy chat-cost: weights cost_per_request 0.60, quality 0.40",
        "3 file(s) checked: 0 error(s), 2 warning(s)",
    ]
    assert run("validate", "--repo", str(repo), "--strict").returncode == 1


def test_a_model_is_known_by_a_config_or_a_price(tmp_path: Path) -> None:
    repo = _search_space(tmp_path, "gpt-4o, my-tuned, their-tuned")
    settings = repo / "autoopt.yaml"
    settings.write_text(
        settings.read_text()
        + "  prices:\n    my-tuned: {input_per_mtok: 0.3, output_per_mtok: 1.2}\n"
    )
    config = repo / "configs" / "chat-service.yaml"
    config.write_text(
        config.read_text().replace("retries: 2", "retries: 2\n      fallbacks: [their-tuned]")
    )
    result = run("validate", "--repo", str(repo), "--strict")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "ok: 3 file(s) valid"


def test_a_close_known_model_is_suggested(tmp_path: Path) -> None:
    repo = _search_space(tmp_path, "gpt-4o, gtp-4o")
    result = run("validate", "--repo", str(repo))
    assert (
        "policies/chat-cost.yaml:30:21: spec.search_space.model[1]: unknown model 'gtp-4o': not "
        "in the price catalog and no config runs it (a model of your own needs spec.prices in "
        "autoopt.yaml); did you mean 'gpt-4o'? (warning)"
    ) in result.stdout.splitlines()

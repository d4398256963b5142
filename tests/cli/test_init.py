"""`autoopt init` writes a valid, annotated starter repository and never clobbers files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from autoopt.cli.main import cli
from autoopt.spec import load_repository

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "autoopt", *args], capture_output=True, text=True, env=env
    )


def test_init_writes_a_valid_repository(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["init", str(tmp_path), "--service", "support-bot", "--model", "claude-3-5-haiku"]
    )
    assert result.exit_code == 0, result.output
    repo = load_repository(tmp_path)
    assert sorted(repo.policies) == ["support-bot-cost"]
    config = repo.configs["support-bot"].document
    assert config.spec.stable.params.model == "claude-3-5-haiku"
    policy = repo.policies["support-bot-cost"].document
    assert policy.spec.target.config == "configs/support-bot.yaml"
    text = (tmp_path / "policies" / "support-bot-cost.yaml").read_text()
    assert text.count("#") >= 10, "the written policy is annotated"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "autoopt.yaml",
        "support-bot-cost.yaml",
        "support-bot.yaml",
    ], "no temporary files are left behind"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "autoopt.yaml").write_text("mine\n")
    result = run("init", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == f"error: {tmp_path}: would overwrite autoopt.yaml (use --force)\n"
    assert (tmp_path / "autoopt.yaml").read_text() == "mine\n"
    assert not (tmp_path / "configs").exists()


def test_init_rejects_bad_names(tmp_path: Path) -> None:
    result = run("init", str(tmp_path), "--service", "Bad Name")
    assert result.returncode == 2  # a malformed option value is a usage error
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--service': 'Bad Name' is not a valid name: 1 to 253 "
        "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
    )
    assert not any(tmp_path.iterdir())

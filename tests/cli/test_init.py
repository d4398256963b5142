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
    assert result.stderr == (
        f"error: {tmp_path}: would overwrite autoopt.yaml, which is not a valid Settings "
        "document (use --force)\n"
    )
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


def _git(path: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)


def test_init_github_writes_every_workflow_template(tmp_path: Path) -> None:
    from autoopt.gitops.workflows import workflow_templates

    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "remote", "add", "origin", "https://github.com/acme/llm-configs.git")
    result = run("init", str(tmp_path), "--github")
    assert result.returncode == 0, result.stderr
    templates = workflow_templates()
    assert templates, "the package ships workflow templates"
    for rel, text in templates.items():
        assert (tmp_path / rel).read_text(encoding="utf-8") == text
        assert f"wrote {tmp_path / rel}" in result.stdout.splitlines()
    settings = load_repository(tmp_path).settings.spec.forge
    assert settings.type == "github"
    assert settings.repository == "acme/llm-configs"  # read from the remote origin


def test_init_github_without_a_github_remote_keeps_the_local_forge(tmp_path: Path) -> None:
    result = run("init", str(tmp_path), "--github")
    assert result.returncode == 0, result.stderr
    assert load_repository(tmp_path).settings.spec.forge.type == "local"
    assert "note: no GitHub remote origin found" in result.stdout
    explicit = run("init", str(tmp_path / "b"), "--github", "--repository", "acme/x")
    assert explicit.returncode == 0, explicit.stderr
    forge = load_repository(tmp_path / "b").settings.spec.forge
    assert forge.type == "github"
    assert forge.repository == "acme/x"


def test_init_adds_a_second_service_and_keeps_the_settings(tmp_path: Path) -> None:
    assert run("init", str(tmp_path), "--github", "--repository", "acme/x").returncode == 0
    settings = tmp_path / "autoopt.yaml"
    # the team moved its configs: a second service goes where the settings say
    text = settings.read_text(encoding="utf-8").replace("config_dir: configs", "config_dir: llm")
    text += "# our own note\n"
    settings.write_text(text, encoding="utf-8")
    (tmp_path / "llm").mkdir()
    (tmp_path / "configs" / "chat-service.yaml").rename(tmp_path / "llm" / "chat-service.yaml")
    policy = tmp_path / "policies" / "chat-cost.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("configs/", "llm/"), encoding="utf-8"
    )
    result = run("init", str(tmp_path), "--service", "search-bot", "--github")
    assert result.returncode == 0, result.stderr
    assert settings.read_text(encoding="utf-8") == text, "autoopt.yaml is never rewritten"
    lines = result.stdout.splitlines()
    assert f"wrote {tmp_path / 'llm/search-bot.yaml'}" in lines
    assert f"wrote {tmp_path / 'policies/search-bot-cost.yaml'}" in lines
    assert any(line.startswith(f"kept {settings}: ") for line in lines)
    assert f"unchanged {tmp_path / '.github/workflows/autoopt.yml'}" in lines
    repo = load_repository(tmp_path)
    assert sorted(repo.configs) == ["chat-service", "search-bot"]
    assert repo.policies["search-bot-cost"].document.spec.target.config == "llm/search-bot.yaml"


def test_init_never_overwrites_a_changed_workflow_without_force(tmp_path: Path) -> None:
    assert run("init", str(tmp_path), "--github").returncode == 0
    workflow = tmp_path / ".github" / "workflows" / "autoopt.yml"
    workflow.write_text("# ours\n", encoding="utf-8")
    again = run("init", str(tmp_path), "--service", "other", "--github")
    assert again.returncode == 1
    assert again.stderr == (
        f"error: {tmp_path}: would overwrite .github/workflows/autoopt.yml (use --force)\n"
    )
    assert workflow.read_text(encoding="utf-8") == "# ours\n"
    assert not (tmp_path / "configs" / "other.yaml").exists(), "nothing is half-written"
    forced = run("init", str(tmp_path), "--service", "other", "--github", "--force")
    assert forced.returncode == 0, forced.stderr
    assert workflow.read_text(encoding="utf-8") != "# ours\n"

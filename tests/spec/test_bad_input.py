"""Every kind of bad input gives a located one-line message and exit 1, never a traceback."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(QUICKSTART, target, ignore=shutil.ignore_patterns("metrics"))
    return target


def validate(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", "--repo", str(repo), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def errors_of(output: str) -> list[str]:
    return [line for line in output.splitlines() if not line.endswith("(warning)")][:-1]


def write(repo: Path, name: str, content: str | bytes) -> None:
    path = repo / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


CONFIG = """apiVersion: autoopt/v1
kind: LLMConfig
metadata:
  name: other
spec:
  stable:
    version: v1
    params:
      model: gpt-4o
"""

CASES = {
    "tabs": (
        "a: 1\n\tb: 2\n",
        "configs/x.yaml:2:1: YAML: tab character: YAML indentation must use spaces",
    ),
    "duplicate keys": (
        CONFIG + "  paused: false\n  paused: true\n",
        'configs/x.yaml:11:3: YAML: found duplicate key "paused" with value "True" '
        '(original value: "False") while constructing a mapping',
    ),
    "wrong type": (
        CONFIG.replace("model: gpt-4o", "model: gpt-4o\n      max_tokens: lots"),
        "configs/x.yaml:10:19: spec.stable.params.max_tokens: "
        "Input should be a valid integer, unable to parse string as an integer",
    ),
    "unknown field": (
        CONFIG.replace("model: gpt-4o", "model: gpt-4o\n      temprature: 0.5"),
        "configs/x.yaml:10:7: spec.stable.params.temprature: unknown field; did you mean 'temperature'?",
    ),
    "out of range": (
        CONFIG.replace("model: gpt-4o", "model: gpt-4o\n      temperature: 3.5"),
        "configs/x.yaml:10:20: spec.stable.params.temperature: Input should be less than or equal to 2",
    ),
    "empty file": (
        "",
        "configs/x.yaml:1:1: empty document, expected a mapping with apiVersion, kind, metadata and spec",
    ),
    "comments only": (
        "# nothing\n\n",
        "configs/x.yaml:1:1: empty document, expected a mapping with apiVersion, kind, metadata and spec",
    ),
    "top-level list": (
        "- a\n- b\n",
        "configs/x.yaml:1:1: expected a mapping at the top level, found list",
    ),
    "binary garbage": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "configs/x.yaml:3:1: binary data (NUL byte), expected YAML text",
    ),
    "not utf-8": (b"a: \xff\xfe\n", "configs/x.yaml:1:4: not UTF-8 text"),
    "unknown kind": (
        CONFIG.replace("kind: LLMConfig", "kind: LLMConfg"),
        "configs/x.yaml:2:7: kind: unknown kind 'LLMConfg' (one of LLMConfig, Policy, Settings, Strategy); "
        "did you mean 'LLMConfig'?",
    ),
    "canary step out of range": (
        CONFIG + "  canary:\n    version: v2\n    params:\n      model: gpt-4o-mini\n"
        "    steps: [5, 25, 50, 100]\n    durations: [5m, 10m, 15m]\n    step: 4\n"
        "    step_started_at: 2026-11-25T10:00:00Z\n",
        "configs/x.yaml:16:5: spec.canary.step: 4 is out of range: steps has 4 entries (valid: 0..3)",
    ),
    "steps not ending at 100": (
        CONFIG + "  canary:\n    version: v2\n    params:\n      model: gpt-4o-mini\n"
        "    steps: [5, 25, 50]\n    durations: [5m, 10m]\n"
        "    step_started_at: 2026-11-25T10:00:00Z\n",
        "configs/x.yaml:14:5: spec.canary.steps: must end at 100, got 50",
    ),
    "bad duration": (
        CONFIG + "  canary:\n    version: v2\n    params:\n      model: gpt-4o-mini\n"
        "    steps: [50, 100]\n    durations: [5 minutes]\n"
        "    step_started_at: 2026-11-25T10:00:00Z\n",
        "configs/x.yaml:15:17: spec.canary.durations[0]: "
        "invalid duration '5 minutes': expected e.g. 30s, 5m, 1h, 1d or 1h30m",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_config_is_located(repo: Path, name: str) -> None:
    content, expected = CASES[name]
    write(repo, "configs/x.yaml", content)
    code, output = validate(repo)
    assert code == 1
    assert errors_of(output) == [expected]
    assert "Traceback" not in output


def test_every_error_is_reported_at_once(repo: Path) -> None:
    write(repo, "configs/a.yaml", "a: 1\n\tb: 2\n")
    write(
        repo,
        "configs/b.yaml",
        CONFIG.replace("model: gpt-4o", "model: gpt-4o\n      top_p: 7\n      top_k: 0"),
    )
    code, output = validate(repo)
    assert code == 1
    assert errors_of(output) == [
        "configs/a.yaml:2:1: YAML: tab character: YAML indentation must use spaces",
        "configs/b.yaml:10:14: spec.stable.params.top_p: Input should be less than or equal to 1",
        "configs/b.yaml:11:14: spec.stable.params.top_k: Input should be greater than or equal to 1",
    ]


def test_ten_megabyte_file(repo: Path) -> None:
    write(repo, "configs/big.yaml", "a: " + "x" * 10_000_000 + "\n")
    code, output = validate(repo)
    assert code == 1
    assert errors_of(output) == [
        "configs/big.yaml:1:1: file is too large (10.0 MB; the limit is 1 MB)"
    ]


def test_missing_file_named_on_the_command_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}: file not found" in result.output


def policy_with_target(config: str) -> str:
    text = (QUICKSTART / "policies" / "chat-cost.yaml").read_text()
    return text.replace("config: configs/chat-service.yaml", f"config: {config}")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("../outside.yaml", "'../outside.yaml' is outside the repository"),
        ("/etc/passwd", "'/etc/passwd' is outside the repository"),
        ("configs/missing.yaml", "'configs/missing.yaml' does not exist"),
        ("configs/link.yaml", "'configs/link.yaml' is outside the repository"),
    ],
)
def test_policy_target_must_stay_inside(repo: Path, config: str, message: str) -> None:
    (repo.parent / "outside.yaml").write_text(CONFIG)
    os.symlink(repo.parent / "outside.yaml", repo / "configs" / "link.yaml")
    (repo / "configs" / "link.yaml").unlink() if config != "configs/link.yaml" else None
    write(repo, "policies/chat-cost.yaml", policy_with_target(config))
    code, output = validate(repo)
    assert code == 1
    assert f"policies/chat-cost.yaml:9:13: spec.target.config: {message}" in errors_of(output)


def test_policy_service_must_match_config(repo: Path) -> None:
    text = (QUICKSTART / "policies" / "chat-cost.yaml").read_text()
    write(repo, "policies/chat-cost.yaml", text.replace("service: chat-service", "service: chat"))
    code, output = validate(repo)
    assert code == 1
    assert errors_of(output) == [
        "policies/chat-cost.yaml:8:14: spec.target.service: service 'chat' does not match "
        "configs/chat-service.yaml (metadata.name is 'chat-service')"
    ]


def test_unknown_strategy_preset(repo: Path) -> None:
    text = (QUICKSTART / "policies" / "chat-cost.yaml").read_text()
    write(
        repo, "policies/chat-cost.yaml", text.replace("strategy: balanced ", "strategy: balancd ")
    )
    code, output = validate(repo)
    assert code == 1
    assert errors_of(output) == [
        "policies/chat-cost.yaml:28:13: spec.strategy: unknown strategy 'balancd' "
        "(known: aggressive, balanced, conservative)"
    ]


def test_strategy_override_is_checked_after_merge(repo: Path) -> None:
    text = (QUICKSTART / "policies" / "chat-cost.yaml").read_text()
    override = "strategy: {extends: balanced, rollout: {steps: [10, 100]}}"
    write(repo, "policies/chat-cost.yaml", text.replace("strategy: balanced", override))
    code, output = validate(repo)
    assert code == 1
    assert errors_of(output) == [
        "policies/chat-cost.yaml:28:13: spec.strategy: after overrides: "
        "durations: must have one entry fewer than steps (1), got 3"
    ]


def test_unknown_metrics_type_is_an_error_not_a_fallback(repo: Path) -> None:
    text = (repo / "autoopt.yaml").read_text()
    write(repo, "autoopt.yaml", text.replace("type: files ", "type: influx "))
    code, output = validate(repo)
    assert code == 1
    assert errors_of(output) == [
        "autoopt.yaml:9:11: spec.metrics.type: unknown type 'influx' (one of files, otel, prometheus)"
    ]

"""Hostile documents: limits, reader errors, wrong tags, paths out of the repository.

Each case is one located line (``file:line:col: message``) and exit 1 — never a hang, a
``RecursionError``, a ``TypeError`` or an ``OSError``. Whole strings are asserted.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
CONFIG = "configs/chat-service.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(QUICKSTART, target, ignore=shutil.ignore_patterns("metrics"))
    return target


def validate(repo: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", "--repo", str(repo)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output.splitlines()


def replace(repo: Path, name: str, old: str, new: str) -> None:
    path = repo / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def alias_bomb(levels: int) -> str:
    lines = ["  bomb:", "    l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"    l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


CASES = {
    "billion laughs": (
        "  paused: false",
        "  paused: false\n" + alias_bomb(9),
        "configs/chat-service.yaml:18:23: YAML: more than 100,000 values once aliases are "
        "expanded (an alias counts each time it is used)",
    ),
    "1,000-deep flow list": (
        "max_tokens: 1024",
        "max_tokens: " + "[" * 1000 + "]" * 1000,
        "configs/chat-service.yaml:13:79: YAML: nested more than 64 levels deep",
    ),
    "20,000-deep flow list": (
        "max_tokens: 1024",
        "max_tokens: " + "[" * 20_000 + "]" * 20_000,
        "configs/chat-service.yaml:13:79: YAML: nested more than 64 levels deep",
    ),
    "recursive alias": (  # ruamel builds the inner alias as null: no loop to follow
        "max_tokens: 1024",
        "max_tokens: &r [*r]",
        "configs/chat-service.yaml:13:19: spec.stable.params.max_tokens: Input should be a "
        "valid integer",
    ),
    "a mapping as kind": (
        "kind: LLMConfig",
        "kind: {a: 1}",
        "configs/chat-service.yaml:4:7: kind: unknown kind a mapping (one of LLMConfig, Policy, "
        "Settings, Strategy)",
    ),
    "a list as kind": (
        "kind: LLMConfig",
        "kind: [LLMConfig]",
        "configs/chat-service.yaml:4:7: kind: unknown kind a list (one of LLMConfig, Policy, "
        "Settings, Strategy)",
    ),
    "!!int 1.5": (
        "max_tokens: 1024",
        "max_tokens: !!int 1.5",
        "configs/chat-service.yaml:13:19: YAML: cannot read '1.5' as int (invalid literal for "
        "int() with base 10: '1.5')",
    ),
    "!!float x": (
        "temperature: 0.7",
        "temperature: !!float x",
        "configs/chat-service.yaml:12:20: YAML: cannot read 'x' as float (could not convert "
        "string to float: 'x')",
    ),
    "impossible date": (
        "max_tokens: 1024",
        "max_tokens: 2026-13-45",
        "configs/chat-service.yaml:13:19: YAML: cannot read '2026-13-45' as timestamp (month "
        "must be in 1..12)",
    ),
    "duplicate key in an omap": (
        "max_tokens: 1024",
        "max_tokens: !!omap [a: 1, a: 2]",
        "configs/chat-service.yaml:13:19: YAML: cannot read this sequence as omap (AssertionError)",
    ),
    "control character": (
        "model: gpt-4o",
        "model: gpt\x07-4o",
        "configs/chat-service.yaml:11:17: YAML: character U+0007 is not allowed (special "
        "characters are not allowed)",
    ),
    "500 KB value": (
        "model: gpt-4o",
        "model: " + "x" * 500_000,
        "configs/chat-service.yaml:11:14: YAML: value is too long (500,000 characters; the "
        "limit is 100,000)",
    ),
    "long key": (
        "model: gpt-4o",
        "model: gpt-4o\n      ? " + "k" * 2000 + "\n      : 1",
        "configs/chat-service.yaml:12:9: YAML: key is too long (2,000 characters; the limit "
        "is 1,000)",
    ),
    "500 KB comment": (
        "model: gpt-4o",
        "model: gpt-4o  # " + "c" * 500_000,
        "configs/chat-service.yaml:11:22: YAML: comment is too long (500,002 characters; the "
        "limit is 10,000)",
    ),
    "long value in a message": (
        "model: gpt-4o",
        "model: gpt-4o\n      strategy: " + "s" * 5000,
        "configs/chat-service.yaml:12:7: spec.stable.params.strategy: unknown field",
    ),
    "long unknown key in a message": (
        "model: gpt-4o",
        "model: gpt-4o\n      " + "q" * 900 + ": 1",
        "configs/chat-service.yaml:12:7: spec.stable.params."
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq…[900 characters]: unknown field",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_config_is_one_located_line(repo: Path, name: str) -> None:
    old, new, expected = CASES[name]
    replace(repo, CONFIG, old, new)
    started = time.perf_counter()
    code, lines = validate(repo)
    assert time.perf_counter() - started < 10
    assert (code, lines) == (1, [expected, "3 file(s) checked: 1 error(s), 0 warning(s)"])


def test_a_long_duration_is_named_not_repeated(repo: Path) -> None:
    replace(repo, CONFIG, "timeout: 30s", "timeout: " + "9" * 5000 + "x")
    code, lines = validate(repo)
    assert (code, lines[0]) == (
        1,
        "configs/chat-service.yaml:15:16: spec.stable.params.timeout: invalid duration "
        "'9999999999999999999999999999999999999999…[5,001 characters]': expected e.g. 30s, "
        "5m, 1h, 1d or 1h30m",
    )


def test_an_absurd_duration_is_refused(repo: Path) -> None:
    replace(repo, CONFIG, "timeout: 30s", "timeout: 99999999999d")
    code, lines = validate(repo)
    assert (code, lines[0]) == (
        1,
        "configs/chat-service.yaml:15:16: spec.stable.params.timeout: duration '99999999999d' "
        "is too long (the limit is 36500d, 100 years)",
    )


SETTINGS_PATHS = {
    "policy_dir up and out": (
        "policy_dir: policies ",
        "policy_dir: ../outside ",
        "autoopt.yaml:14:17: spec.defaults.policy_dir: '../outside' is outside the repository",
    ),
    "config_dir absolute": (
        "config_dir: configs ",
        "config_dir: /etc ",
        "autoopt.yaml:15:17: spec.defaults.config_dir: '/etc' is outside the repository",
    ),
    "metrics path out": (
        "path: metrics/ ",
        "path: ../../var/metrics/*.csv ",
        "autoopt.yaml:10:11: spec.metrics.path: '../../var/metrics/*.csv' is outside the "
        "repository (give --metrics SRC for a source elsewhere)",
    ),
    "metrics glob that climbs": (
        "path: metrics/ ",
        "path: metrics/*/../../../x.csv ",
        "autoopt.yaml:10:11: spec.metrics.path: 'metrics/*/../../../x.csv' is outside the "
        "repository (give --metrics SRC for a source elsewhere)",
    ),
    "500 KB path": (
        "config_dir: configs ",
        "config_dir: " + "a" * 90_000 + " ",
        "autoopt.yaml:15:17: spec.defaults.config_dir: path is too long (90,000 characters; "
        "the limit is 4,096)",
    ),
    "long path component": (
        "config_dir: configs ",
        "config_dir: " + "b" * 300 + " ",
        "autoopt.yaml:15:17: spec.defaults.config_dir: a path component is longer than 255 bytes",
    ),
    "NUL in a path": (
        "config_dir: configs ",
        'config_dir: "con\\0figs" ',
        "autoopt.yaml:15:17: spec.defaults.config_dir: a path must not contain control characters",
    ),
}


@pytest.mark.parametrize("name", list(SETTINGS_PATHS))
def test_settings_name_only_paths_inside_the_repository(repo: Path, name: str) -> None:
    old, new, expected = SETTINGS_PATHS[name]
    replace(repo, "autoopt.yaml", old, new)
    code, lines = validate(repo)
    assert code == 1
    assert lines[0] == expected
    assert not any(line.startswith("/etc") for line in lines)  # nothing outside was read


def test_a_policy_symlinked_to_outside_is_not_read(repo: Path) -> None:
    outside = repo.parent / "outside.yaml"
    policy = repo / "policies" / "chat-cost.yaml"
    shutil.move(policy, outside)
    policy.symlink_to(outside)
    code, lines = validate(repo)
    assert (code, lines) == (
        1,
        [
            "policies/chat-cost.yaml:1:1: is a symlink to outside the repository; autoopt reads "
            "only files inside it",
            "3 file(s) checked: 1 error(s), 0 warning(s)",
        ],
    )


def test_a_symlink_inside_the_repository_is_fine(repo: Path) -> None:
    (repo / "shared").mkdir()
    policy = repo / "policies" / "chat-cost.yaml"
    shutil.move(policy, repo / "shared" / "chat-cost.yaml")
    policy.symlink_to(Path("..") / "shared" / "chat-cost.yaml")
    assert validate(repo)[0] == 0

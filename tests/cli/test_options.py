"""Shared options: one --format vocabulary, and a malformed option value is exit 2 with one line.

Exit codes: 0 done, 1 a valid request that cannot be done, 2 wrong usage (a malformed option
value among it), 3 a bug. Each case runs the real entry point (``autoopt.cli.main.main``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click
import pytest

from autoopt.cli.main import COMMANDS, cli, main
from autoopt.cli.options import FORMATS

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(list(args))
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def usage_line(err: str) -> str:
    """The one line a usage error ends with (click prints the usage above it)."""
    return err.strip().splitlines()[-1]


Q = str(QUICKSTART)
USAGE_ERRORS = {
    "since garbage": (
        ["evaluate", "--repo", Q, "--policy", "chat-cost", "--since", "yesterday"],
        "Error: Invalid value for '--since': 'yesterday': expected a duration such as 24h or "
        "7d, or an ISO time such as 2026-11-24T00:00:00Z",
    ),
    "since negative": (
        ["evaluate", "--repo", Q, "--policy", "chat-cost", "--since", "-5m"],
        "Error: Invalid value for '--since': '-5m': a duration counts back from now and has "
        "no sign (5m, not -5m)",
    ),
    "since absurd": (
        ["evaluate", "--repo", Q, "--policy", "chat-cost", "--since", "99999999999d"],
        "Error: Invalid value for '--since': duration '99999999999d' is too long "
        "(the limit is 36500d, 100 years)",
    ),
    "until garbage": (
        ["evaluate", "--repo", Q, "--policy", "chat-cost", "--until", "2026-13-40"],
        "Error: Invalid value for '--until': '2026-13-40': expected a duration such as 24h or "
        "7d, or an ISO time such as 2026-11-24T00:00:00Z",
    ),
    "metrics empty": (
        ["evaluate", "--repo", Q, "--policy", "chat-cost", "--metrics", ""],
        "Error: Invalid value for '--metrics': empty: give a file, directory or glob "
        "(CSV/JSONL/Parquet), otel:PATH or an http(s):// URL, or leave the option out to use "
        "autoopt.yaml's source",
    ),
    "format unknown": (
        ["evaluate", "--repo", Q, "--policy", "chat-cost", "--format", "yaml"],
        "Error: Invalid value for '--format': 'yaml' is not one of 'table', 'text', 'json', "
        "'markdown'.",
    ),
    "simulate duration garbage": (
        ["simulate", "--scenario", "steady", "--duration", "garbage"],
        "Error: Invalid value for '--duration': invalid duration 'garbage': expected e.g. 30s, "
        "5m, 1h, 1d or 1h30m",
    ),
    "simulate duration over the limit": (
        ["simulate", "--scenario", "steady", "--duration", "400d"],
        "Error: Invalid value for '--duration': '400d' is longer than the limit of 366d",
    ),
    "simulate duration absurd": (
        ["simulate", "--scenario", "steady", "--duration", "99999d"],
        "Error: Invalid value for '--duration': duration '99999d' is too long "
        "(the limit is 36500d, 100 years)",
    ),
    "simulate set without value": (
        ["simulate", "--scenario", "steady", "--set", "model"],
        "Error: Invalid value for '--set': 'model': expected KEY=VALUE, e.g. model=gpt-4o-mini",
    ),
    "simulate inject garbage": (
        ["simulate", "--scenario", "steady", "--rollout", "--inject", "latency=fast"],
        "Error: Invalid value for '--inject': 'latency=fast': expected latency=+30%, "
        "latency=x2, error=+5pp, error=+0.05, quality=-10% or quality=-8pts",
    ),
    "simulate check-every garbage": (
        ["simulate", "--scenario", "steady", "--rollout", "--check-every", "0s"],
        "Error: Invalid value for '--check-every': duration '0s' must be positive",
    ),
    "init empty service": (
        ["init", "--service", ""],
        "Error: Invalid value for '--service': '' is not a valid name: 1 to 253 lowercase "
        "letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
    "init empty model": (
        ["init", "--model", " "],
        "Error: Invalid value for '--model': must not be empty",
    ),
    "history negative limit": (
        ["history", "chat-service", "--repo", Q, "--limit", "-1"],
        "Error: Invalid value for '--limit': -1 is not in the range x>=0.",
    ),
    "reconcile watch garbage": (
        ["reconcile", "--repo", Q, "--watch", "often"],
        "Error: Invalid value for '--watch': invalid duration 'often': expected e.g. 30s, 5m, "
        "1h, 1d or 1h30m",
    ),
    "now garbage": (
        ["reconcile", "--repo", Q, "--now", "garbage"],
        "Error: Invalid value for '--now': 'garbage' is not an ISO 8601 timestamp such as "
        "2026-11-25T10:00:00Z",
    ),
    "repo that does not exist": (
        ["validate", "--repo", "/nonexistent/autoopt"],
        "Error: Invalid value for '--repo': Directory '/nonexistent/autoopt' does not exist.",
    ),
}


@pytest.mark.parametrize("name", list(USAGE_ERRORS))
def test_malformed_option_value_is_a_usage_error(
    name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # init must write nothing, wherever it runs
    args, expected = USAGE_ERRORS[name]
    code, out, err = run(capsys, *args)
    assert (code, out, usage_line(err)) == (2, "", expected)
    assert not any(tmp_path.iterdir())


def test_a_long_value_is_shortened_in_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "simulate", "--scenario", "steady", "--duration", "x" * 500_000)
    assert code == 2
    assert usage_line(err) == (
        "Error: Invalid value for '--duration': invalid duration "
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…[500,000 characters]': expected e.g. 30s, "
        "5m, 1h, 1d or 1h30m"
    )


def test_validate_in_an_empty_directory_is_not_ok(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _err = run(capsys, "validate", "--repo", str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path}: not an autoopt repository: no autoopt.yaml, and no YAML files under "
        "policies/ or configs/ (run `autoopt init`, or give --repo)",
        "0 file(s) checked: 1 error(s), 0 warning(s)",
    ]


def test_other_commands_in_an_empty_directory_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "status")
    assert (code, out) == (1, "")
    assert err == (
        f"error: {tmp_path}: not an autoopt repository: no autoopt.yaml, and no YAML files "
        "under policies/ or configs/ (run `autoopt init`, or give --repo)\n"
    )


def _format_types() -> dict[str, click.Choice[str]]:
    found = {}
    for name, (module, _help) in COMMANDS.items():
        command = importlib.import_module(f"autoopt.cli.{module}").command
        for param in command.params:
            if param.name == "fmt":
                assert isinstance(param.type, click.Choice)
                found[name] = param.type
    return found


def test_one_format_vocabulary() -> None:
    types = _format_types()
    # command's output is its reply to the comment: no format to choose
    assert sorted(types) == sorted(set(COMMANDS) - {"demo", "init", "merge", "command"})
    for name, choice in types.items():
        canonical = set(choice.choices) - {"text"}
        assert canonical <= set(FORMATS), name
        assert {"table", "text", "json"} <= set(choice.choices), name
        assert choice.convert("text", None, None) == "table", name
        assert choice.convert("TABLE", None, None) == "table", name


def test_text_is_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, git_identity: Path
) -> None:
    from tests.conftest import make_repo

    repo = make_repo(tmp_path / "repo")
    args = ["evaluate", "--repo", str(repo), "--policy", "chat-cost", "--since", "30d"]
    args += ["--now", "2026-11-26T00:00:00Z"]
    table = run(capsys, *args, "--format", "table")
    text = run(capsys, *args, "--format", "text")
    assert table[0] == 0
    assert "recommended: v6" in table[1]
    assert text == table


def test_help_lists_the_vocabulary() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert "--format [table|text|json|github]" in result.output
    assert "Output format (text is the same as table)." in result.output

"""``autoopt evaluate`` end to end on the quickstart, in a real git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli
from tests.conftest import QUICKSTART, ROOT, git

V6 = """  stable:
    version: v6
    params:
      model: gpt-4o-mini
      temperature: 0.5
      max_tokens: 1024
"""


@pytest.fixture
def quickstart(tmp_path: Path, git_identity: Path) -> Path:
    """The quickstart whose config history holds v6 (gpt-4o-mini) before the current v7."""
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo)
    config = repo / "configs" / "chat-service.yaml"
    current = config.read_text(encoding="utf-8")
    start = current.index("  stable:")
    end = current.index("  paused:")
    config.write_text(current[:start] + V6 + current[end:], encoding="utf-8")
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "chat-service on gpt-4o-mini (v6)")
    config.write_text(current, encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "chat-service on gpt-4o (v7)")
    return repo


def run(*args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "autoopt", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_json_contract_and_recommendation(quickstart: Path) -> None:
    result = CliRunner().invoke(
        cli, ["evaluate", "--repo", str(quickstart), "--policy", "chat-cost", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out)[:5] == ["policy", "service", "baseline", "window", "source"]
    assert (out["policy"], out["service"], out["baseline"]) == ("chat-cost", "chat-service", "v7")
    assert out["rows"] == {
        "accepted": 9037,
        "rejected": 3,
        "reasons": {"bad_latency": 1, "bad_tokens": 1, "missing_timestamp": 1},
    }
    assert out["window"] == {
        "start": "2026-11-23T00:00:14.771000+00:00",
        "end": "2026-11-24T23:59:47.934001+00:00",
    }
    assert out["prices"]["models"]["gpt-4o-mini"]["source"].startswith("genai-prices ")
    v6, v7 = out["candidates"]
    assert v6["version"] == "v6" and v7["version"] == "v7"
    assert v6["params"] == {"model": "gpt-4o-mini", "temperature": 0.5, "max_tokens": 1024}
    assert v7["params"]["model"] == "gpt-4o"
    assert set(v6) == {"version", "params", "n", "metrics", "feasible", "violations",
                       "pareto_rank", "score"}  # fmt: skip
    assert set(v6["metrics"]["error_rate"]) == {"value", "low", "high"}
    assert v6["feasible"] and v7["feasible"]
    assert [v["metric"] for v in v7["violations"]] == ["daily_cost_usd"]  # soft: $112/day > 100
    assert v6["metrics"]["quality"]["value"] == pytest.approx(86.9, abs=0.1)
    assert v7["metrics"]["daily_cost_usd"]["value"] > 100 > v6["metrics"]["daily_cost_usd"]["value"]
    assert v6["score"] > 0.5 > v7["score"]
    assert out["recommended"] == "v6"
    assert out["notes"] == []
    assert "2 committed version(s) of configs/chat-service.yaml" in out["history"]


def test_table_and_markdown(quickstart: Path) -> None:
    args = ["evaluate", "--repo", str(quickstart), "--policy", "policies/chat-cost.yaml"]
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "v6 ★" in table.stdout and "v7 (stable)" in table.stdout
    assert (
        "rows: 9037 accepted, 3 rejected (bad_latency 1, bad_tokens 1, missing_timestamp 1)"
        in table.stdout
    )
    assert "recommended: v6" in table.stdout
    markdown = CliRunner().invoke(cli, [*args, "--format", "markdown"])
    lines = markdown.stdout.splitlines()
    header = "version | n | errors | p95 ms | $/req | $/day | quality | constraints | rank | score"
    assert lines[0] == f"| {header} |"
    assert lines[2].startswith("| v6 ★ | 4554 | 1.30% [1.01%, 1.67%] | 1201.2 [1183.5, 1226.6] |")


def test_window_and_time_series(quickstart: Path) -> None:
    args = ["evaluate", "--repo", str(quickstart), "--policy", "chat-cost", "--format", "json"]
    result = CliRunner().invoke(
        cli, [*args, "--now", "2026-11-25T00:00:00Z", "--since", "36h", "--by", "1h"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["window"]["start"] == "2026-11-23T12:00:00+00:00"
    assert out["window"]["end"] == "2026-11-24T23:59:47.934001+00:00"
    assert sum(c["n"] for c in out["candidates"]) == sum(point["n"] for point in out["series"])
    assert len(out["series"]) == 36
    assert out["series"][0]["bucket"] == "2026-11-23T12:00:00+00:00"


def test_metrics_override_and_one_line_errors(quickstart: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("timestamp,service,version\n2026-11-24T00:00:00Z,chat-service,v7\n")
    code, out, err = run(
        "evaluate", "--repo", str(quickstart), "--policy", "chat-cost", "--metrics", str(broken)
    )
    assert (code, out) == (1, "")
    assert err == (
        f"error: {broken}: missing required column(s) model, latency_ms, tokens_in, tokens_out, "
        "error (found: timestamp, service, version; map other names with metrics.columns in "
        "autoopt.yaml)\n"
    )
    code, _out, err = run("evaluate", "--repo", str(quickstart), "--policy", "nope")
    assert code == 1 and err == "error: nope: no such policy (known: chat-cost)\n"
    code, _out, err = run(
        "evaluate",
        "--repo",
        str(quickstart),
        "--policy",
        "chat-cost",
        "--since",
        "2026-12-01",
        "--now",
        "2026-12-02",
    )
    assert code == 1 and err.startswith(
        "error: no metrics for service 'chat-service' in 2026-12-01"
    )


def test_a_stable_version_without_metrics_is_one_clear_line(quickstart: Path) -> None:
    data = quickstart / "metrics" / "requests.csv"
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text("".join(line for line in lines if ",v7," not in line), encoding="utf-8")
    code, _out, err = run("evaluate", "--repo", str(quickstart), "--policy", "chat-cost")
    assert code == 1
    assert err == "error: no metrics for the current version 'v7' (measured: v6)\n"

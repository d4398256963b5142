"""``autoopt evaluate`` end to end on the quickstart, in a real git repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli, main
from tests.conftest import QUICKSTART, git

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


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real entry point, error choke point included, in this process."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


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
        "outside": 0,
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
    assert lines[2].startswith("| v6 ★ | 4554 | 1.30% [1.01%, 1.67%] | 1201.2 [1183.8, 1226.5] |")


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
    first = out["series"][0]
    assert first["bucket"] == "2026-11-23T12:00:00+00:00"
    assert first["latency_p95_ms_low"] <= first["latency_p95_ms"] <= first["latency_p95_ms_high"]


def test_metrics_override_and_one_line_errors(
    quickstart: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("timestamp,service,version\n2026-11-24T00:00:00Z,chat-service,v7\n")
    code, out, err = run(
        capsys,
        "evaluate",
        "--repo",
        str(quickstart),
        "--policy",
        "chat-cost",
        "--metrics",
        str(broken),
    )
    assert (code, out) == (1, "")
    assert err == (
        f"error: {broken}: missing required column(s) model, latency_ms, tokens_in, tokens_out, "
        "error (found: timestamp, service, version; map other names with metrics.columns in "
        "autoopt.yaml)\n"
    )
    code, _out, err = run(capsys, "evaluate", "--repo", str(quickstart), "--policy", "nope")
    assert code == 1 and err == "error: nope: no such policy (known: chat-cost)\n"
    code, _out, err = run(
        capsys,
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


def test_a_stable_version_without_metrics_is_one_clear_line(
    quickstart: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = quickstart / "metrics" / "requests.csv"
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text("".join(line for line in lines if ",v7," not in line), encoding="utf-8")
    code, _out, err = run(capsys, "evaluate", "--repo", str(quickstart), "--policy", "chat-cost")
    assert code == 1
    assert err == "error: no metrics for the current version 'v7' (measured: v6)\n"


def test_otel_override_with_nothing_eligible(quickstart: Path) -> None:
    export = Path(__file__).parent / "data" / "otel-export.jsonl"
    args = ["evaluate", "--repo", str(quickstart), "--policy", "chat-cost", "--format", "json"]
    result = CliRunner().invoke(cli, [*args, "--metrics", f"otel:{export}"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["source"] == f"otel {export}"
    assert out["rows"]["reasons"] == {"bad_latency": 1, "unparseable": 1}
    by_version = {c["version"]: c for c in out["candidates"]}
    # v7 has no quality score (a hard constraint cannot be checked), v6's only call failed
    assert "quality" not in by_version["v7"]["metrics"]
    assert by_version["v6"]["metrics"]["error_rate"]["value"] == 1.0
    assert not by_version["v6"]["feasible"] and not by_version["v7"]["feasible"]
    assert out["recommended"] is None
    assert out["notes"] == ["1 non-GenAI span(s) skipped", "v7: no quality scores in the metrics"]


def test_an_unpriced_model_is_a_warning_and_no_cost(quickstart: Path, tmp_path: Path) -> None:
    data = (quickstart / "metrics" / "requests.csv").read_text(encoding="utf-8")
    (tmp_path / "m.csv").write_text(data.replace(",gpt-4o-mini,", ",in-house-7b,"), "utf-8")
    args = ["evaluate", "--repo", str(quickstart), "--policy", "chat-cost", "--format", "json"]
    result = CliRunner().invoke(cli, [*args, "--metrics", str(tmp_path / "m.csv")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: no price for model(s) in-house-7b (4554 rows): their cost is unknown; "
        "add them to spec.prices in autoopt.yaml\n"
    )
    out = json.loads(result.stdout)
    v6 = out["candidates"][0]
    assert "cost_per_request" not in v6["metrics"] and "daily_cost_usd" not in v6["metrics"]
    assert out["prices"]["unknown_models"] == {"in-house-7b": 4554}
    # v6 cannot be scored on cost, so the stable v7 (over budget, a soft limit) stays the pick
    assert out["recommended"] == "v7"


def test_time_series_in_the_table_format(quickstart: Path) -> None:
    args = ["evaluate", "--repo", str(quickstart), "--policy", "chat-cost", "--by", "1d"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    series = [line for line in lines if line[:1] == ["chat-service"]]
    assert [(row[1], row[2], row[4]) for row in series] == [
        ("v6", "2026-11-23", "4554"),
        ("v7", "2026-11-24", "4483"),
    ]

"""``autoopt simulate`` end to end through the real entry point: real files, real git."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import git
from tests.simulate.helpers import BROKEN, TWO_MODELS, run_cli


def test_a_library_scenario_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "simulate", "--scenario", "steady", "--duration", "2m", "--format", "json"
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["mode"], data["scenario"], data["seed"]) == ("run", "steady", 0)
    assert data["source"] == "library scenario steady"
    [v7] = data["versions"]
    assert v7["version"] == "v7" and 900 < v7["n"] < 1500  # 10/s for 2 minutes
    assert set(v7["metrics"]) >= {"error_rate", "latency_p95_ms", "cost_per_request", "quality"}


def test_what_if_table_shows_both_arms_and_deltas(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_cli(
        capsys, "simulate", "--scenario", str(TWO_MODELS), "--set", "model=slow", "--seed", "4"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("what-if on two-models (scenario file ")
    cost = next(line for line in lines if "cost_per_request" in line)
    assert "+200.0%" in cost
    assert 'candidate params: {"model": "slow"' in out


def test_what_if_json_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--scenario", str(TWO_MODELS), "--set", "model=slow", "--duration", "2m"]
    code, out, _ = run_cli(capsys, *args, "--format", "json", "--replicas", "3")
    assert code == 0
    data = json.loads(out)
    assert data["mode"] == "what_if" and data["replicas"] == 3
    assert data["stable"] == {"version": "v7", "params": {"model": "fast", "max_tokens": 4096}}
    assert data["candidate"]["version"].startswith("v-")
    assert data["metrics"]["cost_per_request"]["delta"]["value"] == pytest.approx(2.0)
    code, out, _ = run_cli(capsys, *args, "--format", "markdown")
    assert code == 0
    assert "| metric | v7 | v-" in out and "| cost_per_request |" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--set", "model=gpt-9"],
            "error: the candidate: model 'gpt-9' has no behaviour in "
            "scenario two-models (models: fast, slow); give a --scenario FILE that describes it",
        ),
        (["--set", "max_tokens=-5"], "error: --set: max_tokens=-5: Input should be greater than 0"),
        (
            ["--set", "max_tokens=4096"],
            "error: the candidate's params are the stable version's: nothing to compare",
        ),
        (
            ["--candidate", "v6"],
            "error: --candidate VERSION needs --policy (the config holds the versions)",
        ),
        (["--inject", "latency=+30%"], "error: --inject needs --rollout"),
        (["--out", "metrics.xlsx"], "error: --out metrics.xlsx: expected a .parquet or .csv file"),
        (
            ["--replicas", "3"],
            "error: --replicas needs a what-if (--candidate or --set) or --rollout",
        ),
        (
            ["--rollout"],
            "error: --rollout needs a candidate: --candidate VERSION, --set "
            "KEY=VALUE, a config with a canary, or a scenario with a canary variant",
        ),
    ],
)
def test_mistakes_are_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, "simulate", "--scenario", str(TWO_MODELS), *args)
    assert (code, out, err) == (1, "", message + "\n")


def test_a_scenario_with_errors_reports_every_located_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN.parent)
    code, out, err = run_cli(capsys, "simulate", "--scenario", BROKEN.name)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "error: broken.yaml:10:5: spec.traffic.rate: Input should be greater than 0",
        "error: broken.yaml:17:29: spec.variants.stable.params.max_tokens: Input should be "
        "greater than or equal to 1",
    ]


def test_an_unknown_scenario_name_lists_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_cli(capsys, "simulate", "--scenario", "stedy")
    assert code == 1
    assert err.startswith("error: --scenario 'stedy': no such file, and no library scenario of")
    assert "steady" in err and len(err.splitlines()) == 1


def test_nothing_to_simulate_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_cli(capsys, "simulate")
    assert (code, err) == (
        1,
        "error: give --scenario FILE|NAME, or --policy NAME to calibrate on its metrics\n",
    )


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_out_writes_metrics_that_evaluate_reads(
    capsys: pytest.CaptureFixture[str], local_repo: Path, suffix: str
) -> None:
    out_file = local_repo / "sim" / f"whatif{suffix}"
    code, _out, _err = run_cli(
        capsys, "simulate", "--scenario", "steady", "--duration", "3m",
        "--set", "max_tokens=256", "--out", str(out_file),
    )  # fmt: skip
    assert code == 0 and out_file.is_file()
    assert [p.name for p in out_file.parent.iterdir()] == [out_file.name]  # no temp file left
    written = pd.read_parquet(out_file) if suffix == ".parquet" else pd.read_csv(out_file)
    code, out, err = run_cli(
        capsys, "evaluate", "--repo", str(local_repo), "--policy", "chat-cost",
        "--metrics", str(out_file), "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["rows"] == {"accepted": len(written), "rejected": 0, "reasons": {}, "outside": 0}
    counts = {c["version"]: c["n"] for c in data["candidates"]}
    assert counts == written["version"].value_counts().to_dict()
    assert set(counts) == {"v7", *(v for v in counts if v.startswith("v-"))} and len(counts) == 2


def _history_with_v6(repo: Path) -> None:
    """Commit the config once with v6 (gpt-4o-mini) as stable, then back to v7."""
    config = repo / "configs" / "chat-service.yaml"
    text = config.read_text()
    config.write_text(
        text.replace("version: v7", "version: v6").replace(
            "model: gpt-4o\n", "model: gpt-4o-mini\n"
        )
    )
    git(repo, "commit", "-qam", "v6")
    config.write_text(text)
    git(repo, "commit", "-qam", "back to v7")


def test_calibrated_on_the_policy_s_metrics_with_a_version_from_history(
    capsys: pytest.CaptureFixture[str], local_repo: Path
) -> None:
    _history_with_v6(local_repo)
    code, out, err = run_cli(
        capsys, "simulate", "--repo", str(local_repo), "--policy", "chat-cost",
        "--candidate", "v6", "--duration", "6h", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["source"].startswith("calibrated on 9037 rows of chat-service (files metrics/)")
    assert data["stable"]["version"] == "v7" and data["stable"]["params"]["model"] == "gpt-4o"
    assert data["candidate"]["version"] == "v6"
    assert data["candidate"]["params"]["model"] == "gpt-4o-mini"
    # measured: gpt-4o-mini costs about 1/16 of gpt-4o per request on this traffic
    assert -0.97 < data["metrics"]["cost_per_request"]["delta"]["value"] < -0.85
    assert data["duration_s"] == 6 * 3600


def test_an_unknown_candidate_version_names_the_known_ones(
    capsys: pytest.CaptureFixture[str], local_repo: Path
) -> None:
    code, _out, err = run_cli(
        capsys, "simulate", "--repo", str(local_repo), "--policy", "chat-cost",
        "--candidate", "v5",
    )  # fmt: skip
    assert (code, err) == (
        1,
        "error: --candidate 'v5': no such version in configs/chat-service.yaml or its git "
        "history (known: v7)\n",
    )


def test_a_progress_bar_only_on_a_terminal() -> None:
    import os
    import pty
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    args = [sys.executable, "-m", "autoopt", "simulate", "--scenario", "steady", "--duration",
            "5m", "--set", "max_tokens=300", "--replicas", "2"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}
    leader, follower = pty.openpty()
    done = subprocess.run(args, stdout=follower, stderr=follower, env=env, timeout=120)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    on_terminal = b"".join(chunks).decode(errors="replace")
    assert done.returncode == 0
    assert "simulating" in on_terminal and "what-if on steady" in on_terminal
    piped = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert piped.returncode == 0 and "simulating" not in piped.stdout + piped.stderr

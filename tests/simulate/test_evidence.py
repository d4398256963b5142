"""A proposal simulated for its pull request (``autoopt propose --simulate``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoopt.errors import SimulationError
from autoopt.simulate import for_proposal
from tests.simulate.helpers import run_cli


def test_the_proposal_s_what_if_is_in_the_pull_request_body(
    capsys: pytest.CaptureFixture[str], local_repo: Path
) -> None:
    code, out, err = run_cli(
        capsys, "propose", "--repo", str(local_repo), "--policy", "chat-cost", "--dry-run",
        "--simulate", "--now", "2026-11-25T00:00:00Z", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["decision"] == "propose"
    body = data["plan"]["body"]
    section = body.split("### Simulation", 1)[1].split("### Rollout plan", 1)[0]
    assert "Simulated on the same " in section
    assert (
        "calibrated on 9037 rows of chat-service (files metrics/); seed 0, 1 replica(s)" in section
    )
    assert "| metric | stable | proposed |" in section
    cost = next(line for line in section.splitlines() if line.startswith("| cost_per_request |"))
    # the proposal switches to gpt-4o-mini: about 94% cheaper, as measured
    change = float(cost.rsplit("(", 1)[1].split("%")[0])
    assert -97 < change < -90


def test_without_the_flag_the_body_says_it_was_not_simulated(
    capsys: pytest.CaptureFixture[str], local_repo: Path
) -> None:
    code, out, _ = run_cli(
        capsys, "propose", "--repo", str(local_repo), "--policy", "chat-cost", "--dry-run",
        "--now", "2026-11-25T00:00:00Z", "--format", "json",
    )  # fmt: skip
    assert code == 0
    assert "_Not simulated for this proposal." in json.loads(out)["plan"]["body"]


def test_a_model_the_metrics_never_saw_cannot_be_simulated(local_repo: Path) -> None:
    with pytest.raises(SimulationError) as info:
        for_proposal(local_repo, "chat-cost", "v-x", {"model": "claude-3-5-haiku"})
    assert str(info.value).startswith(
        "the proposal: model 'claude-3-5-haiku' has no behaviour in scenario "
        "calibrated-chat-service (models: gpt-4o, gpt-4o-mini)"
    )


def test_evidence_rows_for_the_body(local_repo: Path) -> None:
    found = for_proposal(local_repo, "chat-cost", "v-mini", {"model": "gpt-4o-mini"}, seed=2)
    assert [r[0] for r in found.rows] == [
        "error_rate", "latency_p50_ms", "latency_p95_ms", "cost_per_request", "daily_cost_usd",
        "quality",
    ]  # fmt: skip
    error = dict((r[0], r) for r in found.rows)["error_rate"]
    assert error[1].endswith("%") and error[2].endswith(" pp)")
    assert found.result.candidate == "v-mini" and found.result.stable == "v7"

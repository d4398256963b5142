"""The rollout backtest: the real judges against simulated production, in simulated time."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

import simulator
from autoopt.simulate.backtest import StageJudge, backtest, rollout_scenario, with_method
from autoopt.simulate.inputs import canary_faults, parse_inject
from autoopt.simulate.scenarios import load_scenario
from autoopt.spec.models import StrategySpec
from autoopt.spec.repository import presets
from tests.simulate.helpers import DATA, run_cli

BUSY = DATA / "busy.yaml"


def busy_rollout(*injections: str) -> tuple[simulator.Scenario, StrategySpec]:
    scenario = load_scenario(BUSY)
    spec = presets()["aggressive"].spec
    candidate = scenario.spec.variants.stable.params.model_copy(update={"temperature": 0.3})
    faults = canary_faults([parse_inject(i) for i in injections], scenario, "gpt-4o")
    return rollout_scenario(scenario, candidate, "v8", spec, timedelta(minutes=1), faults), spec


def test_the_judge_sees_every_stage_and_the_last_step_is_not_judged() -> None:
    scenario, spec = busy_rollout()
    judge = StageJudge(spec, "chat-service", "v7", "v8", timedelta(minutes=1))
    result = simulator.run_scenario(scenario, seed=2, judge=judge)

    events = result.events_frame()
    verdicts = events[events["kind"].isin(["promote", "hold", "rollback"])]
    promotes = verdicts[verdicts["kind"] == "promote"]
    assert judge.outcome == "promoted"
    assert list(promotes["detail"]) == ["step 0", "step 1", "step 2"]  # 10%, 50%, then 100%
    # step 2 (100%) was answered without asking the judge
    assert judge.looks == len(verdicts[verdicts["detail"] != "step 2"])
    assert judge.decided_at == promotes["at"].iloc[1]  # the promotion out of the last judged step
    assert judge.starts == [scenario.spec.start, promotes["at"].iloc[0]]
    # at the last look the observation held the intervals of stage 0 and of stage 1
    assert judge.last is not None and judge.last.verdict.value == "promote"
    stages = {i.stage for i in judge.done} | {i.stage for i in judge.current}
    assert stages == {0, 1}
    n_canary = sum(i.canary.n for i in (*judge.done, *judge.current))
    assert judge.last.n_canary == n_canary > 0
    assert judge.last.metrics and judge.last.codes[0] == "non_inferior"


def test_a_latency_regression_is_rolled_back_and_exposure_is_counted_to_the_verdict() -> None:
    scenario, spec = busy_rollout("latency=x1.5")
    result, frame = backtest(scenario, spec, strategy="aggressive", seed=1, replicas=2,
                             injected=("latency=x1.5",))  # fmt: skip
    assert [r.method for r in result.rows] == ["sequential", "threshold", "mannwhitney"]
    for row in result.rows:
        assert (row.rolled_back, row.promoted, row.runs) == (1.0, 0.0, 2)
    sequential = [r for r in result.rollouts if r.method == "sequential"]
    assert all("latency_p95_increase" in r.reasons for r in sequential)
    # exposure: canary requests that arrived before the rollback, in the chosen judge's frames
    for rollout in sequential:
        rows = frame[frame["replica"] == rollout.replica]
        decided = scenario.spec.start + timedelta(minutes=rollout.minutes or 0)
        before = (rows["version"] == "v8") & (rows["timestamp"] < pd.Timestamp(decided))
        assert rollout.exposed == int(before.sum()) > 0
        # after the rollback no request reaches the canary
        assert rollout.exposed == int((rows["version"] == "v8").sum())
        assert (rows["timestamp"] >= pd.Timestamp(decided)).sum() > 0


def test_a_healthy_canary_is_promoted_by_the_sequential_judge() -> None:
    scenario, spec = busy_rollout()
    result, _ = backtest(scenario, spec, strategy="aggressive", seed=3, replicas=3)
    sequential = result.rows[0]
    assert sequential.method == "sequential" and sequential.promoted == 1.0
    # no promotion before the hold times (3m + 5m) have passed
    assert sequential.median_minutes is not None and sequential.median_minutes >= 8.0


def test_the_baselines_are_the_same_strategy_with_another_method() -> None:
    spec = presets()["balanced"].spec
    threshold = with_method(spec, "threshold")
    assert threshold.judge.method == "threshold"
    assert threshold.model_copy(update={"judge": spec.judge}) == spec


def test_a_run_that_ends_first_is_unfinished(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "simulate", "--scenario", str(BUSY), "--rollout", "--set", "temperature=0.3",
        "--duration", "4m", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["strategy"] == "balanced" and data["steps"] == [5, 25, 50, 100]
    sequential = data["judges"][0]
    assert sequential["method"] == "sequential" and sequential["unfinished"] == 1.0
    assert sequential["median_minutes"] is None


def test_rollout_cli_with_the_policy_s_strategy_and_a_quality_drop(
    capsys: pytest.CaptureFixture[str], local_repo: object
) -> None:
    code, out, err = run_cli(
        capsys, "simulate", "--repo", str(local_repo), "--policy", "chat-cost",
        "--scenario", str(BUSY), "--rollout", "--set", "temperature=0.3",
        "--inject", "quality=-20%", "--check-every", "30s", "--format", "markdown",
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert "strategy balanced, steps [5, 25, 50, 100], injected quality=-20%" in lines[0]
    assert lines[2] == (
        "| judge | promoted | rolled back | timed out | unfinished | median min to decision | "
        "mean canary requests exposed |"
    )
    assert lines[4].startswith("| sequential | 0% | 100% | 0% | 0% |")


def test_a_plan_of_one_step_is_promoted_at_once() -> None:
    scenario = load_scenario(BUSY)
    spec = presets()["aggressive"].spec
    spec = spec.model_copy(
        update={"rollout": spec.rollout.model_copy(update={"steps": [100], "durations": []})}
    )
    candidate = scenario.spec.variants.stable.params.model_copy(update={"temperature": 0.3})
    one = rollout_scenario(scenario, candidate, "v8", spec, timedelta(minutes=1))
    result, _ = backtest(one, spec, strategy="custom", seed=0, replicas=1)
    assert [(r.method, r.outcome, r.minutes, r.exposed, r.looks) for r in result.rollouts] == [
        ("sequential", "promoted", 0.0, 0, 0),
        ("threshold", "promoted", 0.0, 0, 0),
        ("mannwhitney", "promoted", 0.0, 0, 0),
    ]


def test_out_keeps_the_chosen_judge_s_rollouts(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    out_file = tmp_path / "rollouts.csv"  # type: ignore[operator]
    code, _out, err = run_cli(
        capsys, "simulate", "--scenario", str(BUSY), "--rollout", "--strategy", "aggressive",
        "--set", "temperature=0.3", "--inject", "error=+0.1", "--replicas", "2",
        "--duration", "10m", "--out", str(out_file),
    )  # fmt: skip
    assert code == 0, err
    rows = pd.read_csv(out_file)
    assert sorted(rows["replica"].unique()) == [0, 1]
    assert set(rows["variant"]) == {"stable", "canary"}
    canary = rows[rows["variant"] == "canary"]
    stable = rows[rows["variant"] == "stable"]
    assert canary["error"].mean() > stable["error"].mean() + 0.05

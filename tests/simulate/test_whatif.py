"""What-if runs against cases with a known answer, and common random numbers."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd

import simulator
from autoopt.simulate import run, what_if
from autoopt.simulate.scenarios import load_scenario, with_stable, with_window
from tests.simulate.helpers import TWO_MODELS


def slow_params(scenario: simulator.Scenario) -> simulator.Params:
    return scenario.spec.variants.stable.params.model_copy(update={"model": "slow"})


def test_twice_the_time_per_token_gives_the_latency_theory_says() -> None:
    scenario = load_scenario(TWO_MODELS)
    result, frame = what_if(scenario, slow_params(scenario), candidate_version="v8", seed=11)

    stable = frame[frame["version"] == "v7"]
    q50 = float(np.quantile(stable["tokens_out"].to_numpy(float), 0.5))
    # latency = 100 ms + per-token time × tokens: an affine map of the same tokens, so the
    # candidate's median is exactly 100 + 20·q against 100 + 10·q
    exact = (100 + 20 * q50) / (100 + 10 * q50) - 1
    delta = result.row("latency_p50_ms").delta
    assert delta is not None
    assert math.isclose(delta.value, exact, rel_tol=1e-9)
    # and close to the population value: the median of lognormal(200, 0.6) tokens is 200
    assert math.isclose(delta.value, 4100 / 2100 - 1, rel_tol=0.02)
    assert delta.low < delta.value < delta.high


def test_the_cost_ratio_is_the_price_ratio_on_the_same_requests() -> None:
    scenario = load_scenario(TWO_MODELS)
    result, frame = what_if(scenario, slow_params(scenario), candidate_version="v8", seed=5)

    cost = result.row("cost_per_request")
    assert cost.delta is not None and math.isclose(cost.delta.value, 2.0, rel_tol=1e-12)
    per_request = frame.pivot_table(
        index=frame.groupby("version").cumcount(), columns="version", values="cost_usd"
    )
    np.testing.assert_allclose(per_request["v8"], 3 * per_request["v7"], rtol=1e-12)
    assert result.row("tokens_out_mean").delta.value == 0.0  # type: ignore[union-attr]
    assert result.row("error_rate").delta.value == 0.0  # type: ignore[union-attr]


def test_the_stable_arm_of_a_what_if_is_the_plain_run_with_the_same_seed() -> None:
    scenario = with_window(
        simulator.load_scenario(simulator.scenario_path("steady")), timedelta(minutes=5)
    )
    candidate = scenario.spec.variants.stable.params.model_copy(update={"max_tokens": 128})
    _result, frame = what_if(scenario, candidate, candidate_version="small", seed=42, replicas=2)
    plain = run(scenario, seed=42).frame

    first = frame[(frame["replica"] == 0) & (frame["version"] == "v7")].drop(columns="replica")
    pd.testing.assert_frame_equal(first.reset_index(drop=True), plain)
    other = frame[(frame["replica"] == 0) & (frame["version"] == "small")]
    assert other["timestamp"].tolist() == plain["timestamp"].tolist()
    assert other["tokens_in"].tolist() == plain["tokens_in"].tolist()
    assert (other["tokens_out"].to_numpy() == np.minimum(plain["tokens_out"], 128)).all()
    second = frame[(frame["replica"] == 1) & (frame["version"] == "v7")]
    assert len(second) != len(plain) or second["timestamp"].tolist() != plain["timestamp"].tolist()


def test_replicas_give_t_intervals_that_cover_the_truth() -> None:
    scenario = with_window(load_scenario(TWO_MODELS), timedelta(minutes=2))
    result, _frame = what_if(
        scenario, slow_params(scenario), candidate_version="v8", seed=3, replicas=6
    )
    assert result.replicas == 6
    latency = result.row("latency_p50_ms").delta
    assert latency is not None and latency.low < 4100 / 2100 - 1 < latency.high
    cost = result.row("cost_per_request").delta
    assert cost is not None and math.isclose(cost.value, 2.0) and cost.high - cost.low < 1e-9


def test_a_scenario_with_a_canary_is_compared_on_its_stable_alone() -> None:
    scenario = simulator.load_scenario(simulator.scenario_path("canary-quality-drop"))
    scenario = with_window(scenario, timedelta(minutes=30))
    stable = scenario.spec.variants.stable
    candidate = stable.params.model_copy(update={"max_tokens": 64})
    result, frame = what_if(scenario, candidate, candidate_version="short", seed=1)
    assert set(frame["version"]) == {stable.version, "short"}
    assert set(frame["variant"]) == {"stable"}
    alone = with_stable(scenario, stable.params, stable.version)
    assert alone.spec.variants.canary is None and alone.spec.rollout is None
    assert result.row("tokens_out_mean").delta.value < 0  # type: ignore[union-attr]

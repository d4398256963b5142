"""Calibration: simulating the fitted scenario reproduces what was observed.

Each summary of the re-simulation must fall inside the confidence interval of the difference
between two independent samples of the observed size (99.9%, normal approximation; for
percentiles the order-statistic interval), i.e. be statistically indistinguishable.
"""

# Tests import their heavy libraries directly.
# ruff: noqa: TID253

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sim_helpers import make

from simulator import calibrate, load_scenario, run_scenario, scenario_path

Z = 3.29  # two-sided 99.9%


def observed() -> pd.DataFrame:
    spec = {
        "duration": "1h",
        "traffic": {"rate": 8},
        "variants": {"stable": {"params": {"max_tokens": 180}}},
        "models": {"big": {"error_rate": 0.04, "concurrency": 12}},
    }
    return run_scenario(make(spec), seed=21).frame


def mean_ci_ok(a: np.ndarray, b: np.ndarray) -> bool:
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return bool(abs(a.mean() - b.mean()) <= Z * se)


def quantile_ci_ok(obs: np.ndarray, sim: np.ndarray, q: float) -> bool:
    """``sim``'s quantile lies within the order-statistic interval of ``obs``'s (widened √2)."""
    n, s = obs.size, np.sort(obs)
    half = Z * np.sqrt(2 * n * q * (1 - q))
    lo, hi = s[max(int(n * q - half), 0)], s[min(int(n * q + half), n - 1)]
    return bool(lo <= np.quantile(sim, q) <= hi)


def test_simulating_the_calibrated_scenario_reproduces_the_summaries() -> None:
    obs = observed()
    fitted = calibrate(obs)
    sim = run_scenario(fitted, seed=22).frame
    assert abs(len(sim) - len(obs)) <= Z * np.sqrt(2 * len(obs))
    assert mean_ci_ok(obs["error"].to_numpy(float), sim["error"].to_numpy(float))
    assert mean_ci_ok(obs["truncated"].to_numpy(float), sim["truncated"].to_numpy(float))
    ok_obs, ok_sim = obs[~obs["error"]], sim[~sim["error"]]
    for q in (0.5, 0.95):
        assert quantile_ci_ok(ok_obs["latency_ms"].to_numpy(), ok_sim["latency_ms"].to_numpy(), q)
    assert mean_ci_ok(obs["cost_usd"].to_numpy(), sim["cost_usd"].to_numpy())
    assert mean_ci_ok(ok_obs["quality"].to_numpy(), ok_sim["quality"].to_numpy())


def test_calibration_recovers_the_model_parameters() -> None:
    obs = observed()
    model = calibrate(obs).spec.models["big"]
    assert model.price.input_per_1k == pytest.approx(0.0025, rel=1e-6)
    assert model.price.output_per_1k == pytest.approx(0.01, rel=1e-6)
    assert model.per_token_ms == pytest.approx(10, rel=0.05)
    assert model.error_rate == pytest.approx(obs["error"].mean())
    assert calibrate(obs).spec.variants.stable.params.max_tokens == 180


def test_a_day_of_data_gives_the_hourly_profile() -> None:
    original = load_scenario(scenario_path("diurnal"))
    obs = run_scenario(original, seed=23).frame
    traffic = calibrate(obs).spec.traffic
    assert traffic.profile is not None and original.spec.traffic.profile is not None
    fitted = traffic.rate * np.asarray(traffic.profile) * 3600
    truth = 1.0 * np.asarray(original.spec.traffic.profile) * 3600
    assert (np.abs(fitted - truth) < 4 * np.sqrt(truth)).all()


def test_several_services_need_a_choice() -> None:
    obs = observed()
    two = pd.concat([obs, obs.assign(service="other")], ignore_index=True)
    with pytest.raises(ValueError, match=r"several services \(chat, other\); pick one"):
        calibrate(two)
    assert calibrate(two, service="other").spec.service == "other"

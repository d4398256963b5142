"""The engine against queueing and Poisson theory, and its determinism."""

# Tests import their heavy libraries directly.
# ruff: noqa: TID253

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sim_helpers import make

from simulator import run_scenario


def erlang_c(c: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``offered`` = λ/μ."""
    head = sum(offered**k / math.factorial(k) for k in range(c))
    tail = offered**c / math.factorial(c) / (1 - offered / c)
    return tail / (head + tail)


def waits(c: int, rate: float, duration: str, seed: int) -> np.ndarray:
    """Queueing delay per request (s): the same run with and without the concurrency limit.

    Both runs draw the same arrivals and service times (same seed, no retries), so the latency
    difference is exactly the time spent waiting for a server.
    """
    model = {"ttft_ms": {"dist": "exponential", "mean": 1000}, "per_token_ms": 0}
    spec = {"duration": duration, "traffic": {"rate": rate}, "models": {"big": model}}
    limited = run_scenario(make(spec | {"models": {"big": model | {"concurrency": c}}}), seed=seed)
    free = run_scenario(make(spec), seed=seed)
    return (limited.frame["latency_ms"] - free.frame["latency_ms"]).to_numpy() / 1000.0


def test_mm2_mean_wait_matches_erlang_c() -> None:
    # M/M/2 at ρ = 0.5 over 20 days (≈1.7M requests): the relative standard error of the mean
    # wait is ≈0.4% (measured over seeds), so 2% is a five-sigma bound.
    c, rate = 2, 1.0
    w = waits(c, rate, "20d", seed=11)
    theory = erlang_c(c, rate) / (c - rate)
    assert abs(w.mean() / theory - 1) < 0.02


def test_mm4_probability_of_waiting_matches_erlang_c() -> None:
    c, rate = 4, 3.0
    w = waits(c, rate, "2d", seed=5)
    assert abs(np.mean(w > 0) - erlang_c(c, rate)) < 0.02
    assert w.min() >= 0.0


def test_arrivals_per_minute_have_poisson_dispersion() -> None:
    frame = run_scenario(make({"duration": "10h", "traffic": {"rate": 5}}), seed=3).frame
    counts = frame.groupby(frame["timestamp"].dt.floor("1min")).size().to_numpy()
    assert counts.size == 600
    # var/mean of 600 Poisson(300) counts has sd ≈ sqrt(2/599) ≈ 0.058: allow ±0.25 (≈4 sd).
    assert abs(counts.var(ddof=1) / counts.mean() - 1) < 0.25
    assert abs(counts.mean() / 300 - 1) < 0.01


def test_daily_profile_is_reproduced_hour_by_hour() -> None:
    profile = [0.2, 0.2, 0.2, 0.3, 0.5, 0.8, 1.2, 1.5, 1.6, 1.6, 1.5, 1.4,
               1.3, 1.4, 1.5, 1.5, 1.4, 1.3, 1.2, 1.0, 0.8, 0.6, 0.4, 0.3]  # fmt: skip
    scenario = make({"duration": "1d", "traffic": {"rate": 1.0, "profile": profile}})
    frame = run_scenario(scenario, seed=4).frame
    counts = frame.groupby(frame["timestamp"].dt.hour).size().reindex(range(24)).to_numpy()
    expected = 3600 * np.asarray(profile)
    assert (np.abs(counts - expected) < 4 * np.sqrt(expected)).all()


def test_bursts_multiply_the_rate_inside_their_window() -> None:
    burst = {"at": "20m", "duration": "10m", "multiplier": 4}
    scenario = make({"duration": "1h", "traffic": {"rate": 2, "bursts": [burst]}})
    t = run_scenario(scenario, seed=8).frame["timestamp"]
    minutes = (t - pd.Timestamp("2026-11-25T00:00:00Z")).dt.total_seconds() / 60
    inside = ((minutes >= 20) & (minutes < 30)).sum()
    outside = len(t) - inside
    assert abs(inside - 4 * 2 * 600) < 4 * math.sqrt(4800)
    assert abs(outside - 2 * 3000) < 4 * math.sqrt(6000)


def test_same_seed_same_frame_different_seed_different_frame() -> None:
    spec = {
        "variants": {
            "stable": {
                "version": "v1",
                "params": {"model": "big", "retries": 2, "fallbacks": ["small"]},
            },
            "canary": {"version": "v2", "params": {"model": "small"}, "weight": 30},
        },
        "models": {"big": {"error_rate": 0.1, "concurrency": 2}},
    }
    scenario = make(spec)
    a = run_scenario(scenario, seed=1)
    b = run_scenario(scenario, seed=1)
    c = run_scenario(scenario, seed=2)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.events == b.events
    assert len(a.frame) != len(c.frame) or not a.frame.equals(c.frame)
    assert a.seed == 1

"""Theil–Sen and Mann–Kendall against scipy; CUSUM change points on series with known truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from autoopt.analyze.trend import change_points, mann_kendall, theil_sen, trend

HOUR = 3600.0


@pytest.mark.parametrize("seed", range(20))
def test_theil_sen_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 200))
    t = np.arange(n) * HOUR
    y = 0.002 * rng.normal() * t / HOUR + rng.standard_t(3, n)
    if seed % 3 == 0:
        y = np.round(y)  # ties in y
    slope, intercept, low, high = theil_sen(t, y)
    ref = stats.theilslopes(y, t, alpha=0.95)
    assert slope == pytest.approx(ref.slope, abs=1e-15)
    assert intercept == pytest.approx(ref.intercept, abs=1e-9)
    assert (low, high) == pytest.approx((ref.low_slope, ref.high_slope), abs=1e-15)


@pytest.mark.parametrize("seed", range(20))
def test_mann_kendall_is_kendalls_tau_against_time(seed: int) -> None:
    rng = np.random.default_rng(50 + seed)
    n = int(rng.integers(3, 300))
    y = np.cumsum(rng.normal(size=n)) * 0.1 + rng.normal(size=n)
    if seed % 2:
        y = np.round(y, 0)
    _s, _z, p, tau = mann_kendall(y)
    ref = stats.kendalltau(np.arange(n), y, method="asymptotic")
    assert tau == pytest.approx(ref.statistic, rel=1e-9, abs=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_mann_kendall_statistic_by_brute_force() -> None:
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    brute = sum(np.sign(y[j] - y[i]) for i in range(8) for j in range(i + 1, 8))
    assert mann_kendall(y)[0] == brute


def test_trend_direction_on_series_with_known_slope() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(168) * HOUR
    up = trend(t, 100 + 0.2 * np.arange(168) + rng.normal(0, 2, 168))
    down = trend(t, 100 - 0.2 * np.arange(168) + rng.normal(0, 2, 168))
    flat = trend(t, 100 + rng.normal(0, 2, 168))
    assert up is not None and down is not None and flat is not None
    assert (up.direction, down.direction, flat.direction) == ("increasing", "decreasing", "none")
    assert up.slope_low <= 0.2 / HOUR <= up.slope_high  # the interval covers the true slope
    assert flat.slope_low <= 0.0 <= flat.slope_high


def test_mann_kendall_false_trend_rate_is_its_level() -> None:
    """On 2,000 trendless series the test calls a trend about 5% of the time."""
    rng = np.random.default_rng(9)
    y = rng.normal(size=(2000, 48))
    rate = np.mean([mann_kendall(row)[2] < 0.05 for row in y])
    assert 0.035 <= rate <= 0.065


def test_a_known_change_point_is_found_with_its_time_and_size() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(120) * HOUR
    y = np.where(np.arange(120) < 70, 1500.0, 1800.0) + rng.normal(0, 60, 120)
    found = change_points(t, y)
    assert len(found) == 1
    assert abs(found[0].index - 70) <= 1
    assert found[0].time == pytest.approx(t[found[0].index])
    assert found[0].size == pytest.approx(300, abs=40)
    assert found[0].relative == pytest.approx(0.2, abs=0.03)


def test_two_changes_are_both_found() -> None:
    rng = np.random.default_rng(5)
    level = np.concatenate([np.full(50, 10.0), np.full(40, 14.0), np.full(50, 9.0)])
    found = change_points(np.arange(140) * HOUR, level + rng.normal(0, 1, 140))
    assert [abs(c.index - want) <= 2 for c, want in zip(found, (50, 90), strict=True)] == [
        True,
        True,
    ]
    assert [round(c.size) for c in found] == [4, -5]


def test_no_change_gives_few_false_alarms() -> None:
    """Series without a change: a change is reported in at most about ``level`` of them."""
    rng = np.random.default_rng(6)
    t = np.arange(168) * HOUR
    alarms = sum(bool(change_points(t, rng.normal(0, 1, 168), level=0.01)) for _ in range(400))
    assert alarms / 400 <= 0.01 + 3 * np.sqrt(0.01 * 0.99 / 400)


def test_short_or_constant_series_have_no_change_points() -> None:
    assert change_points(np.arange(4.0), np.arange(4.0)) == ()
    assert change_points(np.arange(30.0), np.full(30, 2.0)) == ()

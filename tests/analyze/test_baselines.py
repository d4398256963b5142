"""Baseline comparisons: the right test per metric, changes, the family correction, peaks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from autoopt.analyze.baselines import Pinned, compare, corrected, peak_windows
from autoopt.analyze.series import Sample, Series
from autoopt.analyze.significance import Moments

HOUR = 3600.0


def _sample(
    rng: np.random.Generator, n: int, error_rate: float, latency: float, quality: float
) -> Sample:
    errors = int(rng.binomial(n, error_rate))
    lat = rng.lognormal(np.log(latency), 0.4, n - errors)
    q = rng.normal(quality, 5.0, n // 5)
    cost = rng.lognormal(np.log(0.01), 0.5, n)
    means = {"quality": Moments.of(q), "cost_per_request": Moments.of(cost)}
    return Sample("x", 0.0, 1.0, n, errors, lat, means)


def test_each_metric_gets_its_test_and_the_changes_are_right() -> None:
    rng = np.random.default_rng(1)
    current, reference = _sample(rng, 4000, 0.03, 1300, 88), _sample(rng, 4000, 0.01, 1000, 90)
    found = {c.metric: c for c in compare("rolling", current, reference)}
    assert {m: c.test for m, c in found.items()} == {
        "error_rate": "two_proportions",
        "latency_p50_ms": "mann_whitney",
        "latency_p95_ms": "mann_whitney",
        "latency_p99_ms": "mann_whitney",
        "cost_per_request": "welch",
        "quality": "welch",
    }
    err = found["error_rate"]
    assert err.change == pytest.approx(current.error_rate - reference.error_rate)
    assert err.relative == pytest.approx(err.change / reference.error_rate)
    assert err.direction == "worse"
    assert found["quality"].direction == "worse"
    mw = stats.mannwhitneyu(current.latencies_ms, reference.latencies_ms, method="asymptotic")
    assert found["latency_p95_ms"].p_value == pytest.approx(mw.pvalue, rel=1e-9, abs=1e-300)
    assert found["latency_p95_ms"].current == pytest.approx(
        np.quantile(current.latencies_ms, 0.95, method="inverted_cdf")
    )


def test_the_family_correction_counts_a_shared_test_once() -> None:
    rng = np.random.default_rng(2)
    current, reference = _sample(rng, 3000, 0.02, 1000, 90), _sample(rng, 3000, 0.02, 1000, 90)
    raw = compare("rolling", current, reference)
    baseline = corrected("rolling", "the last 7 days", raw, level=0.05, correction="bonferroni")
    family = 4  # error rate, latency (one Mann–Whitney), cost, quality
    for before, after in zip(raw, baseline.comparisons, strict=True):
        assert after.adjusted == pytest.approx(min(1.0, before.p_value * family))


def test_a_real_regression_is_significant_and_noise_is_not() -> None:
    rng = np.random.default_rng(3)
    worse = _sample(rng, 5000, 0.04, 1200, 85)
    same = _sample(rng, 5000, 0.02, 1000, 90)
    ref = _sample(rng, 5000, 0.02, 1000, 90)
    bad = corrected("rolling", "r", compare("rolling", worse, ref), level=0.05, correction="holm")
    good = corrected("rolling", "r", compare("rolling", same, ref), level=0.05, correction="holm")
    assert {c.metric for c in bad.regressions} >= {"error_rate", "latency_p95_ms", "quality"}
    assert good.regressions == ()


def test_false_alarms_per_baseline_stay_at_the_level() -> None:
    """400 healthy comparisons: a baseline reports some significant change in ≤ ~5%."""
    rng = np.random.default_rng(4)
    alarms = 0
    for _ in range(400):
        a, b = _sample(rng, 400, 0.02, 1000, 90), _sample(rng, 400, 0.02, 1000, 90)
        found = corrected("rolling", "r", compare("rolling", a, b), level=0.05, correction="holm")
        alarms += any(c.significant for c in found.comparisons)
    assert alarms / 400 <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 400)


def test_pinned_values_use_one_sample_tests() -> None:
    rng = np.random.default_rng(5)
    quality = rng.normal(89.5, 5.0, 600)
    latencies = rng.lognormal(np.log(1000), 0.4, 2940)
    current = Sample("x", 0, 1, 3000, 60, latencies, {"quality": Moments.of(quality)})
    golden = Pinned("golden", {"error_rate": 0.01, "latency_p95_ms": 1500.0, "quality": 90.0})
    found = {c.metric: c for c in compare("golden", current, golden)}
    assert set(found) == {"error_rate", "latency_p95_ms", "quality"}
    z = (0.02 - 0.01) / np.sqrt(0.01 * 0.99 / 3000)
    assert found["error_rate"].test == "one_proportion"
    assert found["error_rate"].p_value == pytest.approx(2 * stats.norm.sf(z))
    share = np.mean(latencies > 1500.0)  # the pinned p95 should have 5% of requests above it
    z95 = (share - 0.05) / np.sqrt(0.05 * 0.95 / latencies.size)
    assert found["latency_p95_ms"].test == "quantile_share"
    assert found["latency_p95_ms"].p_value == pytest.approx(2 * stats.norm.sf(abs(z95)))
    assert found["quality"].test == "one_sample_t"
    assert found["quality"].p_value == pytest.approx(stats.ttest_1samp(quality, 90.0).pvalue)


def test_peak_is_the_best_window_before_the_current_one() -> None:
    times = np.arange(72) * HOUR
    errors = np.full(72, 0.02)
    errors[20:44] = 0.01  # the best day: hours 20..43
    errors[60:] = 0.0  # better still, but inside the current stretch
    series = {"error_rate": Series.build("error_rate", times, errors, np.full(72, 100), HOUR)}
    assert peak_windows(series, 24 * HOUR, before=48 * HOUR) == {
        "error_rate": (20 * HOUR, 44 * HOUR)
    }


def test_nothing_to_compare_is_said() -> None:
    empty = Sample("x", 0, 1, 0, 0, np.array([]))
    baseline = corrected(
        "initial",
        "v7's first week",
        compare("initial", empty, empty),
        level=0.05,
        correction="holm",
    )
    assert baseline.unavailable == "nothing measured on both sides"

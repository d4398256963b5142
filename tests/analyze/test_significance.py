"""The tests behind the baseline comparisons, against scipy and against theory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from autoopt.analyze.significance import (
    Moments,
    adjust,
    mann_whitney,
    one_proportion,
    one_sample_t,
    two_proportions,
    welch,
)

SEEDS = range(25)


@pytest.mark.parametrize("seed", SEEDS)
def test_welch_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, rng.uniform(0.2, 1.5), rng.integers(2, 400))
    b = rng.lognormal(0.1, rng.uniform(0.2, 1.5), rng.integers(2, 400))
    ours = welch(Moments.of(a), Moments.of(b))
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-300)


def test_welch_from_sums_equals_welch_from_values() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(5, 2, 300), rng.normal(5.3, 1, 200)
    merged = Moments.from_sums(a.size, float(a.sum()), float((a * a).sum()))
    assert merged.mean == pytest.approx(Moments.of(a).mean)
    assert merged.var == pytest.approx(Moments.of(a).var, rel=1e-9)
    assert welch(merged, Moments.of(b)).p_value == pytest.approx(
        welch(Moments.of(a), Moments.of(b)).p_value, rel=1e-8
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_mann_whitney_matches_scipy_with_and_without_ties(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    x = rng.lognormal(6.0, 0.5, rng.integers(1, 300))
    y = rng.lognormal(6.05, 0.5, rng.integers(1, 300))
    if seed % 2:  # latencies rounded to 50 ms: many ties
        x, y = np.round(x / 50) * 50, np.round(y / 50) * 50
    ours = mann_whitney(x, y)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert ours.statistic == pytest.approx(ref.statistic)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_mann_whitney_all_tied_is_not_significant() -> None:
    assert mann_whitney(np.full(10, 3.0), np.full(12, 3.0)).p_value == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_two_proportions_matches_the_chi_squared_test(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    n1, n2 = (int(v) for v in rng.integers(20, 5000, 2))
    k1, k2 = int(rng.binomial(n1, 0.03)) + 1, int(rng.binomial(n2, 0.04)) + 1
    ours = two_proportions(k1, n1, k2, n2)
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    chi2, p, _dof, _exp = stats.chi2_contingency(table, correction=False)
    assert ours.statistic**2 == pytest.approx(chi2, rel=1e-9)
    assert ours.p_value == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_one_sample_t_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    a = rng.normal(88, 6, rng.integers(2, 300))
    ours = one_sample_t(Moments.of(a), 89.0)
    ref = stats.ttest_1samp(a, 89.0)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-8)


def test_one_proportion_holds_its_level_under_the_null() -> None:
    """The score test rejects a true p0 at about its nominal rate (simulated, 20,000 runs)."""
    rng = np.random.default_rng(11)
    for n, p0 in ((500, 0.05), (2000, 0.01)):
        k = rng.binomial(n, p0, 20_000)
        rejected = np.mean([one_proportion(int(v), n, p0).p_value < 0.05 for v in k])
        assert 0.035 <= rejected <= 0.065, (n, p0, rejected)


def _holm_brute(p: list[float]) -> list[float]:
    """Holm by definition: reject H_(i) at level a iff p_(j)·(m−j+1) ≤ a for every j ≤ i."""
    m, order = len(p), sorted(range(len(p)), key=lambda i: p[i])
    out = [0.0] * m
    for rank, index in enumerate(order):
        out[index] = min(1.0, max(p[order[j]] * (m - j) for j in range(rank + 1)))
    return out


def _bh_brute(p: list[float]) -> list[float]:
    m, order = len(p), sorted(range(len(p)), key=lambda i: p[i])
    out = [0.0] * m
    for rank, index in enumerate(order):
        out[index] = min(1.0, *(p[order[j]] * m / (j + 1) for j in range(rank, m)))
    return out


@pytest.mark.parametrize("seed", range(10))
def test_corrections_match_their_definitions(seed: int) -> None:
    rng = np.random.default_rng(400 + seed)
    p = rng.uniform(0, 0.2, rng.integers(1, 9)).tolist()
    assert adjust(np.array(p), "holm") == pytest.approx(_holm_brute(p))
    assert adjust(np.array(p), "bh") == pytest.approx(_bh_brute(p))
    assert adjust(np.array(p), "bonferroni") == pytest.approx([min(1, v * len(p)) for v in p])
    assert adjust(np.array(p), "none") == pytest.approx(p)


def test_nan_p_values_do_not_count_in_the_family() -> None:
    out = adjust(np.array([0.01, np.nan, 0.02]), "bonferroni")
    assert np.isnan(out[1])
    assert out[[0, 2]] == pytest.approx([0.02, 0.04])


def test_holm_keeps_the_family_wise_error_rate() -> None:
    """Five true nulls, 4,000 families: P(any rejection) ≤ level (Holm) — simulated."""
    rng = np.random.default_rng(5)
    p = rng.uniform(size=(4000, 5))
    any_holm = np.mean([bool((adjust(row, "holm") < 0.05).any()) for row in p])
    any_raw = np.mean((p < 0.05).any(axis=1))
    assert any_holm <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 4000)
    assert any_raw > 0.2  # without the correction, one in five families has a false alarm


def test_identical_arms_are_not_different() -> None:
    same = Moments(50, 1.0, 0.0)
    assert welch(same, same).p_value == 1.0
    assert two_proportions(0, 100, 0, 100).p_value == 1.0
    assert np.isnan(welch(Moments(1, 1.0, float("nan")), same).p_value)  # one value: no test

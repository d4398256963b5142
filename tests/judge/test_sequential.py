"""The boundary maths against theory: published O'Brien–Fleming values, closed forms, and
Monte Carlo of the Gaussian score process the boundaries are drawn for."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from autoopt.decide.sequential import (
    critical_value,
    crossing_probability,
    design,
    discrete_bounds,
    fixed_sample_z,
    obf_spending,
)


def test_spending_function_is_the_lan_demets_obrien_fleming_function() -> None:
    # α(t) = 2 − 2Φ(z_{1−α/2}/√t), alpha = 0.025, cumulative error spent at t = 0.2 … 1.0
    got = [obf_spending(t, 0.025) for t in (0.2, 0.4, 0.6, 0.8, 1.0)]
    expected = [2 * norm.sf(norm.isf(0.0125) / math.sqrt(t)) for t in (0.2, 0.4, 0.6, 0.8, 1.0)]
    assert got == pytest.approx(expected, rel=1e-9)
    assert got == pytest.approx([5.4e-7, 0.000394, 0.003808, 0.012212, 0.025], abs=1e-6)
    assert obf_spending(0.0, 0.025) == 0.0
    assert obf_spending(2.0, 0.025) == pytest.approx(0.025)


def test_discrete_boundaries_match_published_obrien_fleming_values() -> None:
    # Lan–DeMets O'Brien–Fleming, one-sided 0.025 (Jennison & Turnbull; gsDesign; ldbounds)
    five = discrete_bounds([0.2, 0.4, 0.6, 0.8, 1.0], 0.025)
    assert five == pytest.approx([4.8769, 3.3569, 2.6803, 2.2898, 2.0310], abs=2e-3)
    two = discrete_bounds([0.5, 1.0], 0.025)
    assert two == pytest.approx([2.9626, 1.9686], abs=2e-3)


def test_crossing_probability_closed_form_and_its_inverse() -> None:
    # the flat part alone is the reflection principle: 2(1 − Φ(c)); the fixed cut after
    # I_max adds (1 − Φ(c)) − exp(4c²)Φ(−3c)
    for c in (1.0, 1.5, 2.0, 3.0):
        direct = 3 * norm.sf(c) - math.exp(4 * c * c) * norm.cdf(-3 * c)
        assert crossing_probability(c) == pytest.approx(direct, rel=1e-9)
    for level in (0.01, 0.05 / 3, 0.05, 0.2, 0.4):
        assert crossing_probability(critical_value(level)) == pytest.approx(level, rel=1e-9)
    assert critical_value(0.05) == pytest.approx(2.07264, abs=1e-4)
    assert critical_value(0.20) == pytest.approx(1.42237, abs=1e-4)
    with pytest.raises(ValueError):
        critical_value(0.6)


def test_design_boundaries_meet_at_max_information_and_freeze_after() -> None:
    plan = design(0.05, 0.2, 0.05)
    assert plan.max_information == pytest.approx(((2.07264 + 1.42237) / 0.05) ** 2, rel=1e-4)
    at_max = plan.max_information
    assert plan.rollback_at(at_max) == pytest.approx(plan.promote_at(at_max))
    assert plan.rollback_at(4 * at_max) == pytest.approx(plan.meeting_point)
    assert plan.promote_at(4 * at_max) == pytest.approx(plan.meeting_point)
    # before I_max: flat on the score scale, i.e. c/√t on the z scale
    info = at_max / 4
    z = plan.rollback_at(info) * math.sqrt(info)
    assert z == pytest.approx(plan.c_alpha / math.sqrt(0.25))
    assert plan.rollback_at(0.0) == math.inf
    assert plan.promote_at(0.0) == -math.inf
    assert fixed_sample_z(0.05, 0.2) == pytest.approx(1.64485 + 0.84162, abs=1e-4)
    with pytest.raises(ValueError):
        design(0.05, 0.2, 0.0)


def _score_paths(rng: np.random.Generator, paths: int, looks: np.ndarray, drift: float):
    steps = np.diff(np.concatenate([[0.0], looks]))
    increments = rng.standard_normal((paths, looks.size)) * np.sqrt(steps) + drift * steps
    return np.cumsum(increments, axis=1)  # S at each look: Brownian motion with drift δ


@pytest.mark.parametrize("count", [4, 300])
def test_error_rates_hold_for_any_looks(count: int) -> None:
    """Gaussian score process at ``count`` random looks up to 3·I_max: P(ever rollback | δ=0)
    ≤ α and P(ever promote | δ=Δ) ≤ β; with dense looks the rates come close to α and β."""
    rng = np.random.default_rng(20261125)
    plan = design(0.05, 0.2, 1.0)
    looks = np.sort(rng.uniform(0.02, 1, count)) * 3 * plan.max_information
    rollback_at = np.array([plan.rollback_at(i) for i in looks])
    promote_at = np.array([plan.promote_at(i) for i in looks])
    paths = 20_000
    healthy = _score_paths(rng, paths, looks, 0.0) / looks
    at_trigger = _score_paths(rng, paths, looks, plan.margin) / looks
    false_rollback = (healthy >= rollback_at).any(axis=1).mean()
    missed = (at_trigger <= promote_at).any(axis=1).mean()
    assert false_rollback <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / paths)
    assert missed <= 0.20 + 3 * math.sqrt(0.20 * 0.80 / paths)
    if count > 100:  # dense looks approach the continuous bound: the design is not wasteful
        assert false_rollback >= 0.7 * 0.05
        assert missed >= 0.7 * 0.20
    decided = (healthy[:, -1] >= rollback_at[-1]) | (healthy[:, -1] <= promote_at[-1])
    assert decided.all()  # past I_max every look decides


@given(
    alpha=st.floats(0.001, 0.3),
    beta=st.floats(0.01, 0.4),
    margin=st.floats(1e-3, 5.0),
    a=st.floats(1e-3, 1e7),
    b=st.floats(1e-3, 1e7),
)
def test_boundaries_tighten_monotonically_and_never_cross(
    alpha: float, beta: float, margin: float, a: float, b: float
) -> None:
    plan = design(alpha, beta, margin)
    low, high = sorted((a, b))
    assert plan.rollback_at(high) <= plan.rollback_at(low)
    assert plan.promote_at(high) >= plan.promote_at(low)
    assert plan.promote_at(low) <= plan.rollback_at(low) * (1 + 1e-12)
    assert 0 < plan.meeting_point < margin
    assert plan.rollback_at(low) >= plan.meeting_point * (1 - 1e-12)

"""Budget burn: calendar periods, the daily profile, projections, and the rate's coverage."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from autoopt.analyze.budget import (
    DAY,
    HOUR,
    Limit,
    Spend,
    burn,
    current_rate,
    hourly_profile,
    period_bounds,
    profile_mass,
)


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_period_bounds_are_calendar_periods_in_utc() -> None:
    now = _at("2026-11-25T15:30:00")  # a Wednesday
    assert period_bounds("daily", now) == (_at("2026-11-25T00:00:00"), _at("2026-11-26T00:00:00"))
    assert period_bounds("weekly", now) == (_at("2026-11-23T00:00:00"), _at("2026-11-30T00:00:00"))
    assert period_bounds("monthly", now) == (_at("2026-11-01T00:00:00"), _at("2026-12-01T00:00:00"))
    assert period_bounds("monthly", _at("2026-12-31T23:59:00"))[1] == _at("2027-01-01T00:00:00")


def test_profile_mass_by_hand() -> None:
    profile = np.zeros(24)
    profile[12] = 0.5
    profile[13] = 0.5
    assert profile_mass(profile, 0, DAY) == pytest.approx(1.0)
    assert profile_mass(profile, 12.5 * HOUR, 13.5 * HOUR) == pytest.approx(0.5)
    assert profile_mass(profile, 23 * HOUR, DAY + 12.5 * HOUR) == pytest.approx(0.25)
    assert profile_mass(profile, 5 * HOUR, 3 * DAY + 5 * HOUR) == pytest.approx(3.0)


def _flat_spend(days: float, per_hour: float, start: float = 0.0) -> Spend:
    times = start + np.arange(int(days * 24)) * HOUR
    cost = np.full(times.size, per_hour)
    return Spend(times, cost, np.full(times.size, per_hour * 0.01), HOUR)


def test_a_steady_spend_runs_out_when_arithmetic_says() -> None:
    """$2/h all day: at 10:00 $20 spent of $30; the limit is reached at 15:00 exactly."""
    start = _at("2026-11-20T00:00:00")
    spend = _flat_spend(5 + 10 / 24, 2.0, start)
    now = _at("2026-11-25T10:00:00")
    state = burn(spend, Limit("daily", 30.0), now)
    assert state.spent == pytest.approx(20.0)
    assert state.alert == 0.5  # 67%: past 50, not yet 75
    assert state.rate.per_day == pytest.approx(48.0)
    assert state.projected == pytest.approx(48.0)
    assert state.projected_alert == 1.0
    assert state.exhausts_at == pytest.approx(_at("2026-11-25T15:00:00"))
    assert state.exhausts_earliest is not None and state.exhausts_latest is not None
    assert state.exhausts_earliest <= state.exhausts_at <= state.exhausts_latest


def test_the_daily_profile_moves_the_projection() -> None:
    """Spend only in the afternoon: a quiet morning does not mean a quiet day."""
    start = _at("2026-11-18T00:00:00")
    times = start + np.arange(7 * 24 + 10) * HOUR
    hours = (times % DAY) // HOUR
    cost = np.where((hours >= 12) & (hours < 18), 10.0, 0.5)
    spend = Spend(times, cost, cost * 0.01, HOUR)
    now = start + (7 * 24 + 10) * HOUR  # 10:00 on the eighth day
    profile = hourly_profile(spend, now - 10 * HOUR)
    assert profile[14] / profile[3] == pytest.approx(10.0 / 0.5, rel=0.1)
    state = burn(spend, Limit("daily", 100.0), now)
    assert state.projected == pytest.approx(5.0 + 6 * 10.0 + 8 * 0.5, rel=0.05)
    assert state.exhausts_at is None  # 69: not today


def test_already_exhausted_says_when() -> None:
    start = _at("2026-11-25T00:00:00")
    spend = _flat_spend(10 / 24, 5.0, start)
    state = burn(spend, Limit("daily", 20.0), start + 10 * HOUR)
    assert state.alert == 1.0
    assert state.exhausted_at == pytest.approx(start + 4 * HOUR)
    assert state.exhausts_at is None


def test_weekly_and_monthly_limits_use_the_whole_period() -> None:
    start = _at("2026-11-01T00:00:00")
    spend = _flat_spend(24 + 12 / 24, 1.0, start)  # $24 a day since the 1st
    now = start + (24 * 24 + 12) * HOUR
    month = burn(spend, Limit("monthly", 800.0), now)
    assert month.spent == pytest.approx(24 * 24 + 12)
    assert month.projected == pytest.approx(30 * 24, rel=1e-6)
    assert month.exhausts_at is None
    week = burn(spend, Limit("weekly", 150.0), now)  # Wed 25th: Mon 23rd 00:00 .. now = 60 h
    assert week.spent == pytest.approx(60.0)
    assert week.exhausts_at == pytest.approx(now + 90 * HOUR)


def test_the_rate_interval_covers_the_true_rate() -> None:
    """Compound Poisson spend with a daily profile, 3,000 datasets: the 95% interval of the
    daily rate covers the true rate 95% ± 1.5% of the time."""
    rng = np.random.default_rng(12)
    hours = np.arange(24)
    profile = 0.35 + 0.65 * np.exp(-((hours - 14.0) ** 2) / (2 * 4.0**2))
    profile /= profile.sum()
    per_day, mean_cost, sd_log = 2000.0, 0.012, 0.8  # requests a day, lognormal costs
    now = 10 * HOUR + 3 * DAY
    covered = 0
    trials = 3000
    for _ in range(trials):
        times = now - np.arange(6, 0, -1) * HOUR
        counts = rng.poisson(per_day * profile[((times % DAY) // HOUR).astype(int)])
        costs = [rng.lognormal(np.log(mean_cost) - sd_log**2 / 2, sd_log, c) for c in counts]
        spend = Spend(
            times,
            np.array([c.sum() for c in costs]),
            np.array([(c * c).sum() for c in costs]),
            HOUR,
        )
        rate = current_rate(spend, profile, now, 6 * HOUR)
        covered += rate.low <= per_day * mean_cost <= rate.high
    assert abs(covered / trials - 0.95) <= 0.015

"""Budget burn: spend so far against daily, weekly and monthly limits, and when it runs out.

Periods are calendar periods in UTC: the day, the ISO week (from Monday 00:00) and the month.

* **Profile**: the share of a day's spend that falls in each hour of the day, from the full
  days of history before today, shrunk towards flat by a fiftieth of a day (flat without history
  or with buckets longer than an hour).
* **Current rate** ``D`` (USD per day): the spend of the last ``rate_window`` divided by the
  share of a day the profile puts there. Spend is a compound Poisson sum, so its variance is
  the sum of the squared costs; the 95% interval of ``D`` is ``D ± 1.96·√(Σc²)/share``
  (normal approximation, clamped at 0).
* **Projection**: spend by the end of the period is ``spent + D·P(now, end)``, ``P`` the
  profile's mass over the rest of the period (in days); the exhaustion time solves
  ``spent + D·P(now, t) = limit``. Its interval comes from the ends of ``D``'s interval (a
  higher rate runs out earlier), so it covers the true time as often as ``D``'s covers ``D``
  when the profile holds.
* **Alerts** at 50, 75, 90 and 100% of the limit (the policy may list others): the highest
  level the spend has reached, and the highest the projection will reach.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from autoopt.values import Z95

Period = Literal["daily", "weekly", "monthly"]
HOUR, DAY = 3600.0, 86400.0
DEFAULT_ALERTS = (0.5, 0.75, 0.9, 1.0)
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Spend:
    """Per bucket: the summed cost (USD) and the summed squared cost of its requests."""

    times: FloatArray
    cost: FloatArray
    cost_sumsq: FloatArray
    step: float


@dataclass(frozen=True)
class Limit:
    period: Period
    limit_usd: float
    alerts: tuple[float, ...] = DEFAULT_ALERTS


@dataclass(frozen=True)
class Rate:
    per_day: float
    low: float
    high: float


@dataclass(frozen=True)
class BudgetState:
    period: Period
    limit_usd: float
    start: float
    end: float
    spent: float
    alert: float | None  # the highest alert level reached (a fraction of the limit)
    rate: Rate
    projected: float  # spend by the end of the period at the current rate
    projected_low: float
    projected_high: float
    projected_alert: float | None  # the highest alert level the projection reaches
    exhausted_at: float | None  # when the spend reached the limit (already spent)
    exhausts_at: float | None  # projected, within the period; None: not before it ends
    exhausts_earliest: float | None  # at the high end of the rate
    exhausts_latest: float | None  # at the low end (None: not before the period ends)

    @property
    def used(self) -> float:
        return self.spent / self.limit_usd


def period_bounds(period: Period, now: float) -> tuple[float, float]:
    """``[start, end)`` of the calendar period (UTC) that holds ``now``."""
    moment = datetime.fromtimestamp(now, UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "daily":
        start, end = day, day + timedelta(days=1)
    elif period == "weekly":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    return start.timestamp(), end.timestamp()


def hourly_profile(spend: Spend, before: float) -> FloatArray:
    """The share of a day's spend in each UTC hour, from the full days before ``before``."""
    flat = np.full(24, 1.0 / 24.0)
    if spend.step > HOUR:
        return flat
    keep = spend.times < before
    times, cost = spend.times[keep], spend.cost[keep]
    if times.size == 0:
        return flat
    days = math.floor((before - float(times.min())) / DAY)
    if days < 1:
        return flat
    first = before - days * DAY
    inside = times >= first
    hours = ((times[inside] % DAY) // HOUR).astype("int64")
    by_hour = np.bincount(hours, weights=cost[inside], minlength=24)[:24]
    total = float(by_hour.sum())
    if total <= 0:
        return flat
    pseudo = 0.02 * total / days / 24.0  # a fiftieth of a flat day: no hour is ever empty
    shares = np.asarray((by_hour + pseudo) / (total + 24.0 * pseudo), dtype="float64")
    return shares


def _cumulative(profile: FloatArray, moment: float) -> float:
    """The profile's mass (in days) from the epoch to ``moment``: linear within each hour."""
    days, offset = divmod(moment, DAY)
    hour = min(int(offset // HOUR), 23)
    within = float(np.sum(profile[:hour])) + float(profile[hour]) * (offset - hour * HOUR) / HOUR
    return days + within


def profile_mass(profile: FloatArray, start: float, end: float) -> float:
    """The share of a day (in days) the profile puts in ``[start, end)``."""
    if end <= start:
        return 0.0
    return _cumulative(profile, end) - _cumulative(profile, start)


def _spent(spend: Spend, start: float, end: float) -> tuple[float, float]:
    keep = (spend.times >= start) & (spend.times < end)
    return float(spend.cost[keep].sum()), float(spend.cost_sumsq[keep].sum())


def current_rate(spend: Spend, profile: FloatArray, now: float, window: float) -> Rate:
    """The daily spend rate from the last ``window`` seconds, and its 95% interval."""
    start = now - window
    cost, sumsq = _spent(spend, start, now)
    share = profile_mass(profile, start, now)
    if share <= 0:
        return Rate(math.nan, math.nan, math.nan)
    rate, se = cost / share, math.sqrt(sumsq) / share
    return Rate(rate, max(rate - Z95 * se, 0.0), rate + Z95 * se)


def _exhaustion(
    profile: FloatArray, now: float, end: float, left: float, rate: float
) -> float | None:
    """When ``rate``·P(now, t) first reaches ``left``, if before ``end``."""
    if left <= 0:
        return now
    if not rate > 0 or rate * profile_mass(profile, now, end) < left:
        return None
    # P is linear between hour boundaries: solve on the grid of them
    boundaries = np.arange(math.floor(now / HOUR) + 1, math.ceil(end / HOUR)) * HOUR
    grid = np.concatenate([[now], boundaries, [end]])
    masses = np.array([profile_mass(profile, now, g) for g in grid]) * rate
    k = max(int(np.searchsorted(masses, left)), 1)
    m_lo, m_hi = masses[k - 1], masses[k]
    fraction = (left - m_lo) / (m_hi - m_lo) if m_hi > m_lo else 0.0
    return float(grid[k - 1] + fraction * (grid[k] - grid[k - 1]))


def _crossed(spend: Spend, start: float, limit: float) -> float | None:
    keep = spend.times >= start
    running = np.cumsum(spend.cost[keep])
    over = np.flatnonzero(running >= limit)
    return float(spend.times[keep][over[0]] + spend.step) if over.size else None


def _alert(fraction: float, levels: Sequence[float]) -> float | None:
    reached = [level for level in sorted(levels) if fraction >= level]
    return reached[-1] if reached else None


def burn(spend: Spend, limit: Limit, now: float, rate_window: float = 6 * HOUR) -> BudgetState:
    """The state of one budget at ``now``."""
    start, end = period_bounds(limit.period, now)
    spent, _sumsq = _spent(spend, start, now)
    profile = hourly_profile(spend, math.floor(now / DAY) * DAY)
    first = float(spend.times.min()) if spend.times.size else now
    rate = current_rate(spend, profile, now, min(rate_window, max(now - first, HOUR)))
    rest = profile_mass(profile, now, end)
    projected = spent + (rate.per_day * rest if math.isfinite(rate.per_day) else 0.0)
    left = limit.limit_usd - spent
    return BudgetState(
        period=limit.period,
        limit_usd=limit.limit_usd,
        start=start,
        end=end,
        spent=spent,
        alert=_alert(spent / limit.limit_usd, limit.alerts),
        rate=rate,
        projected=projected,
        projected_low=spent + (rate.low * rest if math.isfinite(rate.low) else 0.0),
        projected_high=spent + (rate.high * rest if math.isfinite(rate.high) else 0.0),
        projected_alert=_alert(projected / limit.limit_usd, limit.alerts),
        exhausted_at=_crossed(spend, start, limit.limit_usd) if left <= 0 else None,
        exhausts_at=_exhaustion(profile, now, end, left, rate.per_day) if left > 0 else None,
        exhausts_earliest=_exhaustion(profile, now, end, left, rate.high) if left > 0 else None,
        exhausts_latest=_exhaustion(profile, now, end, left, rate.low) if left > 0 else None,
    )

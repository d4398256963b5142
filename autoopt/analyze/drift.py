"""Drift of the request mix (tokens in and out, model share, traffic rate).

Two detectors over a feature's per-bucket series, both on values standardised by the noise
``σ`` of the series, estimated from its first differences so that a drift barely moves it
(:func:`autoopt.analyze.trend.robust_sigma`); nothing alarms within the first ``warmup``
points:

* **Page–Hinkley**: ``m_t = Σ (x_i − x̄_i − δ)`` with ``x̄_i`` the running mean since the last
  alarm; an upward drift when ``m_t − min m > λ`` (and the mirror image for downward). ``δ``
  (0.5σ) is the change too small to care about; ``λ`` (10σ) sets the false-alarm rate.
* **ADWIN** (Bifet and Gavaldà 2007): an adaptive window that is cut whenever two parts of it
  differ in mean by more than the Bernstein bound
  ``ε = √(2·m·σ²_W·ln(2·ln n/δ)) + ⅔·m·ln(2·ln n/δ)``, ``m = 1/n₀ + 1/n₁``; a cut is a
  drift and the older part is dropped.

States at the end of the series: ``drift`` when a detector alarmed within the last ``recent``
points, ``warning`` when one is close to alarming now (Page–Hinkley above ``warning``·σ, or an
ADWIN cut at the laxer ``warning_delta``), otherwise ``stable``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from autoopt.analyze.series import Series
from autoopt.analyze.trend import robust_sigma

DriftState = Literal["stable", "warning", "drift"]
DriftDetector = Literal["page_hinkley", "adwin"]
STATES: tuple[DriftState, ...] = ("stable", "warning", "drift")
FloatArray = NDArray[np.float64]
_BLOCK = 128  # ADWIN scans this many window ends at once (memory: _BLOCK × window floats)


@dataclass(frozen=True)
class DriftSettings:
    warmup: int = 12  # points whose noise standardises the rest (and before any alarm)
    delta: float = 0.5  # Page–Hinkley: tolerated change, in σ
    threshold: float = 10.0  # Page–Hinkley: alarm level λ, in σ
    warning: float = 7.0  # Page–Hinkley: warning level, in σ
    adwin_delta: float = 0.002  # ADWIN: confidence of a cut
    warning_delta: float = 0.05  # ADWIN: laxer confidence that raises a warning
    min_window: int = 5  # ADWIN: points each side of a cut needs
    recent: int = 24  # an alarm this many points before the end still means "drift"
    min_sample: int = 1  # requests a point needs to count


@dataclass(frozen=True)
class DriftTrack:
    """What one detector found on one feature."""

    feature: str
    detector: DriftDetector
    state: DriftState
    alarms: tuple[float, ...]  # times of the points at which it alarmed
    changes: tuple[float, ...]  # for each alarm, when its change began (the estimate)
    statistic: float  # at the end: Page–Hinkley in σ, ADWIN the largest |Δmean| / ε
    before: float  # the feature's mean level before the last change (NaN without one)
    after: float  # and since it


@dataclass(frozen=True)
class Drift:
    feature: str
    state: DriftState
    tracks: tuple[DriftTrack, ...]


def _standardised(series: Series, settings: DriftSettings) -> tuple[FloatArray, FloatArray]:
    keep = np.isfinite(series.values) & (series.n >= settings.min_sample)
    t, x = series.times[keep], series.values[keep]
    if x.size <= settings.warmup:
        return t, np.array([], dtype="float64")
    sigma = robust_sigma(x)  # from the first differences: level shifts barely move it
    if not math.isfinite(sigma) or sigma <= 0:
        sigma = float(np.std(x)) or max(abs(float(np.mean(x))) * 1e-3, 1e-12)
    return t, (x - float(np.median(x[: settings.warmup]))) / sigma


def _ph_alarm(z: FloatArray, delta: float, threshold: float) -> tuple[int | None, int, float]:
    """The first index where Page–Hinkley alarms (either side), where the change began (the
    point after the sum's minimum), and the statistic at the last point."""
    count = np.arange(1, z.size + 1, dtype="float64")
    running = np.cumsum(z) / count
    best: tuple[int | None, int] = (None, 0)
    final = 0.0
    for sign in (1.0, -1.0):
        m = np.concatenate([[0.0], np.cumsum(sign * (z - running) - delta)])
        stat = m - np.minimum.accumulate(m)
        final = max(final, float(stat[-1]))
        over = np.flatnonzero(stat[1:] > threshold)
        if over.size and (best[0] is None or int(over[0]) < best[0]):
            hit = int(over[0])
            best = (hit, int(np.argmin(m[: hit + 2])))
    return best[0], best[1], final


def page_hinkley(series: Series, settings: DriftSettings | None = None) -> DriftTrack:
    config = settings or DriftSettings()
    t, z = _standardised(series, config)
    alarms: list[tuple[int, int]] = []
    start, final = config.warmup, 0.0
    while start < z.size:
        hit, began, final = _ph_alarm(z[start:], config.delta, config.threshold)
        if hit is None:
            break
        alarms.append((start + hit, start + began))
        start += hit + 1
        final = 0.0
    warn = final > config.warning
    return _track(series, "page_hinkley", t, alarms, final, warn, config)


def _adwin_scan(
    z: FloatArray, start: int, first_end: int, delta: float, min_window: int
) -> tuple[int, int] | None:
    """The first end ``t ≥ first_end`` whose window ``[start, t]`` has a cut, and the split
    with the largest excess (the first index of the newer part); ends in blocks of rows."""
    x = z[start:]
    size = x.size
    if size < 2 * min_window:
        return None
    csum = np.concatenate([[0.0], np.cumsum(x)])
    csq = np.concatenate([[0.0], np.cumsum(x * x)])
    splits = np.arange(size)[None, :]  # k: first index of the newer part
    n0 = splits.astype("float64")
    for block in range(max(first_end - start, 2 * min_window - 1), size, _BLOCK):
        ends = np.arange(block, min(block + _BLOCK, size))[:, None]  # t, inclusive
        n1 = (ends - splits + 1).astype("float64")
        valid = (n0 >= min_window) & (n1 >= min_window)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = (ends + 1).astype("float64")
            mean0 = csum[splits] / n0
            mean1 = (csum[ends + 1] - csum[splits]) / n1
            var = np.maximum(csq[ends + 1] / total - (csum[ends + 1] / total) ** 2, 0.0)
            m = 1.0 / n0 + 1.0 / n1
            dd = np.log(2.0 * np.log(np.maximum(total, 2.0)) / delta)
            eps = np.sqrt(2.0 * m * var * dd) + 2.0 / 3.0 * m * dd
            excess = np.where(valid, np.abs(mean0 - mean1) - eps, -np.inf)
        rows = np.flatnonzero((excess > 0).any(axis=1))
        if rows.size:
            row = int(rows[0])
            # where the change began: the maximum-likelihood split of a single mean shift
            with np.errstate(invalid="ignore", divide="ignore"):
                shift = (np.abs(mean0 - mean1) / np.sqrt(m))[row]
            inside = (n0[0] >= 1) & (n1[row] >= 1)  # the start may be closer to the end
            split = int(np.argmax(np.where(inside, shift, -np.inf)))
            return start + int(ends[row, 0]), start + split
    return None


def _adwin_ratio(z: FloatArray, start: int, delta: float, min_window: int) -> float:
    """At the last point: the largest ``|Δmean| / ε`` over the splits of ``[start, end]``."""
    x = z[start:]
    if x.size < 2 * min_window:
        return 0.0
    k = np.arange(min_window, x.size - min_window + 1)
    csum = np.cumsum(x)
    n0, n1 = k.astype("float64"), (x.size - k).astype("float64")
    mean0 = csum[k - 1] / n0
    mean1 = (csum[-1] - csum[k - 1]) / n1
    m = 1.0 / n0 + 1.0 / n1
    dd = math.log(2.0 * math.log(max(x.size, 2)) / delta)
    eps = np.sqrt(2.0 * m * float(np.var(x)) * dd) + 2.0 / 3.0 * m * dd
    return float(np.max(np.abs(mean0 - mean1) / eps))


def adwin(series: Series, settings: DriftSettings | None = None) -> DriftTrack:
    config = settings or DriftSettings()
    t, z = _standardised(series, config)
    alarms: list[tuple[int, int]] = []
    start = end = 0
    while (found := _adwin_scan(z, start, end, config.adwin_delta, config.min_window)) is not None:
        end, split = found
        if end >= config.warmup:
            if alarms and alarms[-1][0] == end:
                alarms.pop()  # a second cut at the same end: the change began later still
            alarms.append((end, split))
        start = split  # the older part is dropped; the newer one may still hold a cut at ``end``
    ratio = _adwin_ratio(z, start, config.adwin_delta, config.min_window) if z.size else 0.0
    warn = (
        _adwin_ratio(z, start, config.warning_delta, config.min_window) > 1.0 if z.size else False
    )
    return _track(series, "adwin", t, alarms, ratio, warn, config)


def _refined(values: FloatArray, alarms: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each change's start re-estimated as the maximum-likelihood split of one mean shift
    between the previous change and the alarm (the alarm's own point included)."""
    out: list[tuple[int, int]] = []
    for alarm, began in alarms:
        low = out[-1][1] + 1 if out else 0
        part = values[low : alarm + 1]
        if part.size < 2:
            out.append((alarm, began))
            continue
        k = np.arange(1, part.size)
        csum = np.cumsum(part)
        mean0 = csum[k - 1] / k
        mean1 = (csum[-1] - csum[k - 1]) / (part.size - k)
        score = np.abs(mean0 - mean1) * np.sqrt(k * (part.size - k) / part.size)
        out.append((alarm, low + int(k[np.argmax(score)])))
    return out


def _track(
    series: Series,
    detector: DriftDetector,
    times: FloatArray,
    alarms: list[tuple[int, int]],
    statistic: float,
    warn: bool,
    config: DriftSettings,
) -> DriftTrack:
    """``alarms``: (the point that alarmed, the point where its change began)."""
    state: DriftState = "warning" if warn else "stable"
    if alarms and alarms[-1][0] >= times.size - config.recent:
        state = "drift"
    before = after = math.nan
    keep = np.isfinite(series.values) & (series.n >= config.min_sample)
    values = series.values[keep]
    alarms = _refined(values, alarms)
    if alarms:
        began = alarms[-1][1]
        previous = alarms[-2][1] if len(alarms) > 1 else 0
        before = float(values[previous:began].mean()) if began > previous else math.nan
        after = float(values[began:].mean())
    return DriftTrack(
        series.name,
        detector,
        state,
        tuple(float(times[a]) for a, _b in alarms),
        tuple(float(times[b]) for _a, b in alarms),
        statistic,
        before,
        after,
    )


def drift(series: Series, settings: DriftSettings | None = None) -> Drift:
    """Both detectors on one feature; the state is the worse of the two."""
    tracks = (page_hinkley(series, settings), adwin(series, settings))
    state = max((tr.state for tr in tracks), key=STATES.index)
    return Drift(series.name, state, tracks)

"""Anomalies in a time series of summaries: z-score, IQR and MAD against a trailing window.

Each point with at least ``min_sample`` requests is judged against the ``reference`` eligible
points before it (never itself, never the future); points beyond the range in a first pass
leave the references of later points, so a burst does not hide itself:

* ``zscore``: ``|x − mean| / sd > 3`` (classic, the least robust);
* ``iqr``: outside ``[Q1 − 1.5·IQR, Q3 + 1.5·IQR]`` (Tukey's fences);
* ``mad``: the modified z ``0.6745·|x − median| / MAD > 3.5`` (Iglewicz and Hoaglin).

The reference points' typical sampling uncertainty (their median standard error, when the
series has one) is the floor of the reference's spread, so a quiet stretch of identical values
does not make the first small wobble infinitely anomalous. The expected range of a series that
is never negative starts at 0 at the lowest. An anomaly is reported only when ``consecutive``
eligible points in a row are beyond the same detector's range on the same side; every point of
such a run is reported. Severity is the score over its threshold: minor below 1.5×, major
below 3×, critical from 3×.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from autoopt.analyze.series import Series

Detector = Literal["zscore", "iqr", "mad"]
Severity = Literal["minor", "major", "critical"]
Side = Literal["above", "below"]
DETECTORS: tuple[Detector, ...] = ("zscore", "iqr", "mad")
THRESHOLDS: dict[Detector, float] = {"zscore": 3.0, "iqr": 1.5, "mad": 3.5}
_SIDES: tuple[tuple[Side, float], ...] = (("above", 1.0), ("below", -1.0))
MAD_Z = 0.6745  # Φ⁻¹(0.75): MAD / σ for normal data
IQR_SIGMA = 2 * MAD_Z  # IQR / σ for normal data

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AnomalySettings:
    min_sample: int = 30  # requests a point needs to be judged (and to be a reference)
    reference: int = 24  # eligible points before a point that form its reference
    min_reference: int = 8  # fewer eligible points before it: the point is not judged
    consecutive: int = 2  # hits in a row before anything is reported
    detectors: tuple[Detector, ...] = DETECTORS


@dataclass(frozen=True)
class Anomaly:
    """One anomalous point, the detector that found it and the range it expected."""

    metric: str
    time: float
    value: float
    n: int
    detector: Detector
    score: float
    threshold: float
    expected_low: float
    expected_high: float
    side: Side

    @property
    def severity(self) -> Severity:
        ratio = self.score / self.threshold
        return "minor" if ratio < 1.5 else "major" if ratio < 3.0 else "critical"


@dataclass(frozen=True, eq=False)
class _Scores:
    """Per eligible point: the score, the expected range, and whether it was judged."""

    score: FloatArray
    low: FloatArray
    high: FloatArray
    signed: FloatArray  # > 0 above, < 0 below


def _windows(values: FloatArray, size: int) -> FloatArray:
    """Row ``i``: the ``size`` values before position ``i`` (NaN-padded at the start)."""
    padded = np.concatenate([np.full(size, np.nan), values])
    return sliding_window_view(padded, size)[: values.size]


def _floor(spread: FloatArray, se: FloatArray) -> FloatArray:
    """The spread, but never below the reference points' typical sampling error."""
    floor = np.where(np.isfinite(se), se, 0.0)
    return np.maximum(spread, floor)


def _typical_se(se: FloatArray, ref_se: FloatArray) -> FloatArray:
    """Per judged point: the median standard error of its reference points."""
    if not np.isfinite(se).any():
        return np.full(ref_se.shape[0], np.nan)
    (median,) = _row_quantiles(ref_se, (0.5,))
    return median


def _row_quantiles(ref: FloatArray, qs: tuple[float, ...]) -> list[FloatArray]:
    """Per row, numpy's default (linear) quantiles of the finite values; rows sorted once."""
    ordered = np.sort(ref, axis=1)  # NaN sort last
    count = np.count_nonzero(np.isfinite(ordered), axis=1)
    out = []
    for q in qs:
        position = q * np.maximum(count - 1, 0)
        low = np.floor(position).astype("int64")
        high = np.minimum(low + 1, np.maximum(count - 1, 0))
        a = np.take_along_axis(ordered, low[:, None], axis=1)[:, 0]
        b = np.take_along_axis(ordered, high[:, None], axis=1)[:, 0]
        out.append(np.where(count > 0, a + (b - a) * (position - low), np.nan))
    return out


def _score(detector: Detector, x: FloatArray, ref: FloatArray, se: FloatArray) -> _Scores:
    with np.errstate(invalid="ignore", divide="ignore"):
        if detector == "zscore":
            centre, spread = np.nanmean(ref, axis=1), np.nanstd(ref, axis=1, ddof=1)
            scale = _floor(spread, se)
            signed = (x - centre) / scale
            reach = THRESHOLDS["zscore"] * scale
            return _Scores(np.abs(signed), centre - reach, centre + reach, signed)
        if detector == "iqr":
            q1, q3 = _row_quantiles(ref, (0.25, 0.75))
            scale = _floor(q3 - q1, se * IQR_SIGMA)
            above, below = (x - q3) / scale, (q1 - x) / scale
            signed = np.where(above > 0, above, np.where(below > 0, -below, 0.0))
            reach = THRESHOLDS["iqr"] * scale
            return _Scores(np.abs(signed), q1 - reach, q3 + reach, signed)
        (centre,) = _row_quantiles(ref, (0.5,))
        (mad,) = _row_quantiles(np.abs(ref - centre[:, None]), (0.5,))
        scale = _floor(mad, se * MAD_Z)
        signed = MAD_Z * (x - centre) / scale
        reach = THRESHOLDS["mad"] * scale / MAD_Z
        return _Scores(np.abs(signed), centre - reach, centre + reach, signed)


def _runs(hit: NDArray[np.bool_], length: int) -> NDArray[np.bool_]:
    """Points that belong to a run of at least ``length`` consecutive ``True``."""
    if length <= 1:
        return hit
    out = np.zeros(hit.size, dtype=bool)
    start = None
    for i, flag in enumerate([*hit.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= length:
                out[start:i] = True
            start = None
    return out


def _reference(x: FloatArray, segment: NDArray[np.int64], size: int) -> FloatArray:
    """Row ``i``: up to ``size`` values before ``i`` from the same segment (NaN elsewhere)."""
    windows = _windows(x, size)
    segments = _windows(segment.astype("float64"), size)
    return np.where(segments == segment[:, None], windows, np.nan)


def detect(
    series: Series, settings: AnomalySettings | None = None, breaks: Sequence[float] = ()
) -> tuple[Anomaly, ...]:
    """Every anomaly of ``series`` by every detector of ``settings``, in time order.

    ``breaks`` are times of level shifts (change points): a point's reference holds only
    points since the last break before it, so a new level is not a run of anomalies.
    """
    config = settings or AnomalySettings()
    eligible = np.flatnonzero(np.isfinite(series.values) & (series.n >= config.min_sample))
    if eligible.size <= config.min_reference:
        return ()
    x = series.values[eligible]
    se = series.se[eligible] if series.se is not None else np.full(x.size, np.nan)
    segment = np.searchsorted(
        np.sort(np.asarray(breaks, dtype="float64")), series.times[eligible], side="right"
    )
    ref = _reference(x, segment, config.reference)
    judged = np.count_nonzero(np.isfinite(ref), axis=1) >= config.min_reference
    rows = np.flatnonzero(judged)
    typical = _typical_se(se, _reference(se, segment, config.reference)[rows])
    nonnegative = bool(np.nanmin(x) >= 0)  # then so is the expected range
    found: list[Anomaly] = []
    for detector in config.detectors:
        scores = _score(detector, x[rows], ref[rows], typical)
        # second pass: points beyond the range leave the references of the points after them
        first = np.zeros(x.size, dtype=bool)
        first[rows] = scores.score > THRESHOLDS[detector]
        if first.any():
            kept = np.flatnonzero(~first)
            at = np.searchsorted(kept, rows)  # windows ending just before each judged point
            values = _windows(np.append(x[kept], np.nan), config.reference)[at]
            ids = _windows(np.append(segment[kept], -1).astype("float64"), config.reference)[at]
            clean = np.where(ids == segment[rows][:, None], values, np.nan)
            enough = np.count_nonzero(np.isfinite(clean), axis=1) >= config.min_reference
            clean = np.where(enough[:, None], clean, ref[rows])
            scores = _score(detector, x[rows], clean, typical)
        beyond = np.zeros(x.size, dtype=bool)
        signed = np.zeros(x.size)
        beyond[rows] = scores.score > THRESHOLDS[detector]
        signed[rows] = scores.signed
        if nonnegative:
            scores = _Scores(scores.score, np.maximum(scores.low, 0.0), scores.high, scores.signed)
        for side, sign in _SIDES:
            hits = _runs(beyond & (np.sign(signed) == sign), config.consecutive)
            found += _anomalies(series, eligible, rows, hits, scores, detector, side)
    return tuple(sorted(found, key=lambda a: (a.time, DETECTORS.index(a.detector))))


def _anomalies(
    series: Series,
    eligible: NDArray[np.int64],
    rows: NDArray[np.int64],
    hits: NDArray[np.bool_],
    scores: _Scores,
    detector: Detector,
    side: Side,
) -> Iterable[Anomaly]:
    """``hits`` is over the eligible points; ``scores`` over the judged ones (``rows``)."""
    for point in np.flatnonzero(hits):
        index = int(eligible[point])
        position = int(np.searchsorted(rows, point))
        yield Anomaly(
            metric=series.name,
            time=float(series.times[index]),
            value=float(series.values[index]),
            n=int(series.n[index]),
            detector=detector,
            score=float(scores.score[position]),
            threshold=THRESHOLDS[detector],
            expected_low=float(scores.low[position]),
            expected_high=float(scores.high[position]),
            side=side,
        )


def anomalous_now(anomalies: Iterable[Anomaly], last_time: float) -> list[Anomaly]:
    """The anomalies at the series' last point (what a trigger looks at)."""
    return [a for a in anomalies if math.isclose(a.time, last_time)]

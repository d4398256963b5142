"""Anomaly detectors on generated series with known anomalies, and without any."""

from __future__ import annotations

import numpy as np
import pytest

from autoopt.analyze.anomaly import AnomalySettings, anomalous_now, detect
from autoopt.analyze.series import Series

HOUR = 3600.0


def _series(values: np.ndarray, n: int | np.ndarray = 200, se: np.ndarray | None = None) -> Series:
    counts = np.broadcast_to(n, values.shape)
    return Series.build("latency_p95_ms", np.arange(values.size) * HOUR, values, counts, HOUR, se)


def test_two_consecutive_spikes_are_found_by_every_detector() -> None:
    rng = np.random.default_rng(1)
    values = 1500 + rng.normal(0, 30, 60)
    values[40:42] = 2100
    found = detect(_series(values))
    spike = [a for a in found if a.time in (40 * HOUR, 41 * HOUR)]
    assert sorted((a.detector, a.time) for a in spike) == sorted(
        (d, t * HOUR) for d in ("zscore", "iqr", "mad") for t in (40, 41)
    )
    for anomaly in spike:
        assert anomaly.side == "above"
        assert anomaly.expected_low < 1500 < anomaly.expected_high < 2100
        assert anomaly.score > anomaly.threshold
        assert anomaly.severity in ("major", "critical")


def test_a_single_spike_is_not_reported() -> None:
    rng = np.random.default_rng(2)
    values = 1500 + rng.normal(0, 30, 60)
    values[40] = 2500
    assert detect(_series(values)) == ()
    assert detect(_series(values), AnomalySettings(consecutive=1)) != ()


def test_points_with_too_few_requests_are_not_judged() -> None:
    rng = np.random.default_rng(3)
    values = 1500 + rng.normal(0, 30, 60)
    values[40:42] = 2100
    n = np.full(60, 200)
    n[40:42] = 5
    assert detect(_series(values, n)) == ()


def test_expected_range_of_mad_by_hand() -> None:
    """Reference 1..8 (median 4.5, MAD 2): range 4.5 ± 3.5·2/0.6745."""
    values = np.array([1, 2, 3, 4, 5, 6, 7, 8, 40, 40], dtype=float)
    settings = AnomalySettings(reference=8, min_reference=8, detectors=("mad",))
    found = detect(_series(values), settings)
    first = found[0]
    assert first.time == 8 * HOUR
    assert first.expected_high == pytest.approx(4.5 + 3.5 * 2 / 0.6745)
    assert first.score == pytest.approx(0.6745 * (40 - 4.5) / 2)


def test_expected_range_of_iqr_and_zscore_by_hand() -> None:
    values = np.array([1, 2, 3, 4, 5, 6, 7, 8, 40, 40], dtype=float)
    ref = values[:8]
    q1, q3 = np.percentile(ref, [25, 75])
    iqr = detect(_series(values), AnomalySettings(reference=8, detectors=("iqr",)))[0]
    assert iqr.expected_high == pytest.approx(q3 + 1.5 * (q3 - q1))
    z = detect(_series(values), AnomalySettings(reference=8, detectors=("zscore",)))[0]
    assert z.expected_high == pytest.approx(ref.mean() + 3 * ref.std(ddof=1))


def test_a_flat_reference_uses_the_points_own_uncertainty() -> None:
    """Zero errors for hours, then one error in 200 requests: not an anomaly (se floor)."""
    values = np.zeros(40)
    values[30:32] = 1 / 200
    se = np.full(40, np.sqrt(0.5 / 200 * (1 - 0.5 / 200) / 200) * 3)
    assert detect(_series(values, se=se)) == ()
    assert detect(_series(values)) != ()  # without the floor every wobble is infinite


def test_drops_are_found_below() -> None:
    rng = np.random.default_rng(4)
    values = 88 + rng.normal(0, 0.5, 50)
    values[30:33] = 80
    found = detect(_series(values), AnomalySettings(detectors=("mad",)))
    assert [a.side for a in found] == ["below"] * 3


@pytest.mark.parametrize(("detector", "limit"), [("zscore", 0.002), ("mad", 0.002), ("iqr", 0.01)])
def test_false_alarms_are_rare_on_noise(detector: str, limit: float) -> None:
    """300 series of 168 hourly normal points: the two-in-a-row rule keeps alarms rare."""
    rng = np.random.default_rng(5)
    settings = AnomalySettings(detectors=(detector,))  # type: ignore[arg-type]
    alarms = sum(len(detect(_series(100 + rng.normal(0, 5, 168)), settings)) for _ in range(300))
    assert alarms / (300 * 168) < limit


def test_anomalous_now_keeps_the_latest_point() -> None:
    values = np.concatenate([np.linspace(10, 11, 30), [30.0, 31.0]])
    found = detect(_series(values), AnomalySettings(detectors=("iqr",)))
    assert [a.time for a in anomalous_now(found, 31 * HOUR)] == [31 * HOUR]


def test_row_quantiles_match_numpys_nan_quantiles() -> None:
    from autoopt.analyze.anomaly import _row_quantiles

    rng = np.random.default_rng(8)
    ref = rng.normal(size=(200, 24))
    ref[rng.random(ref.shape) < 0.3] = np.nan
    ref[0] = np.nan
    q1, med, q3 = _row_quantiles(ref, (0.25, 0.5, 0.75))
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = np.nanpercentile(ref, [25, 50, 75], axis=1)
    np.testing.assert_allclose(np.vstack([q1, med, q3]), want, equal_nan=True)


def test_a_level_shift_with_its_break_is_not_a_run_of_anomalies() -> None:
    rng = np.random.default_rng(9)
    values = np.concatenate([1200 + rng.normal(0, 30, 48), 1650 + rng.normal(0, 30, 48)])
    values[80:82] = 2400  # a real spike inside the new level
    series = _series(values)
    unbroken = detect(series, AnomalySettings(detectors=("mad",)))
    broken = detect(series, AnomalySettings(detectors=("mad",)), breaks=(48 * HOUR,))
    assert sum(a.time < 60 * HOUR for a in unbroken) >= 8  # the new level looks anomalous
    assert [a.time / HOUR for a in broken] == [80, 81]  # with the break only the spike is
    assert broken[0].expected_low < 1650 < broken[0].expected_high

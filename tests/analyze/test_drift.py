"""Page–Hinkley and ADWIN on generated feature series: known drift, and none."""

from __future__ import annotations

import numpy as np
import pytest

from autoopt.analyze.drift import DriftSettings, adwin, drift, page_hinkley
from autoopt.analyze.series import Series

HOUR = 3600.0


def _feature(values: np.ndarray, name: str = "tokens_in") -> Series:
    return Series.build(
        name, np.arange(values.size) * HOUR, values, np.full(values.size, 100), HOUR
    )


def test_a_shift_in_tokens_in_is_drift_for_both_detectors() -> None:
    rng = np.random.default_rng(1)
    values = 9000 + rng.normal(0, 150, 200)
    values[180:] += 600  # prompts got 4σ longer at hour 180
    found = drift(_feature(values))
    assert found.state == "drift"
    for track in found.tracks:
        assert track.alarms, track.detector
        delay = (track.alarms[0] - 180 * HOUR) / HOUR
        assert 0 <= delay <= 12, (track.detector, delay)
        assert abs(track.changes[0] - 180 * HOUR) <= 2 * HOUR  # when it began
        assert track.after - track.before == pytest.approx(600, rel=0.35)


def test_a_downward_shift_is_found_too() -> None:
    rng = np.random.default_rng(2)
    values = 0.6 + rng.normal(0, 0.02, 120)  # a model's share of traffic
    values[100:] -= 0.1
    assert drift(_feature(values, "model_share:gpt-4o")).state == "drift"


def test_an_old_drift_is_no_longer_the_current_state() -> None:
    rng = np.random.default_rng(3)
    values = 100 + rng.normal(0, 3, 300)
    values[40:] += 20
    found = drift(_feature(values), DriftSettings(recent=24))
    assert all(t.alarms for t in found.tracks)
    assert found.state == "stable"


@pytest.mark.parametrize("detector", [page_hinkley, adwin])
def test_stationary_series_rarely_drift(detector: object) -> None:
    """200 series of a week of hourly points without drift: few alarms at all."""
    rng = np.random.default_rng(4)
    alarmed = 0
    for _ in range(200):
        track = detector(_feature(500 + rng.normal(0, 20, 168)))  # type: ignore[operator]
        alarmed += bool(track.alarms)
    assert alarmed / 200 <= 0.05


def test_warning_before_drift_on_a_slow_ramp() -> None:
    """A slow ramp: Page–Hinkley goes stable → warning → drift as the sum builds up."""
    rng = np.random.default_rng(5)
    values = 100 + rng.normal(0, 1, 80) + np.concatenate([np.zeros(40), np.linspace(0, 3, 40)])
    states = [page_hinkley(_feature(values[:end])).state for end in range(40, 81)]
    assert states[0] == "stable"
    assert "warning" in states
    assert states[-1] == "drift"
    assert states.index("warning") < states.index("drift")


def test_too_short_a_series_is_stable() -> None:
    found = drift(_feature(np.array([1.0, 2.0, 3.0])))
    assert found.state == "stable"
    assert all(not t.alarms for t in found.tracks)

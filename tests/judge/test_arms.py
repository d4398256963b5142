"""metrics.arms: from canonical rows (a real JSONL file written by the client) to judgements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autoopt.client import record
from autoopt.decide.judge import Look, Verdict, judge_stage
from autoopt.errors import MetricsError
from autoopt.metrics.arms import arm_sample, observation, stage_windows
from autoopt.values import Window
from tests.judge.samples import BALANCED

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def rows(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_arm_sample_counts_errors_and_keeps_latencies_of_successes() -> None:
    frame = rows(
        latency_ms=[100.0, 200.0, 30_000.0, 400.0],
        error=[False, False, True, False],
        quality=[90.0, np.nan, 70.0, 80.0],
        cost_usd=[0.001, 0.002, np.nan, 0.003],
    )
    sample = arm_sample(frame)
    assert (sample.n, sample.errors) == (4, 1)
    assert sample.latencies_ms.tolist() == [100.0, 200.0, 400.0]
    assert (sample.quality_n, sample.quality_sum, sample.quality_sumsq) == (3, 240.0, 19_400.0)
    assert sample.cost_n == 3
    assert sample.cost_sum == pytest.approx(0.006)
    no_optional = arm_sample(rows(latency_ms=[1.0], error=[False]))
    assert (no_optional.quality_n, no_optional.cost_n) == (0, 0)


def _frame(path: Path, n: int, seed: int, canary_latency: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    for i in range(n):
        canary = rng.random() < (0.05 if i < n // 2 else 0.25)
        latency = float(800 * np.exp(0.4 * rng.standard_normal())) * (
            canary_latency if canary else 1.0
        )
        record(
            path,
            service="chat-service",
            version="v8" if canary else "v7",
            model="m",
            latency_ms=round(latency, 3),
            tokens_in=100,
            tokens_out=50,
            error=bool(rng.random() < 0.02),
            quality=float(round(100 * rng.beta(8, 2), 2)),
            timestamp=T0 + timedelta(seconds=i * 3600 / n),
        )
    record(
        path,
        service="other",
        version="v8",
        model="m",
        latency_ms=1.0,
        tokens_in=1,
        tokens_out=1,
        error=True,
        timestamp=T0,
    )
    frame = pd.read_json(path, lines=True)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def test_observation_cuts_stages_and_intervals_from_a_client_written_file(tmp_path: Path) -> None:
    frame = _frame(tmp_path / "m.jsonl", 2000, seed=3)
    stages = {
        0: Window(T0, T0 + timedelta(minutes=30)),
        1: Window(T0 + timedelta(minutes=30), T0 + timedelta(hours=1)),
    }
    whole = observation(frame, service="chat-service", stable="v7", canary="v8", stages=stages)
    assert [i.stage for i in whole.intervals] == [0, 1]
    total = sum(i.stable.n + i.canary.n for i in whole.intervals)
    assert total == 2000  # the other service's row is not counted
    share0 = whole.intervals[0].canary.n / 1000
    share1 = whole.intervals[1].canary.n / 1000
    assert 0.03 < share0 < 0.07 and 0.2 < share1 < 0.3
    cut = observation(
        frame,
        service="chat-service",
        stable="v7",
        canary="v8",
        stages=stages,
        interval=timedelta(minutes=7),
    )
    assert [i.stage for i in cut.intervals] == [0] * 5 + [1] * 5  # 7+7+7+7+2 minutes per stage
    assert sum(i.canary.n for i in cut.intervals) == sum(i.canary.n for i in whole.intervals)
    # half-open windows: a row at exactly the end belongs to the next stage
    edge = observation(
        frame,
        service="chat-service",
        stable="v7",
        canary="v8",
        stages={0: Window(T0, T0 + timedelta(seconds=1.8))},
    )
    assert sum(i.stable.n + i.canary.n for i in edge.intervals) == 1
    naive = {0: Window(T0.replace(tzinfo=None), T0.replace(tzinfo=None) + timedelta(hours=1))}
    found = observation(frame, service="chat-service", stable="v7", canary="v8", stages=naive)
    assert sum(i.stable.n + i.canary.n for i in found.intervals) == 2000


def test_the_judge_reads_an_observation_end_to_end(tmp_path: Path) -> None:
    frame = _frame(tmp_path / "m.jsonl", 6000, seed=4, canary_latency=1.6)
    stages = {
        0: Window(T0, T0 + timedelta(minutes=30)),
        1: Window(T0 + timedelta(minutes=30), T0 + timedelta(hours=1)),
    }
    obs = observation(frame, service="chat-service", stable="v7", canary="v8", stages=stages)
    verdict = judge_stage(obs, BALANCED, Look.of(BALANCED.rollout, 1, timedelta(minutes=30)))
    assert verdict.verdict is Verdict.ROLLBACK
    assert verdict.codes == ("latency_p95_increase",)
    assert verdict.reasons[0].values["change"] == pytest.approx(0.6, abs=0.12)


def test_a_missing_column_is_named() -> None:
    frame = rows(timestamp=[T0], service=["s"], version=["v7"], error=[False])
    with pytest.raises(MetricsError, match="metrics table has no column latency_ms"):
        observation(frame, service="s", stable="v7", canary="v8", stages={0: Window(T0, T0)})


def test_stage_windows_run_from_each_start_to_the_next() -> None:
    starts = [T0, T0 + timedelta(minutes=7), T0 + timedelta(minutes=20)]
    windows = stage_windows(starts, T0 + timedelta(minutes=25))
    assert windows == {
        0: Window(T0, T0 + timedelta(minutes=7)),
        1: Window(T0 + timedelta(minutes=7), T0 + timedelta(minutes=20)),
        2: Window(T0 + timedelta(minutes=20), T0 + timedelta(minutes=25)),
    }


def test_cut_by_array_masks_gives_what_dataframe_indexing_gives() -> None:
    """The observation cuts the windows with numpy masks; the same samples as taking each
    cut's rows out of the DataFrame and summarising them with ``arm_sample``, in any row
    order, with missing quality and cost, and naive window times."""
    from datetime import timedelta as td

    import numpy as np
    import pandas as pd

    from autoopt.metrics.arms import arm_sample, observation
    from autoopt.values import Window

    rng = np.random.default_rng(5)
    n = 3000
    start = pd.Timestamp("2026-11-25T10:00:00Z")
    frame = pd.DataFrame(
        {
            "timestamp": start + pd.to_timedelta(rng.uniform(-60, 1260, n), unit="s"),
            "service": rng.choice(["a", "b"], n),
            "version": rng.choice(["v1", "v2", "v3"], n),
            "latency_ms": np.where(rng.random(n) < 0.01, np.nan, rng.lognormal(6, 0.3, n)),
            "error": rng.random(n) < 0.05,
            "quality": np.where(rng.random(n) < 0.2, np.nan, rng.normal(85, 5, n)),
            "cost_usd": rng.gamma(4, 0.001, n),
        }
    )
    t0 = datetime(2026, 11, 25, 10, 0)  # naive: UTC
    stages = {0: Window(t0, t0 + td(minutes=5)), 1: Window(t0 + td(minutes=5), t0 + td(minutes=20))}
    got = observation(
        frame, service="a", stable="v1", canary="v2", stages=stages, interval=td(minutes=1)
    )
    mine = frame[(frame["service"] == "a") & frame["version"].isin(["v1", "v2"])]
    expected = []
    for stage, window in stages.items():
        begin = pd.Timestamp(window.start, tz="UTC")
        while begin < pd.Timestamp(window.end, tz="UTC"):
            end = min(begin + pd.Timedelta(minutes=1), pd.Timestamp(window.end, tz="UTC"))
            part = mine[(mine["timestamp"] >= begin) & (mine["timestamp"] < end)]
            if len(part):
                expected.append(
                    (
                        stage,
                        arm_sample(part[part["version"] == "v1"]),
                        arm_sample(part[part["version"] == "v2"]),
                    )
                )
            begin = end
    assert len(got.intervals) == len(expected) == 20
    for interval, (stage, stable, canary) in zip(got.intervals, expected, strict=True):
        assert interval.stage == stage
        for found, want in ((interval.stable, stable), (interval.canary, canary)):
            assert (found.n, found.errors, found.quality_n, found.cost_n) == (
                want.n,
                want.errors,
                want.quality_n,
                want.cost_n,
            )
            assert np.array_equal(found.latencies_ms, want.latencies_ms)
            assert found.quality_sum == want.quality_sum
            assert found.cost_sumsq == want.cost_sumsq

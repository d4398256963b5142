"""The metrics source protocol, asked of a real file source: summaries, arms, profiles, rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autoopt.metrics.arms import observation
from autoopt.metrics.filesource import FilesMetrics
from autoopt.metrics.profile import profile_models
from autoopt.metrics.sources import ArmsRequest, Period, SummaryRequest
from autoopt.metrics.summary import summarise
from autoopt.spec.models import FilesSource
from autoopt.values import Window
from tests.metrics.helpers import frame

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DAY = Window(datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC))


def source(tmp_path: Path, data: pd.DataFrame) -> FilesMetrics:
    data.to_parquet(tmp_path / "m.parquet")
    return FilesMetrics(FilesSource(type="files", path="m.parquet"), tmp_path)


def two_services() -> pd.DataFrame:
    parts = [
        frame(600, seed=1, version="v1", hours=48, start="2026-11-23T00:00:00Z"),
        frame(300, seed=2, version="v2", model="gpt-4o-mini", hours=24),
        frame(200, seed=3, service="search", hours=24),
        frame(5, seed=4, start="2026-11-26T00:00:00Z", hours=1),  # in the future of NOW
    ]
    return pd.concat(parts, ignore_index=True)


def test_summaries_count_rows_outside_the_window_and_match_summarise(tmp_path: Path) -> None:
    data = two_services()
    metrics = source(tmp_path, data)
    asked = [
        SummaryRequest("chat", Period.fixed(DAY), {"v1": {"model": "gpt-4o"}}),
        SummaryRequest("search", Period(end=NOW)),
    ]
    chat, search = metrics.summaries(asked)
    assert chat.window == DAY
    # chat: 300 of v1 and 300 of v2 in the day; 300 of v1 before it, 5 in the future
    assert chat.rows.as_dict() == {"accepted": 600, "rejected": 0, "reasons": {}, "outside": 305}
    want = summarise(data, "chat", {"v1": {"model": "gpt-4o"}}, DAY)
    assert [(s.version, s.n, s.metrics) for s in chat.summaries] == [
        (s.version, s.n, s.metrics) for s in want
    ]
    assert dict(chat.summaries[0].candidate.params) == {"model": "gpt-4o"}
    # no start: from the service's first row; the search rows end before NOW, so at the last
    # row only when fit_end asks for it
    first = data.loc[data["service"] == "search", "timestamp"].min().to_pydatetime()
    assert search.window == Window(first, NOW)
    assert search.rows.accepted == 200 and search.rows.outside == 0
    (fitted,) = metrics.summaries([SummaryRequest("search", Period(end=NOW, fit_end=True))])
    last = data.loc[data["service"] == "search", "timestamp"].max().to_pydatetime()
    assert fitted.window == Window(first, last + timedelta(microseconds=1))
    assert metrics.services() == ["chat", "search"]


def test_a_service_with_no_rows_in_the_window_has_no_summaries(tmp_path: Path) -> None:
    metrics = source(tmp_path, two_services())
    (read,) = metrics.summaries([SummaryRequest("nobody", Period.fixed(DAY))])
    assert read.summaries == [] and read.rows.accepted == 0


def test_arms_for_many_rollouts_match_the_observation_of_each(tmp_path: Path) -> None:
    data = two_services()
    metrics = source(tmp_path, data)
    stages = {0: Window(DAY.start, DAY.start + timedelta(hours=6)), 1: Window(
        DAY.start + timedelta(hours=6), DAY.end)}  # fmt: skip
    asked = [
        ArmsRequest("chat", "v1", "v2", stages, timedelta(hours=1)),
        ArmsRequest("search", "v1", "v1", {0: DAY}),
    ]
    read = metrics.arms(asked)
    chat, search = read.observations
    priced = metrics.rows().frame
    want = observation(priced, service="chat", stable="v1", canary="v2", stages=stages,
                       interval=timedelta(hours=1))  # fmt: skip
    assert len(chat.intervals) == len(want.intervals) == 24
    for got, ref in zip(chat.intervals, want.intervals, strict=True):
        assert got.stage == ref.stage
        for arm in ("stable", "canary"):
            a, b = getattr(got, arm), getattr(ref, arm)
            assert (a.n, a.errors, a.quality_n, a.cost_n) == (b.n, b.errors, b.quality_n, b.cost_n)
            np.testing.assert_array_equal(np.sort(a.latencies_ms), np.sort(b.latencies_ms))
            assert a.cost_sum == pytest.approx(b.cost_sum)
    (interval,) = search.intervals
    assert interval.stable.n == interval.canary.n == 200


def test_a_shifted_stable_arm_compares_a_version_with_its_own_past(tmp_path: Path) -> None:
    data = frame(480, seed=5, hours=48, start="2026-11-23T00:00:00Z")
    metrics = source(tmp_path, data)
    read = metrics.arms([ArmsRequest("chat", "v1", "v1", {0: DAY}, stable_shift=timedelta(days=1))])
    (interval,) = read.observations[0].intervals
    # the day before (shifted onto DAY) against DAY itself
    assert (interval.stable.n, interval.canary.n) == (240, 240)
    before = data.iloc[:240]
    assert interval.stable.errors == int(before["error"].sum())


def test_profiles_are_those_of_the_services_rows(tmp_path: Path) -> None:
    data = two_services()
    metrics = source(tmp_path, data)
    got = metrics.profiles("chat")
    priced = metrics.rows("chat").frame
    want = profile_models(priced)
    assert sorted(got) == ["gpt-4o", "gpt-4o-mini"]
    assert got["gpt-4o"].n == want["gpt-4o"].n == 605
    assert got["gpt-4o"].ms_per_token == want["gpt-4o"].ms_per_token


def test_rows_of_one_service_in_a_window(tmp_path: Path) -> None:
    metrics = source(tmp_path, two_services())
    read = metrics.rows("chat", DAY)
    assert len(read.frame) == 600 and set(read.frame["service"]) == {"chat"}
    assert read.rows.accepted == 600 and read.rows.outside == 305

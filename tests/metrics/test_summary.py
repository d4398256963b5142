from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from autoopt.errors import UserError
from autoopt.metrics import summarise
from autoopt.metrics.summary import parse_moment, resolve_window
from autoopt.values import METRICS, Window
from tests.metrics.helpers import frame

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAY = Window(datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC))


def test_summaries_match_brute_force_references() -> None:
    a = frame(4000, seed=1, version="v1", error_rate=0.05)
    b = frame(1000, seed=2, version="v2", model="gpt-4o-mini", error_rate=0.01)
    other = frame(500, seed=3, service="search")
    data = pd.concat([a, b, other], ignore_index=True)
    summaries = summarise(data, "chat", {"v1": {"model": "gpt-4o"}}, DAY)
    assert [s.version for s in summaries] == ["v1", "v2"]
    s1, s2 = summaries
    assert (s1.n, s1.errors) == (4000, int(a["error"].sum()))
    assert dict(s1.candidate.params) == {"model": "gpt-4o"}
    assert s2.notes == ("version v2 is not in the config's history",)
    assert set(s1.metrics) == set(METRICS)
    m = s1.metrics
    assert m["error_rate"].value == a["error"].mean()
    for name, p in (("latency_p50_ms", 0.5), ("latency_p95_ms", 0.95), ("latency_p99_ms", 0.99)):
        assert m[name].value == np.quantile(a["latency_ms"], p, method="inverted_cdf")
    assert m["ttft_p95_ms"].value == np.quantile(a["ttft_ms"], 0.95, method="inverted_cdf")
    assert m["quality"].value == pytest.approx(a["quality"].mean())
    assert m["cost_per_request"].value == pytest.approx(a["cost_usd"].mean())
    assert m["tokens_out_mean"].value == pytest.approx(a.loc[~a["error"], "tokens_out"].mean())
    # both versions together ran 5000 requests over (almost) one day: the daily projection
    # is the cost of serving all of it with this version, at the rate (N − 1) / span
    span_days = (
        data.loc[data["service"] == "chat", "timestamp"].max() - DAY.start
    ).total_seconds() / 86400
    assert m["daily_cost_usd"].value == pytest.approx(a["cost_usd"].mean() * 4999 / span_days)


def test_unmeasurable_metrics_are_absent_not_zero() -> None:
    data = frame(100, quality=np.nan, ttft_ms=np.nan)
    data.loc[3, "cost_usd"] = np.nan
    (summary,) = summarise(data, "chat", {}, DAY)
    for absent in ("quality", "ttft_p95_ms", "cost_per_request", "daily_cost_usd"):
        assert absent not in summary.metrics
    assert "cost unknown for 1 of 100 rows (no price for the model)" in summary.notes
    assert "no quality scores in the metrics" in summary.notes


def test_rows_outside_the_window_are_left_out() -> None:
    data = frame(240, hours=48, start="2026-11-23T00:00:00Z")
    (summary,) = summarise(data, "chat", {}, DAY)
    assert summary.n == 120
    assert summarise(data, "nobody", {}, DAY) == []


def test_window_options() -> None:
    assert parse_moment("24h", NOW, option="--since") == NOW - timedelta(hours=24)
    assert parse_moment("2026-11-24T00:00:00Z", NOW, option="--since") == DAY.start
    assert parse_moment("2026-11-24T00:00:00", NOW, option="--since") == DAY.start
    with pytest.raises(UserError, match=r"^--since 'last week': expected a duration such as 24h"):
        parse_moment("last week", NOW, option="--since")
    assert resolve_window("1d", None, NOW) == Window(NOW - timedelta(days=1), NOW)
    data = frame(10, start="2026-11-20T00:00:00Z", hours=1)
    window = resolve_window(None, None, NOW, data)
    assert window.start == datetime(2026, 11, 20, tzinfo=UTC)
    assert window.end == data["timestamp"].max().to_pydatetime() + timedelta(microseconds=1)
    with pytest.raises(UserError, match=r"^empty window: --since"):
        resolve_window("2026-11-26T00:00:00Z", "1h", NOW)


def test_nanosecond_timestamps_from_the_simulator_are_fine() -> None:
    data = frame(100)
    data["timestamp"] = data["timestamp"].dt.as_unit("ns") + pd.Timedelta(nanoseconds=7)
    window = resolve_window(None, None, NOW, data)
    (summary,) = summarise(data, "chat", {}, window)
    assert summary.n == 100

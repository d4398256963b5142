from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autoopt.errors import UserError
from autoopt.metrics.aggregate import timeseries
from autoopt.metrics.stats import quantile_estimate, wilson
from tests.metrics.helpers import frame


def reference(data: pd.DataFrame, freq: str) -> pd.DataFrame:
    """The same numbers with pandas, one group at a time (the brute-force reference)."""
    rows = []
    for (service, version, bucket), g in data.groupby(
        ["service", "version", data["timestamp"].dt.floor(freq)]
    ):
        rows.append({
            "service": service, "version": version, "bucket": bucket, "n": len(g),
            "errors": int(g["error"].sum()), "cost_per_request": g["cost_usd"].mean(),
            **{f"latency_p{int(p * 100)}_ms": np.quantile(g["latency_ms"], p, method="inverted_cdf")
               for p in (0.5, 0.95, 0.99)},
            "quality": g["quality"].mean(),
        })  # fmt: skip
    return pd.DataFrame(rows)


def data() -> pd.DataFrame:
    parts = [frame(3000, seed=1, hours=3), frame(2000, seed=2, version="v2", hours=3),
             frame(1000, seed=3, service="search", hours=3)]  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    out.loc[out.index % 7 == 0, "quality"] = np.nan
    return out


@pytest.mark.parametrize("by", ["5m", "1h"])
def test_buckets_match_a_pandas_reference(by: str) -> None:
    rows = data()
    got, report = timeseries(rows, by)
    want = reference(rows, {"5m": "5min", "1h": "1h"}[by])
    assert report.as_dict() == {"accepted": 6000, "rejected": 0, "reasons": {}, "outside": 0}
    assert len(got) == len(want)
    for column in ("n", "errors", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"):
        np.testing.assert_array_equal(got[column].to_numpy(), want[column].to_numpy())
    for column in ("cost_per_request", "quality"):
        np.testing.assert_allclose(got[column].to_numpy(), want[column].to_numpy(), rtol=1e-9)
    assert list(got["bucket"].dt.tz_convert("UTC")) == list(want["bucket"])
    first = wilson(int(want["errors"][0]), int(want["n"][0]))
    assert (got["error_rate_low"][0], got["error_rate_high"][0]) == pytest.approx(
        (first.low, first.high)
    )


def test_parquet_push_down_validates_and_filters(tmp_path: Path) -> None:
    rows = data()
    rows.loc[0, "latency_ms"] = -1.0
    rows.loc[1, "timestamp"] = pd.NaT
    rows.loc[2, "quality"] = 140.0
    rows.to_parquet(tmp_path / "m.parquet")
    got, report = timeseries(tmp_path / "m.parquet", "1h", service="chat")
    assert report.as_dict() == {
        "accepted": 4997,
        "rejected": 3,
        "reasons": {"bad_latency": 1, "bad_quality": 1, "missing_timestamp": 1},
        "outside": 0,
    }
    assert got["n"].sum() == 4997 and set(got["service"]) == {"chat"}


def test_unknown_bucket_is_a_user_error() -> None:
    with pytest.raises(UserError, match=r"^--by '2m': expected one of 1m, 5m, 15m, 1h, 1d$"):
        timeseries(data(), "2m")


def test_a_bucket_with_an_unknown_cost_has_no_cost() -> None:
    rows = frame(120, hours=2)
    rows.loc[5, "cost_usd"] = np.nan
    got, _report = timeseries(rows, "1h")
    assert np.isnan(got["cost_per_request"][0])
    assert got["cost_per_request"][1] == pytest.approx(rows["cost_usd"][60:].mean())


def test_quantile_intervals_per_bucket_are_the_summaries_order_statistics() -> None:
    rows = data()
    rows.loc[0, "latency_ms"] = -1.0  # a rejected row keeps its own group, not a bucket's
    got, report = timeseries(rows, "15m", service="chat", quantile_intervals=True)
    assert report.reasons == {"bad_latency": 1}
    valid = rows.loc[(rows["service"] == "chat") & (rows["latency_ms"] >= 0)]
    groups = valid.groupby(["version", valid["timestamp"].dt.floor("15min")])
    assert len(got) == groups.ngroups
    for row, (_key, group) in zip(got.itertuples(), groups, strict=True):
        for q, p in ((50, 0.5), (95, 0.95), (99, 0.99)):
            want = quantile_estimate(group["latency_ms"].to_numpy(), p)
            assert want is not None
            assert getattr(row, f"latency_p{q}_ms") == want.value
            assert getattr(row, f"latency_p{q}_ms_low") == want.low
            assert getattr(row, f"latency_p{q}_ms_high") == want.high

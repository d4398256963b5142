"""The pushed-down answers equal the full load's, on files with bad rows of every kind.

The full-load path reads every row of the service into pandas (``rows``) and answers with the
pandas functions (``FrameMetrics``); the pushed-down path answers inside DuckDB. Same window,
same accounting, same prices, same numbers.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autoopt.metrics.filesource import FilesMetrics
from autoopt.metrics.framesource import FrameMetrics
from autoopt.metrics.sources import ArmsRequest, Period, SummaryRequest
from autoopt.spec.models import FilesSource, PriceOverride
from autoopt.values import Summary, Window
from tests.metrics.helpers import frame

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
HEADER = "timestamp,service,version,model,latency_ms,tokens_in,tokens_out,error,quality,cost_usd"
BAD = [
    "not-a-time,chat,v1,gpt-4o,100,10,5,false,,",  # bad_timestamp
    "1764000000123,chat,v1,gpt-4o,100,10,5,false,,",  # epoch milliseconds: fine
    "-5,chat,v1,gpt-4o,100,10,5,false,,",  # before 1970
    "1e30,chat,v1,gpt-4o,100,10,5,false,,",  # beyond 9999 (in any unit)
    ",chat,v1,gpt-4o,100,10,5,false,,",  # missing_timestamp
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,inf,10,5,false,,",  # bad_latency
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,nan,10,5,false,,",
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,-1,10,5,false,,",
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,100,,5,false,,",  # bad_tokens (a success)
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,100,,,true,,",  # a failure without tokens: fine
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,100,10,5,maybe,,",  # bad_error
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,100,10,5,false,101,",  # bad_quality
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,100,10,5,false,NaN,",
    "2026-11-24T10:00:00Z,chat,v1,gpt-4o,100,10,5,false,,-0.5",  # bad_cost
    "2026-11-24T10:00:00Z,   ,v1,gpt-4o,100,10,5,false,,",  # missing_service
    "2026-11-24T10:00:00Z, chat ,v2,gpt-4o-mini,100,10,5,false,,",  # trimmed: chat
    "2026-11-24T10:00:00Z,chat,v1,in-house-7b,100,10,5,false,,",  # no price anywhere
    "2026-11-26T10:00:00Z,chat,v2,gpt-4o-mini,100,10,5,false,,",  # in the future of NOW
    "too,few,fields",  # unparseable
]


def write_csv(path: Path) -> pd.DataFrame:
    good = pd.concat(
        [
            frame(800, seed=1, version="v1", hours=36, start="2026-11-23T12:00:00Z"),
            frame(400, seed=2, version="v2", model="gpt-4o-mini", hours=24),
            frame(300, seed=3, service="search", hours=24),
        ],
        ignore_index=True,
    )
    good.loc[good.index % 3 == 0, "cost_usd"] = np.nan  # priced from the catalog
    good.loc[good.index % 5 == 0, "quality"] = np.nan
    good["timestamp"] = good["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    columns = HEADER.split(",")
    body = good[columns].to_csv(index=False, header=False).splitlines()
    lines = [HEADER, *body[:500], *BAD, *body[500:]]
    data = (
        "\n".join(lines).encode() + b"\n2026-11-24T10:00:00Z,chat,v1,gpt-4o,\xe9\xff,1,1,false,,\n"
    )
    path.write_bytes(data)
    return good


def sources(tmp_path: Path) -> tuple[FilesMetrics, FrameMetrics]:
    write_csv(tmp_path / "m.csv")
    prices = {"ft-1": PriceOverride(input_per_mtok=1.0, output_per_mtok=2.0)}
    pushed = FilesMetrics(FilesSource(type="files", path="m.csv"), tmp_path, prices)
    loaded = FilesMetrics(FilesSource(type="files", path="m.csv"), tmp_path, prices)
    return pushed, FrameMetrics(loaded.rows("chat"), "full load")


def same_summaries(a: list[Summary], b: list[Summary]) -> None:
    assert [(s.version, s.n, s.errors, s.notes) for s in a] == [
        (s.version, s.n, s.errors, s.notes) for s in b
    ]
    for x, y in zip(a, b, strict=True):
        assert x.window == y.window and set(x.metrics) == set(y.metrics)
        for name, est in x.metrics.items():
            other = y.metrics[name]
            for field in ("value", "low", "high"):
                got, want = getattr(est, field), getattr(other, field)
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12) or (
                    math.isinf(got) and got == want
                ), (x.version, name, field)


@pytest.mark.parametrize(
    "period",
    [
        Period(end=NOW),
        Period(end=NOW, fit_end=True),
        Period.fixed(
            Window(datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC))
        ),
    ],
    ids=["to-now", "fit-end", "one-day"],
)
def test_summaries_and_accounting_equal_the_full_load(tmp_path: Path, period: Period) -> None:
    pushed, loaded = sources(tmp_path)
    asked = [SummaryRequest("chat", period, {"v1": {"model": "gpt-4o"}})]
    (a,) = pushed.summaries(asked)
    (b,) = loaded.summaries(asked)
    assert a.window == b.window
    assert a.rows.as_dict() == b.rows.as_dict()
    same_summaries(a.summaries, b.summaries)
    # the prices of the rows in the window: the full load of the window
    window = FrameMetrics(pushed.rows("chat", a.window))
    (c,) = window.summaries([SummaryRequest("chat", Period.fixed(a.window), asked[0].candidates)])
    assert a.pricing.as_dict() == c.pricing.as_dict()
    assert a.rows.as_dict() == c.rows.as_dict()
    same_summaries(a.summaries, c.summaries)
    reasons = a.rows.reasons
    assert reasons["bad_timestamp"] == 3 and reasons["missing_timestamp"] == 1
    assert reasons["bad_latency"] == 3 and reasons["bad_tokens"] == 1
    assert reasons["bad_error"] == reasons["bad_cost"] == reasons["missing_service"] == 1
    assert reasons["bad_quality"] == 2 and reasons["unparseable"] == 1
    assert reasons["bad_encoding"] == 1
    assert a.pricing.unknown.get("in-house-7b") == 1
    assert a.rows.outside >= 1  # the future row at least


def test_arms_and_profiles_equal_the_full_load(tmp_path: Path) -> None:
    pushed, loaded = sources(tmp_path)
    day = datetime(2026, 11, 24, tzinfo=UTC)
    stages = {0: Window(day, day + timedelta(hours=8)), 1: Window(day + timedelta(hours=8), NOW)}
    asked = [
        ArmsRequest("chat", "v1", "v2", stages, timedelta(minutes=30)),
        ArmsRequest("chat", "v1", "v1", {0: Window(day, NOW)}, stable_shift=timedelta(hours=12)),
    ]
    a, b = pushed.arms(asked), loaded.arms(asked)
    for x, y in zip(a.observations, b.observations, strict=True):
        assert len(x.intervals) == len(y.intervals) > 0
        for i, j in zip(x.intervals, y.intervals, strict=True):
            assert i.stage == j.stage
            for arm in ("stable", "canary"):
                p, q = getattr(i, arm), getattr(j, arm)
                assert (p.n, p.errors, p.quality_n, p.cost_n) == (
                    q.n,
                    q.errors,
                    q.quality_n,
                    q.cost_n,
                )
                np.testing.assert_array_equal(np.sort(p.latencies_ms), np.sort(q.latencies_ms))
                assert p.cost_sum == pytest.approx(q.cost_sum, rel=1e-12)
                assert p.quality_sumsq == pytest.approx(q.quality_sumsq, rel=1e-12)
    got, want = pushed.profiles("chat"), loaded.profiles("chat")
    assert sorted(got) == sorted(want) == ["gpt-4o", "gpt-4o-mini", "in-house-7b"]
    for model in got:
        assert got[model] == want[model]

"""Request-level behaviour: the table's contract, truncation, retries, fallbacks, rate limits,
timeouts, faults, splitting, replay and paired what-if runs."""

# Tests import their heavy libraries directly.
# ruff: noqa: TID253

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sim_helpers import make

from simulator import COLUMNS, Params, run_paired, run_scenario

CONSTANT_BIG = {"ttft_ms": {"dist": "constant", "value": 200}, "per_token_ms": 10}
FIXED_TOKENS = {
    "tokens_in": {"dist": "constant", "value": 100},
    "tokens_out": {"dist": "constant", "value": 200},
}


def minutes(frame: pd.DataFrame) -> pd.Series:
    return (frame["timestamp"] - pd.Timestamp("2026-11-25T00:00:00Z")).dt.total_seconds() / 60


def within(count: float, n: int, p: float, sds: float = 4.0) -> bool:
    return abs(count - n * p) <= sds * math.sqrt(n * p * (1 - p)) + 1


def test_the_table_has_the_canonical_columns_and_types() -> None:
    spec = {
        "models": {"big": {"error_rate": 0.2}},
        "variants": {"stable": {"params": {"max_tokens": 120}}},
    }
    f = run_scenario(make(spec), seed=1).frame
    assert tuple(f.columns) == COLUMNS
    assert str(f["timestamp"].dtype) == "datetime64[ns, UTC]"
    for col in ("service", "version", "variant", "model", "error_type"):
        assert f[col].dtype == "str", col
    for col, dtype in (("latency_ms", "float64"), ("ttft_ms", "float64"), ("tokens_in", "int64"),
                       ("tokens_out", "int64"), ("cost_usd", "float64"), ("error", "bool"),
                       ("quality", "float64"), ("truncated", "bool")):  # fmt: skip
        assert f[col].dtype == dtype, col
    assert f["timestamp"].is_monotonic_increasing
    assert (f["error"] == f["quality"].isna()).all()
    assert (f["error"] == (f["error_type"] != "")).all()
    assert set(f["error_type"]) == {"", "server_error"}
    assert (f.loc[f["truncated"], "tokens_out"] == 120).all()
    assert f["quality"].between(0, 100).all() or f["quality"].isna().any()
    ok = f[~f["error"]]
    assert np.allclose(
        ok["cost_usd"], ok["tokens_in"] * 0.0025 / 1000 + ok["tokens_out"] * 0.01 / 1000
    )
    assert (f.loc[f["error"], "cost_usd"] == 0).all()
    assert (ok["ttft_ms"] <= ok["latency_ms"]).all()


def test_max_tokens_truncates_and_marks_truncated() -> None:
    spec = {"requests": FIXED_TOKENS, "models": {"big": CONSTANT_BIG},
            "variants": {"stable": {"params": {"max_tokens": 150}}}}  # fmt: skip
    f = run_scenario(make(spec), seed=1).frame
    assert f["truncated"].all()
    assert (f["tokens_out"] == 150).all()
    np.testing.assert_allclose(f["latency_ms"], 200 + 150 * 10)
    np.testing.assert_allclose(f["ttft_ms"], 200)


def test_server_errors_are_retried_with_exponential_backoff() -> None:
    spec = {"duration": "1h", "models": {"big": CONSTANT_BIG | {"error_rate": 0.3}},
            "variants": {"stable": {"params": {"retries": 2, "backoff_s": "1s"}}}}  # fmt: skip
    f = run_scenario(make(spec), seed=2).frame
    assert within(f["error"].sum(), len(f), 0.3**3)
    failed = f[f["error"]]
    assert (failed["error_type"] == "server_error").all()
    # three attempts of 200 ms each, then backoffs of 1 s and 2 s with jitter in [0.5, 1]
    assert failed["latency_ms"].between(600 + 1500, 600 + 3000).all()
    first_try = 200 + 10 * f["tokens_out"]
    ok = ~f["error"]
    np.testing.assert_allclose(f.loc[ok, "ttft_ms"], f.loc[ok, "latency_ms"] - first_try[ok] + 200)
    retried_ok = ok & (f["latency_ms"] > first_try + 1)
    assert within(retried_ok.sum(), len(f), 0.3 * (0.7 + 0.3 * 0.7))  # failed once or twice
    assert (f.loc[retried_ok, "latency_ms"] >= first_try[retried_ok] + 200 + 500).all()


def test_fallbacks_take_over_during_an_outage() -> None:
    spec = {
        "models": {"big": CONSTANT_BIG, "small": {"reject_latency_ms": 20}},
        "variants": {"stable": {"params": {"fallbacks": ["small"]}}},
        "faults": [{"type": "outage", "target": {"model": "big"}, "start": "2m", "duration": "3m"}],
    }
    r = run_scenario(make(spec), seed=3)
    f, m = r.frame, minutes(r.frame)
    assert not f["error"].any()
    during = (m >= 2) & (m < 5)
    assert (f.loc[during, "model"] == "small").all()
    assert (f.loc[~during & (m < 9.5), "model"] == "big").all()
    kinds = [(e.kind, e.at.minute) for e in r.events if e.kind.startswith("fault")]
    assert kinds == [("fault_start", 2), ("fault_end", 5)]


def test_rate_limits_admit_exactly_the_bucket() -> None:
    spec = {"models": {"big": CONSTANT_BIG | {"rate_limit": {"requests_per_min": 120}}}}
    r = run_scenario(make(spec), seed=4)
    f = r.frame
    ok = (~f["error"]).sum()
    # a full bucket of 120 plus 2 per second refilled over the last arrival's time
    last = f["timestamp"].iloc[-1] - pd.Timestamp("2026-11-25T00:00:00Z")
    assert 120 * 10 - 10 < ok <= 120 + 2 * last.total_seconds()
    assert set(f.loc[f["error"], "error_type"]) == {"rate_limited"}
    np.testing.assert_allclose(f.loc[f["error"], "latency_ms"], 20)
    hits = sum(e.value for e in r.events if e.kind == "rate_limited")
    assert hits == f["error"].sum()


def test_rate_limited_requests_retry_and_wait_out_the_limit() -> None:
    spec = {
        "traffic": {"rate": 1.5},
        "models": {"big": CONSTANT_BIG | {"rate_limit": {"tokens_per_min": 300 * 60}}},
        "variants": {"stable": {"params": {"retries": 6, "backoff_s": "2s", "max_tokens": 200}}},
    }
    f = run_scenario(make(spec), seed=5).frame
    # each request needs 100 + 200 tokens: the bucket refills one request per second
    assert (~f["error"]).sum() <= 60 + 600 + 1
    waited = f.loc[~f["error"], "latency_ms"] > 2200
    assert waited.mean() > 0.2


def test_timeouts_cut_queueing_requests() -> None:
    spec = {
        "traffic": {"rate": 2},
        "models": {"big": CONSTANT_BIG | {"concurrency": 2}},
        "variants": {"stable": {"params": {"timeout_s": "3s"}}},
    }
    f = run_scenario(make(spec), seed=6).frame
    timed_out = f[f["error_type"] == "timeout"]
    assert len(timed_out) > 0.1 * len(f)
    np.testing.assert_allclose(timed_out["latency_ms"], 3000)
    assert (f.loc[~f["error"], "latency_ms"] <= 3000).all()


def test_faults_spike_latency_raise_errors_and_drop_quality() -> None:
    window = {"start": "2m", "duration": "4m", "target": {"model": "big"}}
    spec = {
        "requests": FIXED_TOKENS,
        "models": {"big": CONSTANT_BIG | {"quality": {"dist": "constant", "value": 90}}},
        "faults": [
            window | {"type": "latency_spike", "magnitude": 3},
            window | {"type": "error_burst", "magnitude": 0.5},
            window | {"type": "quality_drop", "magnitude": 25},
        ],
    }
    f = run_scenario(make(spec), seed=7).frame
    inside = (minutes(f) >= 2) & (minutes(f) < 6)
    ok = ~f["error"]
    np.testing.assert_allclose(f.loc[inside & ok, "latency_ms"], 3 * (200 + 200 * 10))
    np.testing.assert_allclose(f.loc[~inside & ok, "latency_ms"], 200 + 200 * 10)
    assert within(f.loc[inside, "error"].sum(), int(inside.sum()), 0.5)
    assert not f.loc[~inside, "error"].any()
    assert (f.loc[inside & ok, "quality"] == 65).all()
    assert (f.loc[~inside, "quality"] == 90).all()


def test_variant_faults_hit_only_that_variant_and_sticky_split_keeps_users() -> None:
    spec = {
        "variants": {
            "canary": {"version": "v2", "params": {"model": "big"}, "weight": 30},
            "split": {"method": "sticky", "users": 40},
        },
        "faults": [
            {"type": "outage", "target": {"variant": "canary"}, "start": 0, "duration": "10m"}
        ],
    }
    f = run_scenario(make(spec), seed=8).frame
    assert (f.loc[f["variant"] == "canary", "error_type"] == "outage").all()
    assert not f.loc[f["variant"] == "stable", "error"].any()
    assert set(f.loc[f["variant"] == "canary", "version"]) == {"v2"}
    assert 0.1 < (f["variant"] == "canary").mean() < 0.5


def test_replay_uses_the_recorded_timestamps(tmp_path: object) -> None:
    stamps = ["2026-01-01T10:00:00Z", "2026-01-01T10:00:01.5Z", "2026-01-01T10:00:07Z"]
    spec = {"traffic": {"rate": None, "replay": {"timestamps": stamps}}}
    f = run_scenario(make(spec), seed=1).frame
    got = (f["timestamp"] - pd.Timestamp("2026-11-25T00:00:00Z")).dt.total_seconds()
    assert got.tolist() == [0.0, 1.5, 7.0]


def test_paired_runs_share_requests() -> None:
    spec = {"variants": {"canary": {"version": "v2", "params": {"model": "small"}, "weight": 50}}}
    base, cand = run_paired(make(spec), Params(model="small", max_tokens=64), seed=9)
    assert base.frame["timestamp"].equals(cand.frame["timestamp"])
    assert base.frame["tokens_in"].equals(cand.frame["tokens_in"])
    assert set(base.frame["model"]) == {"big"} and set(cand.frame["model"]) == {"small"}
    assert set(cand.frame["version"]) == {"candidate"} and set(cand.frame["variant"]) == {"stable"}
    assert (cand.frame["tokens_out"] <= 64).all()
    assert cand.frame["cost_usd"].mean() < base.frame["cost_usd"].mean()

"""Simulated rollouts driven by simple local judges."""

# Tests import their heavy libraries directly.
# ruff: noqa: TID253

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sim_helpers import make

from simulator import StageContext, run_scenario

ROLLOUT = {
    "duration": "10m",
    "traffic": {"rate": 10},
    "variants": {"canary": {"version": "v2", "params": {"model": "small"}}},
    "rollout": {"steps": [10, 50, 100], "check_every": "1m"},
}


def minute_of(frame: pd.DataFrame) -> pd.Series:
    return (frame["timestamp"] - pd.Timestamp("2026-11-25T00:00:00Z")).dt.total_seconds() // 60


def test_always_promote_walks_the_steps_then_hands_over() -> None:
    seen: list[StageContext] = []

    def judge(ctx: StageContext) -> str:
        seen.append(ctx)
        return "promote"

    r = run_scenario(make(ROLLOUT), seed=1, judge=judge)
    kinds = [(e.kind, e.at.minute, e.value) for e in r.events]
    assert kinds == [
        ("rollout_start", 0, 10.0),
        ("promote", 1, 10.0),
        ("promote", 2, 50.0),
        ("promote", 3, 100.0),
        ("rollout_done", 3, 100.0),
    ]
    f, m = r.frame, minute_of(r.frame)
    first = f[m == 0]
    assert 0.04 < (first["variant"] == "canary").mean() < 0.18
    assert 0.4 < (f.loc[m == 1, "variant"] == "canary").mean() < 0.6
    assert (f.loc[m == 2, "variant"] == "canary").all()
    after = f[m >= 3]
    assert set(after["variant"]) == {"stable"} and set(after["version"]) == {"v2"}
    assert set(after["model"]) == {"small"}
    assert [c.weight for c in seen] == [10.0, 50.0, 100.0]


def test_the_judge_sees_both_variants_since_the_step_started_and_finished_by_now() -> None:
    seen: list[StageContext] = []

    def judge(ctx: StageContext) -> str:
        seen.append(ctx)
        return "hold" if ctx.now.minute < 3 else "promote"

    run_scenario(make(ROLLOUT), seed=2, judge=judge)
    assert [c.step for c in seen[:5]] == [0, 0, 0, 1, 2]
    for ctx in seen:
        f = ctx.frame
        assert (f["timestamp"] >= ctx.step_started_at).all()
        finished = f["timestamp"] + pd.to_timedelta(f["latency_ms"], unit="ms")
        assert (finished <= ctx.now).all()
        assert (ctx.now - f["timestamp"].max()) < timedelta(seconds=10)
    held = seen[2].frame
    assert set(held["variant"]) == {"stable", "canary"}
    assert held["timestamp"].min() - seen[2].step_started_at < timedelta(seconds=2)


def test_rollback_on_a_bad_canary_stops_canary_traffic() -> None:
    spec = ROLLOUT | {"models": {"small": {"error_rate": 0.6}}}

    def judge(ctx: StageContext) -> str:
        f = ctx.frame
        rates = f.groupby("variant")["error"].mean()
        if (f["variant"] == "canary").sum() < 20:
            return "hold"
        return "rollback" if rates["canary"] > rates["stable"] + 0.1 else "promote"

    r = run_scenario(make(spec), seed=3, judge=judge)
    (rollback,) = [e for e in r.events if e.kind == "rollback"]
    assert not any(e.kind == "promote" for e in r.events)
    f = r.frame
    later = f[f["timestamp"] >= rollback.at]
    assert len(later) > 1000 and (later["variant"] == "stable").all()


def test_without_a_judge_the_canary_stays_at_the_first_step() -> None:
    f = run_scenario(make(ROLLOUT), seed=4).frame
    assert 0.07 < (f["variant"] == "canary").mean() < 0.13


def test_an_unknown_verdict_is_an_error() -> None:
    with pytest.raises(ValueError, match="judge returned 'ship it'"):
        run_scenario(make(ROLLOUT), seed=5, judge=lambda ctx: "ship it")


def test_progress_is_reported_and_events_tabulate() -> None:
    seen: list[float] = []
    spec = ROLLOUT | {"duration": "25m"}
    r = run_scenario(make(spec), seed=6, judge=lambda ctx: "hold", progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 3
    events = r.events_frame()
    assert list(events.columns) == ["at", "kind", "target", "value", "detail"]
    assert (events["kind"] == "hold").sum() == 24  # checks at 1m … 24m; the run ends at 25m

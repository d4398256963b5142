"""From the canonical metrics table to the evidence the state machine needs.

The metrics are split by service once (``split_by_service``); per service the two arms —
stable and canary over the current stage, or in the watch window the previous stable before
the promotion against the new stable after it — are turned into the judge's observation
(``metrics.arms``) and judged (``decide.judge.judge_stage``). The arms' metric means go
along for the A/B winner and the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from autoopt.rollout.machine import Evidence, Verdict
from autoopt.spec.models import LLMConfig, Strategy
from autoopt.values import Reason

if TYPE_CHECKING:
    import pandas as pd

Frames = dict[str, Any]  # service → its rows of the canonical metrics table

_MEANS = {"latency_ms": "latency_mean_ms", "cost_usd": "cost_per_request", "quality": "quality"}


def split_by_service(frame: pd.DataFrame | None) -> Frames:
    """One sub-table per service (a single pass over the table)."""
    if frame is None or len(frame) == 0 or "service" not in frame.columns:
        return {}
    return {str(name): rows for name, rows in frame.groupby("service", sort=False, observed=True)}


def arm_means(rows: pd.DataFrame) -> dict[str, float]:
    """``n`` and the objective metrics of one arm, for the A/B winner and the report."""
    out: dict[str, float] = {"n": float(len(rows))}
    if len(rows) == 0:
        return out
    if "error" in rows.columns:
        out["error_rate"] = float(rows["error"].astype(bool).mean())
    if "latency_ms" in rows.columns:
        out["latency_p50_ms"] = float(rows["latency_ms"].quantile(0.5))
        out["latency_p95_ms"] = float(rows["latency_ms"].quantile(0.95))
    for column, name in _MEANS.items():
        if column in rows.columns and rows[column].notna().any():
            out[name] = float(rows[column].mean())
    if "tokens_out" in rows.columns:
        out["tokens_out_mean"] = float(rows["tokens_out"].mean())
    return out


def _arm(rows: pd.DataFrame | None, version: str, start: datetime, end: datetime) -> pd.DataFrame:
    import pandas as pd

    if rows is None or len(rows) == 0:
        return pd.DataFrame({"version": pd.Series([], dtype=str)})
    stamps = rows["timestamp"]
    mask = (rows["version"] == version) & (stamps >= start) & (stamps < end)
    return rows.loc[mask]


def evidence_for(
    rows: pd.DataFrame | None, config: LLMConfig, strategy: Strategy, *, now: datetime
) -> Evidence:
    """Judge the service's current stage (or watch window) at ``now``."""
    spec = config.spec
    if spec.canary is not None:
        start = spec.canary.step_started_at
        stable = _arm(rows, spec.stable.version, start, now)
        canary = _arm(rows, spec.canary.version, start, now)
        hold = (
            spec.canary.durations[spec.canary.step]
            if spec.canary.step < len(spec.canary.durations)
            else timedelta(0)
        )
        verdict, reasons = judge(stable, canary, strategy, start=start, hold=hold, now=now)
        return Evidence(verdict, reasons, arm_means(stable), arm_means(canary))
    previous = spec.previous
    assert previous is not None
    watch = previous.promoted_at - (now - previous.promoted_at)
    baseline = _arm(rows, previous.version, watch, previous.promoted_at)
    current = _arm(rows, spec.stable.version, previous.promoted_at, now)
    verdict, reasons = judge(
        baseline, current, strategy, start=previous.promoted_at, hold=timedelta(0), now=now
    )
    if verdict != "rollback":  # in the watch window only a severe regression acts
        verdict = "hold"
    return Evidence(verdict, reasons, arm_means(baseline), arm_means(current))


def judge(
    stable: pd.DataFrame,
    canary: pd.DataFrame,
    strategy: Strategy,
    *,
    start: datetime,
    hold: timedelta,
    now: datetime,
) -> tuple[Verdict, tuple[Reason, ...]]:
    """The judge's verdict on two arms (adapter over ``decide.judge``)."""
    from autoopt.decide.judge import Look, judge_stage  # type: ignore[import-not-found]
    from autoopt.metrics.arms import observe  # type: ignore[import-not-found]

    observation = observe(stable, canary)
    look = Look(
        started_at=start, now=now, hold=hold, max_stage_time=strategy.spec.rollout.max_stage_time
    )
    result = judge_stage(observation, strategy.spec, look)
    return str(result.verdict.value), tuple(result.reasons)  # type: ignore[return-value]


def reasons_values(reasons: tuple[Reason, ...]) -> Mapping[str, Any]:
    return {r.code: dict(r.values) for r in reasons}

"""From the canonical metrics table to the evidence the state machine needs.

The metrics are split by service once (:func:`split_by_service`). Per service the two arms —
stable and canary over the rollout's stages, or in the watch window the previous stable before
the promotion against the new stable after it — become the judge's observation
(:func:`autoopt.metrics.arms.observation`) and are judged by the strategy's judge
(:func:`autoopt.decide.judge.judge_for`). The arms' metric means go along for the A/B winner.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from autoopt.rollout.machine import Evidence, Verdict
from autoopt.rollout.state import StageStarts
from autoopt.spec.models import Canary, LLMConfig, Strategy
from autoopt.values import Reason, Window

if TYPE_CHECKING:
    import pandas as pd

Frames = dict[str, Any]  # service → its rows of the canonical metrics table

_MEANS = {"cost_usd": "cost_per_request", "quality": "quality", "tokens_out": "tokens_out_mean"}


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
    failed = rows["error"].astype(bool)
    out["error_rate"] = float(failed.mean())
    latency = rows.loc[~failed, "latency_ms"]
    if len(latency):
        out["latency_p50_ms"] = float(latency.quantile(0.5))
        out["latency_p95_ms"] = float(latency.quantile(0.95))
    for column, name in _MEANS.items():
        if column in rows.columns and rows[column].notna().any():
            out[name] = float(rows[column].mean())
    return out


def stage_windows(canary: Canary, starts: StageStarts | None, now: datetime) -> dict[int, Window]:
    """Every stage of the rollout so far with a known start; the current one always."""
    known = {k: v for k, v in (starts or {}).items() if k < canary.step}
    known[canary.step] = canary.step_started_at
    ordered = sorted(known)
    windows = {}
    for index, stage in enumerate(ordered):
        end = known[ordered[index + 1]] if index + 1 < len(ordered) else now
        if known[stage] < end:
            windows[stage] = Window(known[stage], end)
    return windows


def _rows(rows: pd.DataFrame | None, version: str, window: Window) -> pd.DataFrame:
    import pandas as pd

    if rows is None or len(rows) == 0:
        return pd.DataFrame({"error": pd.Series([], dtype=bool)})
    stamps = rows["timestamp"]
    mask = (rows["version"] == version) & (stamps >= window.start) & (stamps < window.end)
    return rows.loc[mask]


def evidence_for(
    rows: pd.DataFrame | None,
    config: LLMConfig,
    strategy: Strategy,
    *,
    now: datetime,
    starts: StageStarts | None = None,
) -> Evidence:
    """Judge the service's current stage (or its watch window) at ``now``."""
    spec = config.spec
    if spec.canary is None:
        return _watch(rows, config, strategy, now)
    canary = spec.canary
    stages = stage_windows(canary, starts, now)
    current = Window(canary.step_started_at, max(now, canary.step_started_at))
    hold = canary.durations[canary.step] if canary.step < len(canary.durations) else timedelta(0)
    verdict, reasons = judge(
        rows,
        strategy,
        service=config.metadata.name,
        arms=(spec.stable.version, canary.version),
        stages=stages,
        look=(canary.step, len(canary.durations), now - canary.step_started_at, hold),
    )
    if canary.strategy != "ab":  # only the A/B winner needs the arms' means
        return Evidence(verdict, reasons)
    return Evidence(
        verdict,
        reasons,
        arm_means(_rows(rows, spec.stable.version, current)),
        arm_means(_rows(rows, canary.version, current)),
    )


def _watch(
    rows: pd.DataFrame | None, config: LLMConfig, strategy: Strategy, now: datetime
) -> Evidence:
    """The new stable since the promotion against its pre-change baseline (the previous
    version over the watch window's length just before it): :mod:`autoopt.monitor.watch`
    (wt-analyze). Only a rollback verdict acts in the watch window."""
    from autoopt.monitor.watch import watch_evidence

    rollback, reasons = watch_evidence(rows, config, strategy, now)
    return Evidence("rollback" if rollback else "hold", reasons)


def recovery(
    rows: pd.DataFrame | None,
    strategy: Strategy,
    *,
    service: str,
    rolled_back: str,
    stable: str,
    at: datetime,
    now: datetime,
) -> tuple[Reason, ...]:
    """Did the service recover after rolling ``rolled_back`` back to ``stable`` at ``at``?

    Two checks: no request went to the rolled-back version after a minute's grace, and the
    stable since the rollback is not worse than the stable just before it (the same judge
    and triggers). Returns ``recovered``, ``not_recovered`` or ``recovery_pending`` (with the
    judge's reasons), and ``rollback_not_effective`` when traffic still reached the old version.
    """
    reasons: list[Reason] = []
    late = _rows(rows, rolled_back, Window(at + GRACE, max(now, at + GRACE)))
    if len(late):
        reasons.append(
            Reason(
                "rollback_not_effective",
                f"{len(late)} request(s) still went to {rolled_back} after the rollback",
                {"requests": len(late)},
            )
        )
    verdict, found = before_after(
        rows, strategy, service=service, versions=(stable, stable), at=at, now=now
    )
    if verdict == "rollback":
        words = f"{stable} is still worse after the rollback than before it"
        reasons.append(Reason("not_recovered", words))
    elif verdict == "promote" and not reasons:
        reasons.append(Reason("recovered", f"{stable} is back to its level before the rollback"))
    else:
        reasons.append(Reason("recovery_pending", "not enough evidence yet either way"))
    return (*reasons, *found)


GRACE = timedelta(minutes=1)  # after a rollback, requests to the old version may still finish
CHECK_INTERVAL = timedelta(minutes=1)  # the judges' check interval (windows within a stage)


def before_after(
    rows: pd.DataFrame | None,
    strategy: Strategy,
    *,
    service: str,
    versions: tuple[str, str],
    at: datetime,
    now: datetime,
) -> tuple[Verdict, tuple[Reason, ...]]:
    """Judge ``versions[1]`` since ``at`` against ``versions[0]`` over as long just before.

    The judge compares two arms over one window, so the earlier rows are shifted onto the
    later window and both arms relabelled (the two versions may be the same one).
    """
    import pandas as pd

    since = max(now - at, timedelta(0))
    baseline = _rows(rows, versions[0], Window(at - since, at))
    current = _rows(rows, versions[1], Window(at, max(now, at)))
    both = None
    if len(baseline) and len(current):
        both = pd.concat(
            [
                baseline.assign(timestamp=baseline["timestamp"] + since, version="before"),
                current.assign(version="after"),
            ]
        )
    return judge(
        both,
        strategy,
        service=service,
        arms=("before", "after"),
        stages={0: Window(at, max(now, at))},
        look=(0, 1, since, timedelta(0)),
    )


def judge(
    rows: pd.DataFrame | None,
    strategy: Strategy,
    *,
    service: str,
    arms: tuple[str, str],
    stages: Mapping[int, Window],
    look: tuple[int, int, timedelta, timedelta],
) -> tuple[Verdict, tuple[Reason, ...]]:
    """The strategy's judge on ``arms`` (stable, canary) over ``stages``."""
    from autoopt.decide.judge import Look, judge_for
    from autoopt.metrics.arms import observation
    from autoopt.values import StageObservation

    if rows is None or len(rows) == 0 or not stages:
        seen = StageObservation(())
    else:
        # the threshold judge checks fixed intervals (Flagger's analysis interval); the
        # sequential judge tests recent windows of the current stage from them
        seen = observation(
            rows,
            service=service,
            stable=arms[0],
            canary=arms[1],
            stages=stages,
            interval=CHECK_INTERVAL,
        )
    step, planned, elapsed, hold = look
    rollout = strategy.spec.rollout
    at = Look(step, planned, elapsed, hold, rollout.max_stage_time, rollout.on_timeout)
    result = judge_for(strategy.spec)(seen, strategy.spec, at)
    verdict: Verdict = result.verdict.value
    return verdict, tuple(result.reasons)

"""The triggers of every policy, evaluated for its service at ``now``: what ``autoopt cycle``
runs between reconciling and proposing.

One aggregation (DuckDB) buckets the metrics of every service that has triggers; per
service, only the signals its triggers read are computed (a threshold's value over its
window, the anomalies at the latest bucket, the drift states, the budgets), and
:func:`autoopt.analyze.triggers.evaluate` decides. When each trigger last fired comes from
the audit log: commits that carry ``Autoopt-Trigger: NAME`` for the service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from autoopt.analyze.triggers import Observed, Signals, TriggerOutcome, evaluate
from autoopt.gitops import trailers as tr
from autoopt.spec.models import (
    AnomalyTrigger,
    BudgetTrigger,
    DriftTrigger,
    LLMConfig,
    Policy,
    ThresholdTrigger,
)
from autoopt.values import Window

if TYPE_CHECKING:
    from autoopt.analyze.series import Series
    from autoopt.monitor.series import Buckets

TRIGGER = "Autoopt-Trigger"  # the trailer a fired trigger's commit carries
HISTORY = timedelta(days=7)  # anomaly and drift references look this far back
_FEATURES = {"tokens_in": "tokens_in_mean", "tokens_out": "tokens_out_mean"}


@dataclass(frozen=True)
class ServiceTriggers:
    """One service's outcome, with the signals it was decided on."""

    service: str
    policy: str
    outcome: TriggerOutcome
    signals: Signals = field(compare=False)


def last_fired(records: Iterable[tuple[datetime, str]]) -> dict[tuple[str, str], datetime]:
    """(service, trigger) → the newest commit that says the trigger fired (records newest first)."""
    out: dict[tuple[str, str], datetime] = {}
    for at, message in records:
        pairs = tr.parse_trailers(message)
        service = tr.first(pairs, tr.SERVICE)
        for key, value in pairs:
            if key == TRIGGER and service is not None:
                out.setdefault((service, value.strip()), at)
    return out


def _threshold(
    rows: pd.DataFrame, trigger: ThresholdTrigger, config: LLMConfig | None, now: datetime
) -> Observed:
    """The trigger's metric over its window, on the version it names."""
    from autoopt.analyze.baselines import quantile

    stamps = rows["timestamp"]
    mask = (stamps >= now - trigger.window) & (stamps < now)
    if trigger.version != "all" and config is not None:
        spec = config.spec
        version = (
            spec.stable.version
            if trigger.version == "stable"
            else (spec.canary.version if spec.canary is not None else None)
        )
        mask &= rows["version"] == version
    part = rows.loc[mask]
    n = len(part)
    if n == 0:
        return Observed(float("nan"), 0)
    metric = trigger.metric
    if metric == "error_rate":
        return Observed(float(part["error"].mean()), n)
    if metric in ("requests", "cost_usd"):
        total = float(n if metric == "requests" else part["cost_usd"].sum())
        return Observed(total, n)
    if metric.startswith("latency_p"):
        level = {"latency_p50_ms": 0.5, "latency_p95_ms": 0.95, "latency_p99_ms": 0.99}[metric]
        return Observed(quantile(part["latency_ms"].to_numpy(dtype="float64"), level), n)
    column = {
        "cost_per_request": "cost_usd",
        "quality": "quality",
        "tokens_in_mean": "tokens_in",
        "tokens_out_mean": "tokens_out",
    }[metric]
    values = part[column].to_numpy(dtype="float64")
    known = values[np.isfinite(values)]
    return Observed(float(known.mean()) if known.size else float("nan"), int(known.size))


def _series(buckets: Buckets, service: str, window: Window, policy: Policy) -> dict[str, Series]:
    from autoopt.monitor.series import service_series, traffic

    raw = service_series(buckets, service, window)
    adjusted = traffic(raw["requests"])
    if adjusted is not None:
        raw["traffic"] = adjusted
    return raw


def _anomalies(series: Mapping[str, Series], policy: Policy, min_sample: int) -> tuple[Any, ...]:
    from autoopt.analyze.anomaly import AnomalySettings, detect

    metrics = {t.metric for t in policy.spec.triggers if isinstance(t, AnomalyTrigger)}
    found: list[Any] = []
    for metric in sorted(metrics):
        one = series.get(metric)
        if one is None or len(one) == 0:
            continue
        last = float(one.times[-1])
        found += [a for a in detect(one, AnomalySettings(min_sample=min_sample)) if a.time == last]
    return tuple(found)


def _drift(
    series: Mapping[str, Series], buckets: Buckets, service: str, window: Window, policy: Policy
) -> dict[str, Any]:
    from autoopt.analyze.drift import drift
    from autoopt.monitor.series import model_shares

    wanted = {f for t in policy.spec.triggers if isinstance(t, DriftTrigger) for f in t.features}
    out: dict[str, Any] = {}
    for feature in sorted(wanted):
        if feature in _FEATURES:
            out[feature] = drift(series[_FEATURES[feature]])
        elif feature == "traffic" and "traffic" in series:
            out[feature] = drift(series["traffic"])
        elif feature == "model_share":
            for name, share in model_shares(buckets, service, window).items():
                out[name] = drift(share)
    return out


def budget_states(
    series: Mapping[str, Series], buckets: Buckets, service: str, policy: Policy, now: datetime
) -> dict[str, Any]:
    from autoopt.analyze.budget import Limit, burn
    from autoopt.monitor.series import spend

    spent = spend(series, buckets, service)
    return {
        b.period: burn(spent, Limit(b.period, b.limit_usd, tuple(b.alerts)), now.timestamp())
        for b in policy.spec.budgets
    }


def signals_for(
    rows: pd.DataFrame,
    buckets: Buckets | None,
    policy: Policy,
    config: LLMConfig | None,
    *,
    now: datetime,
    manual: frozenset[str] = frozenset(),
) -> Signals:
    """Only what the policy's triggers read."""
    triggers = policy.spec.triggers
    thresholds = {
        t.name: _threshold(rows, t, config, now)
        for t in triggers
        if isinstance(t, ThresholdTrigger)
    }
    in_watch = bool(
        config is not None
        and config.spec.previous is not None
        and config.spec.previous.watch_until is not None
        and now < config.spec.previous.watch_until
    )
    needs_series = any(
        isinstance(t, AnomalyTrigger | DriftTrigger | BudgetTrigger) for t in triggers
    )
    if buckets is None or not needs_series:
        return Signals(thresholds=thresholds, manual=manual, in_watch=in_watch)
    service = policy.spec.target.service
    window = _window(policy, now, buckets.step)
    series = _series(buckets, service, window, policy)
    return Signals(
        thresholds=thresholds,
        anomalies=_anomalies(series, policy, policy.spec.analysis.min_sample),
        drift=_drift(series, buckets, service, window, policy),
        budgets=budget_states(series, buckets, service, policy, now) if policy.spec.budgets else {},
        manual=manual,
        in_watch=in_watch,
    )


def _window(policy: Policy, now: datetime, step: float) -> Window:
    """The week before ``now`` (in whole buckets), or from the start of the longest budget
    period when that is earlier."""
    from autoopt.analyze.budget import period_bounds

    start = now - HISTORY
    for budget in policy.spec.budgets:
        begin, _end = period_bounds(budget.period, now.timestamp())
        start = min(start, datetime.fromtimestamp(begin, now.tzinfo))
    first = np.floor(start.timestamp() / step) * step
    return Window(datetime.fromtimestamp(float(first), now.tzinfo), now)


def evaluate_policies(
    policies: Iterable[Policy],
    configs: Mapping[str, LLMConfig],
    frame: pd.DataFrame,
    *,
    now: datetime,
    fired: Mapping[tuple[str, str], datetime] | None = None,
    manual: frozenset[str] = frozenset(),
) -> list[ServiceTriggers]:
    """Every policy with triggers, evaluated for its service at ``now`` (one aggregation)."""
    from autoopt.monitor.series import aggregate

    with_triggers = sorted((p for p in policies if p.spec.triggers), key=lambda p: p.metadata.name)
    if not with_triggers:
        return []
    services = sorted({p.spec.target.service for p in with_triggers})
    step = min(p.spec.analysis.bucket.total_seconds() for p in with_triggers)
    start = min(_window(p, now, step).start for p in with_triggers)
    buckets = aggregate(frame, step, Window(start, now), services)
    longest = max(
        (
            t.window
            for p in with_triggers
            for t in p.spec.triggers
            if isinstance(t, ThresholdTrigger)
        ),
        default=timedelta(0),
    )
    stamps = frame["timestamp"]
    recent = frame.loc[(stamps >= now - longest) & (stamps < now)]  # what thresholds read
    by_service = {str(k): v for k, v in recent.groupby("service", sort=False, observed=True)}
    out = []
    for policy in with_triggers:
        service = policy.spec.target.service
        rows = by_service.get(service, recent.iloc[0:0])
        signals = signals_for(rows, buckets, policy, configs.get(service), now=now, manual=manual)
        last = {name: at for (s, name), at in (fired or {}).items() if s == service}
        outcome = evaluate(policy.spec.triggers, signals, now=now, last_fired=last)
        out.append(ServiceTriggers(service, policy.metadata.name, outcome, signals))
    return out

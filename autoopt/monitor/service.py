"""``autoopt analyze``: one service's baselines, trends, change points, anomalies, drift and
budget state, from the metrics source and the policy that targets the service."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from autoopt.errors import MetricsError, UserError
from autoopt.spec.models import AnalysisSettings, Policy
from autoopt.values import Window

if TYPE_CHECKING:
    import pandas as pd

    from autoopt.analyze.anomaly import Anomaly
    from autoopt.analyze.baselines import Baseline
    from autoopt.analyze.budget import BudgetState
    from autoopt.analyze.drift import Drift
    from autoopt.analyze.series import Series
    from autoopt.analyze.trend import ChangePoint, Trend
    from autoopt.metrics import MetricsRead, MetricsSource
    from autoopt.monitor.series import Buckets
    from autoopt.spec.repository import Repository

#: the series trends, change points and anomalies are computed on (when measured); traffic is
#: the request count relative to the same hour of day's median (with two days of history)
MAIN = ("error_rate", "latency_p95_ms", "cost_per_request", "quality", "traffic")
DEFAULT_SINCE = timedelta(days=7)
_RAW = ("cost_usd", "requests")  # sums, not estimates: kept whatever the sample


@dataclass(frozen=True)
class ServiceAnalysis:
    """Everything ``autoopt analyze`` found for one service (rendered last)."""

    service: str
    policy: str | None
    stable: str | None
    window: Window  # what the series, trends, anomalies and drift cover
    current: Window  # what the baselines compare
    as_of: datetime
    step: float
    read: MetricsRead
    settings: AnalysisSettings
    series: Mapping[str, Series]
    baselines: tuple[Baseline, ...]
    trends: Mapping[str, Trend | None]
    change_points: Mapping[str, tuple[ChangePoint, ...]]
    anomalies: tuple[Anomaly, ...]
    drift: tuple[Drift, ...]
    budgets: tuple[BudgetState, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def policy_for_service(repo: Repository, service: str) -> Policy | None:
    """The first policy (by name) whose target is ``service``."""
    for name in sorted(repo.policies):
        policy = repo.policies[name].document
        if policy.spec.target.service == service:
            return policy
    return None


def _as_of(rows: pd.DataFrame, now: datetime, step: float) -> datetime:
    """``now``, or the end of the last row's bucket when the data ends earlier (recorded
    data), so the current stretch is whole buckets."""
    last: datetime = rows["timestamp"].max().to_pydatetime()
    if last >= now:
        return now
    seconds = (math.floor(last.timestamp() / step) + 1) * step
    return min(now, datetime.fromtimestamp(seconds, UTC))


def _floor(moment: datetime, step: float) -> datetime:
    return datetime.fromtimestamp(math.floor(moment.timestamp() / step) * step, UTC)


def _window(rows: pd.DataFrame, since: str | None, as_of: datetime, step: float) -> Window:
    from autoopt.metrics.summary import parse_moment

    first: datetime = rows["timestamp"].min().to_pydatetime()
    start = parse_moment(since, as_of, option="--since") if since else as_of - DEFAULT_SINCE
    start = max(start, _floor(first, step))
    if start >= as_of:
        raise UserError(f"--since {since}: no metrics after {start.isoformat()}")
    return Window(start, as_of)


def _clean(series: Series, requests: Series, min_sample: int) -> Series:
    """Points of buckets with fewer than ``min_sample`` requests carry no value (a sampled
    metric such as quality keeps its own count in ``n``)."""
    import numpy as np

    from autoopt.analyze.series import Series as SeriesType

    values = np.where(requests.n >= min_sample, series.values, np.nan)
    return SeriesType.build(series.name, series.times, values, series.n, series.step, series.se)


def _service_rows(source: MetricsSource, service: str) -> tuple[MetricsRead, pd.DataFrame]:
    """The service's priced rows (all of its history)."""
    from autoopt.metrics import read_metrics

    read = read_metrics(source, service)
    rows = read.frame.loc[read.frame["service"] == service]
    if rows.empty:
        seen = ", ".join(source.services()) or "none"
        raise MetricsError(
            f"no metrics for service {service!r} ({source.description}; services seen: {seen})"
        )
    return read, rows


def analyse_service(
    repo: Repository, service: str, metrics_src: str | None, *, since: str | None, now: datetime
) -> ServiceAnalysis:
    """Read the metrics and analyse ``service`` as of ``now`` (or the end of its data)."""
    from autoopt.metrics import source_from_settings
    from autoopt.monitor.baselines import baselines
    from autoopt.monitor.series import aggregate, service_series, traffic

    policy = policy_for_service(repo, service)
    settings = policy.spec.analysis if policy is not None else AnalysisSettings()
    loaded = repo.configs.get(service)
    config = loaded.document if loaded is not None else None
    source = source_from_settings(repo.settings.spec, repo.root, metrics_src)
    read, rows = _service_rows(source, service)
    step = settings.bucket.total_seconds()
    as_of = _as_of(rows, now, step)
    window = _window(rows, since, as_of, step)
    history = Window(_floor(rows["timestamp"].min().to_pydatetime(), step), as_of)
    buckets = aggregate(rows, step, history)
    raw = service_series(buckets, service, history)
    everything = {
        k: _clean(v, raw["requests"], settings.min_sample) if k not in _RAW else v
        for k, v in raw.items()
    }
    adjusted = traffic(everything["requests"])
    if adjusted is not None:
        everything["traffic"] = adjusted
    current = Window(max(as_of - settings.current, history.start), as_of)
    changes = _changes(everything, window, settings)
    return ServiceAnalysis(
        service=service,
        policy=policy.metadata.name if policy is not None else None,
        stable=config.spec.stable.version if config is not None else None,
        window=window,
        current=current,
        as_of=as_of,
        step=step,
        read=read,
        settings=settings,
        series={k: v.since(window.start.timestamp()) for k, v in everything.items()},
        baselines=baselines(rows, buckets, everything, config, settings, current),
        trends=_trends(everything, window, settings),
        change_points=changes,
        anomalies=_anomalies(everything, window, settings, changes),
        drift=_drift(buckets, everything, service, window),
        budgets=_budgets(policy, everything, buckets, service, as_of),
        notes=_notes(read, as_of, now),
    )


def _notes(read: MetricsRead, as_of: datetime, now: datetime) -> tuple[str, ...]:
    notes = list(read.notes)
    if as_of < now:
        notes.append(f"the metrics end at {as_of.isoformat()}: the analysis is as of then")
    warning = read.pricing.warning()
    if warning:
        notes.append(warning)
    return tuple(notes)


def _trends(
    series: Mapping[str, Series], window: Window, settings: AnalysisSettings
) -> dict[str, Trend | None]:
    from autoopt.analyze.trend import trend

    out = {}
    for name in MAIN:
        one = series.get(name)
        if one is not None:
            part = one.since(window.start.timestamp())
            out[name] = trend(part.times, part.values, settings.level)
    return out


def _changes(
    series: Mapping[str, Series], window: Window, settings: AnalysisSettings
) -> dict[str, tuple[ChangePoint, ...]]:
    from autoopt.analyze.trend import change_points

    out = {}
    for name in MAIN:
        one = series.get(name)
        if one is not None:
            part = one.since(window.start.timestamp())
            out[name] = change_points(part.times, part.values, level=settings.level / 5)
    return out


def _anomalies(
    series: Mapping[str, Series],
    window: Window,
    settings: AnalysisSettings,
    changes: Mapping[str, tuple[ChangePoint, ...]],
) -> tuple[Anomaly, ...]:
    """Anomalies within each level: a change point is a break when its new level lasted long
    enough to be a reference (a burst that came and went stays anomalous)."""
    from autoopt.analyze.anomaly import AnomalySettings, detect

    config = AnomalySettings(min_sample=settings.min_sample)
    start, end = window.start.timestamp(), window.end.timestamp()
    lasting = config.min_reference * settings.bucket.total_seconds()

    def breaks(name: str) -> list[float]:
        times = [c.time for c in changes.get(name, ())]
        ends = [*times[1:], end][: len(times)]
        return [t for t, e in zip(times, ends, strict=True) if e - t >= lasting]

    found = [
        a for name in MAIN if name in series for a in detect(series[name], config, breaks(name))
    ]
    return tuple(sorted((a for a in found if a.time >= start), key=lambda a: (a.time, a.metric)))


def _drift(
    buckets: Buckets, series: Mapping[str, Series], service: str, window: Window
) -> tuple[Drift, ...]:
    from autoopt.analyze.drift import drift
    from autoopt.monitor.series import model_shares

    start = window.start.timestamp()
    features = [series["tokens_in_mean"], series["tokens_out_mean"]]
    features += list(model_shares(buckets, service, window).values())
    if "traffic" in series:
        features.append(series["traffic"])
    renamed = {"tokens_in_mean": "tokens_in", "tokens_out_mean": "tokens_out"}
    out = []
    for feature in features:
        part = feature.since(start)
        found = drift(part)
        out.append(
            type(found)(renamed.get(found.feature, found.feature), found.state, found.tracks)
        )
    return tuple(out)


def _budgets(
    policy: Policy | None,
    series: Mapping[str, Series],
    buckets: Buckets,
    service: str,
    as_of: datetime,
) -> tuple[BudgetState, ...]:
    from autoopt.monitor.triggers import budget_states

    if policy is None or not policy.spec.budgets:
        return ()
    return tuple(budget_states(series, buckets, service, policy, as_of).values())

"""The five baselines of one service: which requests each compares, then the comparisons.

* current — the service over the latest ``analysis.current`` (rolling, peak), or the stable
  version over it (initial, golden);
* rolling — the service over ``analysis.rolling`` before the current stretch;
* peak — per metric, the service's best window of the current stretch's length before it;
* initial — the stable version's first ``analysis.initial`` (before the current stretch);
* pre_change — the previous version over as long before the last promotion as the new one has
  run since (at most ``analysis.current``), against the new version since; the promotion is
  the config's ``previous`` block, or else the last bucket where the stable version took over
  the majority of the traffic;
* golden — the policy's pinned reference (a version over a window, or values).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd

from autoopt.analyze.baselines import (
    Baseline,
    BaselineKind,
    Pinned,
    compare,
    corrected,
    peak_windows,
)
from autoopt.analyze.series import Sample, Series
from autoopt.monitor.series import Buckets, sample
from autoopt.spec.durations import format_duration
from autoopt.spec.models import AnalysisSettings, LLMConfig
from autoopt.values import Window


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def _first_seen(rows: pd.DataFrame, version: str) -> float | None:
    stamps = rows.loc[rows["version"] == version, "timestamp"]
    return None if stamps.empty else stamps.min().timestamp()


def last_switch(buckets: Buckets, service: str, version: str) -> tuple[float, str] | None:
    """When ``version`` last took over the majority of the service's requests, and from which
    version: the start of that bucket."""
    rows = buckets.sums_of(service)
    if rows.empty:
        return None
    counts = rows.groupby(["bucket", "version"])["n"].sum().unstack(fill_value=0)
    majority = counts.idxmax(axis=1).to_numpy()
    times = counts.index.to_numpy(dtype="float64")
    for i in range(len(majority) - 1, 0, -1):
        if majority[i] == version and majority[i - 1] != version:
            return float(times[i]), str(majority[i - 1])
    return None


def _family(
    kind: BaselineKind,
    label: str,
    current: Sample,
    reference: Sample | Pinned,
    settings: AnalysisSettings,
) -> Baseline:
    found = compare(kind, current, reference)
    return corrected(kind, label, found, level=settings.level, correction=settings.correction)


def baselines(
    rows: pd.DataFrame,
    buckets: Buckets,
    series: Mapping[str, Series],
    config: LLMConfig | None,
    settings: AnalysisSettings,
    current: Window,
) -> tuple[Baseline, ...]:
    start, end = current.start.timestamp(), current.end.timestamp()
    length = end - start
    service = str(rows["service"].iloc[0])
    stable = config.spec.stable.version if config is not None else None
    everyone = sample(rows, "the service", start, end)
    mine = sample(rows, stable, start, end, stable) if stable else everyone
    span = format_duration(current.end - current.start)
    rolling_len = settings.rolling.total_seconds()
    rolling = sample(rows, "rolling", start - rolling_len, start)
    out = [
        _family(
            "rolling",
            f"the service over the last {span} against the "
            f"{format_duration(settings.rolling)} before",
            everyone,
            rolling,
            settings,
        ),
        _peak(rows, series, everyone, settings, start, length, span),
        _initial(rows, mine, stable, settings, start, span),
        _pre_change(rows, buckets, service, config, settings, current),
        _golden(rows, mine, settings, span),
    ]
    return tuple(out)


def _peak(
    rows: pd.DataFrame,
    series: Mapping[str, Series],
    current: Sample,
    settings: AnalysisSettings,
    start: float,
    length: float,
    span: str,
) -> Baseline:
    names = {
        "error_rate",
        "latency_p95_ms",
        "latency_p50_ms",
        "cost_per_request",
        "quality",
        "tokens_in_mean",
        "tokens_out_mean",
    }
    windows = peak_windows(
        {k: v for k, v in series.items() if k in names}, length, start, settings.min_sample
    )
    label = f"the service over the last {span} against its best {span} before (per metric)"
    if not windows:
        return Baseline(
            "peak", label, (), f"less than {span} of history before the current stretch"
        )
    found = []
    for metric, (a, b) in sorted(windows.items()):
        reference = sample(rows, "peak", a, b)
        found += compare("peak", current, reference, metrics=(metric,))
    return corrected("peak", label, found, level=settings.level, correction=settings.correction)


def _initial(
    rows: pd.DataFrame,
    current: Sample,
    stable: str | None,
    settings: AnalysisSettings,
    start: float,
    span: str,
) -> Baseline:
    week = format_duration(settings.initial)
    if stable is None:
        return Baseline(
            "initial", "the stable version's first week", (), "no config for the service"
        )
    label = f"{stable} over the last {span} against its first {week}"
    first = _first_seen(rows, stable)
    if first is None or first >= start:
        when = f"first served {_stamp(first)}" if first is not None else "never served"
        return Baseline("initial", label, (), f"{stable} was {when}: inside the current stretch")
    end = min(first + settings.initial.total_seconds(), start)
    label += f" ({_stamp(first)} .. {_stamp(end)})"
    return _family("initial", label, current, sample(rows, stable, first, end, stable), settings)


def _pre_change(
    rows: pd.DataFrame,
    buckets: Buckets,
    service: str,
    config: LLMConfig | None,
    settings: AnalysisSettings,
    current: Window,
) -> Baseline:
    label = "the new version since the last promotion against the previous one before it"
    if config is None:
        return Baseline("pre_change", label, (), "no config for the service")
    stable = config.spec.stable.version
    previous = config.spec.previous
    if previous is not None:
        at, before = previous.promoted_at.timestamp(), previous.version
    elif (found := last_switch(buckets, service, stable)) is not None:
        at, before = found
    else:
        return Baseline("pre_change", label, (), f"no promotion of {stable} in the metrics")
    end = current.end.timestamp()
    length = min(settings.current.total_seconds(), end - at)
    label = (
        f"{stable} since the promotion at {_stamp(at)} against {before} over "
        f"{format_duration(pd.Timedelta(seconds=length).to_pytimedelta())} before it"
    )
    after = sample(rows, stable, max(at, end - length), end, stable)
    reference = sample(rows, before, at - length, at, before)
    return _family("pre_change", label, after, reference, settings)


def _golden(rows: pd.DataFrame, current: Sample, settings: AnalysisSettings, span: str) -> Baseline:
    golden = settings.golden
    label = "the pinned reference of the policy"
    if golden is None:
        return Baseline("golden", label, (), "none declared (spec.analysis.golden)")
    if golden.values:
        pinned = Pinned("golden", {str(k): v for k, v in golden.values.items()})
        return _family(
            "golden",
            f"{current.label} over the last {span} against the pinned values",
            current,
            pinned,
            settings,
        )
    assert golden.version and golden.start and golden.end
    a, b = golden.start.timestamp(), golden.end.timestamp()
    reference = sample(rows, golden.version, a, b, golden.version)
    label = (
        f"{current.label} over the last {span} against {golden.version} {_stamp(a)} .. {_stamp(b)}"
    )
    if reference.n == 0:
        return Baseline("golden", label, (), f"no requests of {golden.version} in that window")
    return _family("golden", label, current, reference, settings)


__all__ = ["baselines", "last_switch"]

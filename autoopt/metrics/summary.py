"""Per-candidate summaries over a window: what :mod:`autoopt.decide` reads.

Definitions (also in docs/metrics.md):

* latency quantiles are over every accepted row of the version (errors included), as the
  inverted empirical CDF, with order-statistic intervals (:mod:`autoopt.metrics.stats`);
* ``error_rate`` is errors / n with a Wilson interval (exact below 10 errors); it carries n as
  ``trials`` so the gates use the exact binomial tail;
* ``cost_per_request`` is the mean of ``cost_usd``; absent when any row's cost is unknown;
* ``daily_cost_usd`` is ``cost_per_request`` × the service's request rate (all versions
  together, per day): what the version would cost if it served all the traffic. The rate is
  ``(N − 1) / span`` between the first and last request, and its Poisson uncertainty is part
  of the interval (:func:`~autoopt.metrics.stats.rate_estimate`);
* ``quality`` is the mean of the rows that carry one; absent when none does;
* ``tokens_out_mean`` is over successful rows; ``ttft_p95_ms`` over rows that carry a ttft.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from autoopt.errors import UserError
from autoopt.metrics.sources import Period
from autoopt.metrics.stats import (
    mean_estimate,
    product_estimate,
    proportion_estimate,
    quantile_estimate,
    rate_estimate,
)
from autoopt.spec.durations import parse_duration
from autoopt.values import Candidate, Estimate, Summary, Window

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

_DAY = 86400.0


def parse_moment(text: str, now: datetime, *, option: str) -> datetime:
    """``24h`` (that long before ``now``), or an ISO 8601 time (naive means UTC)."""
    raw = text.strip()
    try:
        return now - parse_duration(raw)
    except ValueError:
        pass
    except OverflowError:
        raise UserError(
            f"{option} {_short(text)}: too far back (before year 1); give a shorter duration "
            "or an ISO time"
        ) from None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{option} {_short(text)}: expected a duration such as 24h or 7d, or an ISO time "
            "such as 2026-11-24T00:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def period_of(since: str | None, until: str | None, now: datetime) -> Period:
    """The :class:`~autoopt.metrics.sources.Period` that ``--since`` / ``--until`` ask for."""
    start = parse_moment(since, now, option="--since") if since else None
    end = parse_moment(until, now, option="--until") if until else now
    if start is not None and start >= end:
        raise UserError(
            f"empty window: --since {start.isoformat()} is not before {end.isoformat()}"
        )
    return Period(end=end, start=start, fit_end=not until)


def resolve(period: Period, first: datetime | None, last: datetime | None) -> Window:
    """The window used, given the first and last accepted rows of the service (all of them).

    Without a start the window starts at the first row (or ``end`` − 24 h when there is no
    row before ``end``); with ``fit_end`` it ends just after the last row when the data ends
    before ``end`` (recorded data, examples).
    """
    start, end = period.start, period.end
    if period.fit_end and last is not None and last < end and (start is None or start <= last):
        end = last + timedelta(microseconds=1)
    if start is None:
        start = first if first is not None and first < end else end - timedelta(hours=24)
    if start >= end:
        raise UserError(
            f"empty window: --since {start.isoformat()} is not before {end.isoformat()}"
        )
    return Window(start, end)


def resolve_window(
    since: str | None, until: str | None, now: datetime, frame: pd.DataFrame | None = None
) -> Window:
    """The window ``[start, end)`` the options ask for, over the rows of ``frame``."""
    first, last = _extent(frame)
    return resolve(period_of(since, until, now), first, last)


def _extent(frame: pd.DataFrame | None) -> tuple[datetime | None, datetime | None]:
    if frame is None or frame.empty:
        return None, None
    first: datetime = frame["timestamp"].min().to_pydatetime(warn=False)
    last: datetime = frame["timestamp"].max().to_pydatetime(warn=False)
    return first, last


def in_window(frame: pd.DataFrame, window: Window) -> pd.DataFrame:
    import pandas as pd

    ts = frame["timestamp"]
    start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
    return frame.loc[(ts >= start) & (ts < end)]


def span_days(first: datetime | None, last: datetime | None, window: Window) -> float:
    """The span of the window the rows cover, in days (at least one minute)."""
    if first is None or last is None:
        return window.seconds / _DAY
    seconds: float = max((min(last, window.end) - max(first, window.start)).total_seconds(), 60.0)
    return seconds / _DAY


def observed_days(frame: pd.DataFrame, window: Window) -> float:
    """The span of the window the rows cover, in days (at least one minute)."""
    return span_days(*_extent(frame), window)


#: What :func:`measure` reads of one candidate's rows: numpy arrays of equal length.
Columns = Mapping[str, "NDArray[Any]"]
MEASURED = ("error", "latency_ms", "ttft_ms", "quality", "tokens_out", "cost_usd")


def summarise(
    frame: pd.DataFrame,
    service: str,
    candidates: Mapping[str, Mapping[str, Any]],
    window: Window,
) -> list[Summary]:
    """One :class:`Summary` per version of ``service`` seen in ``window``, sorted by version.

    ``candidates`` maps version → params (from the config and its history); a version seen
    in the metrics but unknown there gets empty params and a note.
    """
    rows = in_window(frame, window)
    rows = rows.loc[rows["service"] == service]
    if rows.empty:
        return []
    days = observed_days(rows, window)
    out = []
    for version, group in rows.groupby("version", sort=True):
        columns = {c: group[c].to_numpy(dtype=bool if c == "error" else float) for c in MEASURED}
        out.append(summary(service, str(version), candidates, window, columns, (len(rows), days)))
    return out


def summary(
    service: str,
    version: str,
    candidates: Mapping[str, Mapping[str, Any]],
    window: Window,
    columns: Columns,
    traffic: tuple[int, float],
) -> Summary:
    """The :class:`Summary` of one version from its rows' ``columns``; ``traffic`` is the
    service's requests in the window (all versions) and the days they span."""
    params = candidates.get(version)
    notes = () if params is not None else (f"version {version} is not in the config's history",)
    candidate = Candidate(service, version, MappingProxyType(dict(params or {})))
    metrics, more = measure(columns, traffic)
    errors = np.asarray(columns["error"], dtype=bool)
    return Summary(
        candidate=candidate,
        n=int(errors.size),
        errors=int(errors.sum()),
        window=window,
        metrics=MappingProxyType(metrics),
        notes=notes + more,
    )


def measure(
    columns: Columns, traffic: tuple[int, float]
) -> tuple[dict[str, Estimate], tuple[str, ...]]:
    """The metrics of one candidate's rows; unmeasurable ones are left out, with a note.

    ``traffic``: the service's requests in the window (all versions) and the days they span.
    """
    notes: list[str] = []
    errors = np.asarray(columns["error"], dtype=bool)
    latency = np.asarray(columns["latency_ms"], dtype="float64")
    tokens_out = np.asarray(columns["tokens_out"], dtype="float64")
    metrics: dict[str, Estimate | None] = {
        "error_rate": proportion_estimate(int(errors.sum()), int(errors.size)),
        "latency_p50_ms": quantile_estimate(latency, 0.50),
        "latency_p95_ms": quantile_estimate(latency, 0.95),
        "latency_p99_ms": quantile_estimate(latency, 0.99),
        "ttft_p95_ms": quantile_estimate(np.asarray(columns["ttft_ms"], dtype="float64"), 0.95),
        "quality": mean_estimate(np.asarray(columns["quality"], dtype="float64")),
        "tokens_out_mean": mean_estimate(tokens_out[~errors]),
    }
    cost = np.asarray(columns["cost_usd"], dtype="float64")
    unknown = int(np.isnan(cost).sum())
    if unknown:
        notes.append(f"cost unknown for {unknown} of {len(cost)} rows (no price for the model)")
    else:
        per_request = mean_estimate(cost)
        metrics["cost_per_request"] = per_request
        if per_request is not None:
            metrics["daily_cost_usd"] = product_estimate(per_request, daily_rate(*traffic))
    if metrics["quality"] is None:
        notes.append("no quality scores in the metrics")
    return {k: v for k, v in metrics.items() if v is not None}, tuple(notes)


def daily_rate(requests: int, days: float) -> Estimate:
    """Requests per day of the service over the span its rows cover, with its interval."""
    per_second = rate_estimate(requests, days * _DAY)
    return Estimate(
        per_second.value * _DAY,
        per_second.low * _DAY,
        per_second.high * _DAY,
        None if per_second.se is None else per_second.se * _DAY,
        enough=per_second.enough,
    )

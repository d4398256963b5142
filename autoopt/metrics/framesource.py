"""A metrics source over a canonical table already in memory (pandas): the reference answers.

:class:`FrameMetrics` answers every question of the protocol with the plain pandas functions
(:func:`~autoopt.metrics.summary.summarise`, :func:`~autoopt.metrics.arms.observation`,
:func:`~autoopt.metrics.profile.profile_models`) over a priced canonical table: the simulator's
output, a table a test builds, or the full load of a file source. The push-down sources must
give the same numbers (``tests/metrics/test_pushdown.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import pandas as pd

from autoopt.metrics.arms import observation
from autoopt.metrics.pricing import PricingReport
from autoopt.metrics.profile import profile_models
from autoopt.metrics.sources import (
    ArmsRead,
    ArmsRequest,
    MetricsRead,
    Period,
    SummaryRead,
    SummaryRequest,
)
from autoopt.metrics.summary import resolve, summarise
from autoopt.metrics.table import RowsReport
from autoopt.values import ModelProfile, Window


@dataclass
class FrameMetrics:
    """Answers from ``read.frame`` (priced canonical rows); ``read.rows`` counts what the
    table was made from, and its unattributable rejections (no service) go into every
    answer's accounting."""

    read: MetricsRead
    description: str = "in-memory table"
    _by_service: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        frame = self.read.frame
        if len(frame):
            groups = frame.groupby("service", sort=True, observed=True)
            self._by_service = {str(name): rows for name, rows in groups}

    def services(self) -> list[str]:
        return sorted(self._by_service)

    def _service(self, service: str) -> pd.DataFrame:
        return self._by_service.get(service, self.read.frame.iloc[0:0])

    def summaries(self, requests: Sequence[SummaryRequest]) -> list[SummaryRead]:
        return [self._summary(request) for request in requests]

    def _summary(self, request: SummaryRequest) -> SummaryRead:
        ours = self._service(request.service)
        window = resolve(request.period, *_extent(ours))
        found = summarise(ours, request.service, request.candidates, window)
        return SummaryRead(
            service=request.service,
            window=window,
            summaries=found,
            rows=self._accounting(ours, window),
            pricing=self.read.pricing,
            source=self.description,
            notes=list(self.read.notes),
        )

    def _accounting(self, rows: pd.DataFrame, window: Window | None) -> RowsReport:
        """This service's rows: accepted inside the window, outside it; plus the rows that
        belong to no service we could tell (rejected ``unparseable``, ``missing_service``…)."""
        report = RowsReport(reasons=self.read.rows.reasons.copy())
        report.rejected = self.read.rows.rejected
        if window is None:
            report.accepted = len(rows)
            return report
        stamps = rows["timestamp"]
        inside = int(((stamps >= window.start) & (stamps < window.end)).sum())
        report.accepted, report.outside = inside, len(rows) - inside
        return report

    def arms(self, requests: Sequence[ArmsRequest]) -> ArmsRead:
        found = []
        for request in requests:
            rows = self._service(request.service)
            if _relabel(request):
                rows = _shifted(rows, request)
            found.append(
                observation(
                    rows,
                    service=request.service,
                    stable=_arm(request, "stable"),
                    canary=_arm(request, "canary"),
                    stages=request.stages,
                    interval=request.interval,
                )
            )
        services = {r.service for r in requests}
        accepted = sum(len(self._service(s)) for s in services)
        report = replace(self.read.rows, accepted=accepted, reasons=self.read.rows.reasons.copy())
        return ArmsRead(found, report, self.read.pricing, self.description, list(self.read.notes))

    def profiles(self, service: str, window: Window | None = None) -> dict[str, ModelProfile]:
        rows = self._service(service)
        if window is not None:
            stamps = rows["timestamp"]
            rows = rows.loc[(stamps >= window.start) & (stamps < window.end)]
        return profile_models(rows.reset_index(drop=True))

    def rows(self, service: str | None = None, window: Window | None = None) -> MetricsRead:
        frame = self.read.frame if service is None else self._service(service)
        report = self._accounting(frame, window)
        if service is None:
            report = replace(report, rejected=self.read.rows.rejected)
        if window is not None:
            stamps = frame["timestamp"]
            frame = frame.loc[(stamps >= window.start) & (stamps < window.end)]
        return MetricsRead(
            frame.reset_index(drop=True),
            report,
            self.read.pricing,
            self.description,
            list(self.read.notes),
        )


def _extent(rows: pd.DataFrame) -> tuple[datetime | None, datetime | None]:
    if rows.empty:
        return None, None
    first: datetime = rows["timestamp"].min().to_pydatetime(warn=False)
    last: datetime = rows["timestamp"].max().to_pydatetime(warn=False)
    return first, last


_STABLE, _CANARY = "\x00stable", "\x00canary"


def _relabel(request: ArmsRequest) -> bool:
    return bool(request.stable_shift) or request.stable == request.canary


def _arm(request: ArmsRequest, which: str) -> str:
    """The version name an arm is read under (relabelled when the stable arm is shifted or
    both arms are the same version)."""
    if not _relabel(request):
        return request.stable if which == "stable" else request.canary
    return _STABLE if which == "stable" else _CANARY


def _shifted(rows: pd.DataFrame, request: ArmsRequest) -> pd.DataFrame:
    """The stable arm's rows moved ``stable_shift`` later, both arms relabelled."""
    stable = rows.loc[rows["version"] == request.stable]
    canary = rows.loc[rows["version"] == request.canary]
    return pd.concat(
        [
            stable.assign(timestamp=stable["timestamp"] + request.stable_shift, version=_STABLE),
            canary.assign(version=_CANARY),
        ],
        ignore_index=True,
    )


def frame_source(frame: pd.DataFrame, description: str = "in-memory table") -> FrameMetrics:
    """A source over a priced canonical table (the simulator's output, a test's table)."""
    report = RowsReport(accepted=len(frame))
    return FrameMetrics(MetricsRead(frame, report, PricingReport(), description), description)


__all__ = ["FrameMetrics", "Period", "frame_source"]

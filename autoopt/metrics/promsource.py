"""The Prometheus metrics source: the protocol answered in PromQL, aggregation in the server.

Every question is one query per quantity for all the services asked about (never one per
service): requests, errors, tokens, cost and quality as per-sub-interval increases (a range
query), the latency histogram's buckets over the whole window (an instant query), and a
presence check at the window's start. Works against anything that speaks the Prometheus HTTP
API: Prometheus, Thanos Query, Mimir/Cortex (``url`` ending in ``/prometheus``,
``headers: {X-Scope-OrgID: …}``), VictoriaMetrics. See docs/prometheus.md.

Prometheus holds aggregates, so :meth:`PrometheusMetrics.rows` (per-request rows) is an
error naming the command that needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from autoopt.errors import MetricsError
from autoopt.metrics import promlayout as L
from autoopt.metrics.promhttp import PromClient, redact
from autoopt.metrics.promread import Grid, epoch, moment
from autoopt.metrics.promsummary import WindowData, fetch_window, summary_read
from autoopt.metrics.sources import (
    ArmsRead,
    ArmsRequest,
    MetricsRead,
    SummaryRead,
    SummaryRequest,
)
from autoopt.spec.models import PriceOverride
from autoopt.spec.prometheus import PrometheusSource
from autoopt.values import ModelProfile, Window


@dataclass(eq=False)
class PrometheusMetrics:
    spec: PrometheusSource
    root: Path
    prices: Mapping[str, PriceOverride] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    session: Any = None

    @property
    def description(self) -> str:
        return f"prometheus {redact(self.spec.url)}"

    @cached_property
    def client(self) -> PromClient:
        session = self.session
        if session is None:
            import requests

            session = requests.Session()
        return PromClient(self.spec, session, self.env, self.root)

    @cached_property
    def layout(self) -> L.Layout:
        return L.resolve(self.spec.layout)

    @property
    def queries(self) -> list[str]:
        """Every PromQL query sent so far, in order."""
        return list(self.client.sent)

    # ------------------------------------------------------------------ protocol

    def services(self) -> list[str]:
        layout = self.layout
        now = self._now()
        query = (
            f"count by ({layout.service}) "
            f"(last_over_time({L.selector(layout, layout.requests, [])}"
            f"[{L.seconds(self.spec.lookback.total_seconds())}]))"
        )
        found = self.client.query(query, now)
        return sorted({s.get("metric", {}).get(layout.service, "") for s in found} - {""})

    def summaries(self, requests: Sequence[SummaryRequest]) -> list[SummaryRead]:
        """One query per quantity per distinct window, for all the services in it."""
        step = self.spec.step.total_seconds()
        grids = [self._grid(r, step) for r in requests]
        by_grid: dict[Grid, list[int]] = {}
        for i, grid in enumerate(grids):
            by_grid.setdefault(grid, []).append(i)
        out: list[SummaryRead | None] = [None] * len(requests)
        for grid, indices in by_grid.items():
            services = sorted({requests[i].service for i in indices})
            data = fetch_window(self.client, self.layout, services, grid)
            for i in indices:
                read = summary_read(requests[i], data, self.prices)
                read.source = self.description
                if not read.summaries:
                    read.notes.append(self._no_data(requests[i].service, data))
                out[i] = read
        return [r for r in out if r is not None]

    def arms(self, requests: Sequence[ArmsRequest]) -> ArmsRead:
        from autoopt.metrics.promarms import arms

        return arms(self.client, self.layout, self.spec.step.total_seconds(), requests, self)

    def profiles(self, service: str, window: Window | None = None) -> dict[str, ModelProfile]:
        from autoopt.metrics.promprofile import profiles

        end = epoch(window.end) if window is not None else self._now()
        start = epoch(window.start) if window is not None else end - self._lookback()
        grid = Grid.over(start, end, self.spec.step.total_seconds())
        return profiles(self.client, self.layout, service, grid)

    def rows(self, service: str | None = None, window: Window | None = None) -> MetricsRead:
        raise MetricsError(
            f"{self.description} holds aggregates (counters and histograms), not per-request "
            "rows, and this command needs rows; point --metrics at files or OTLP/JSON spans "
            "for it"
        )

    # ------------------------------------------------------------------ helpers

    def _now(self) -> float:
        import time

        return time.time()

    def _lookback(self) -> float:
        return self.spec.lookback.total_seconds()

    def _grid(self, request: SummaryRequest, step: float) -> Grid:
        end = epoch(request.period.end)
        start = epoch(request.period.start) if request.period.start else end - self._lookback()
        return Grid.over(start, end, step)

    def _no_data(self, service: str, data: WindowData) -> str:
        """Why a service has no data: the metric is missing, or no series has its label."""
        layout = self.layout
        window = f"{moment(data.grid.start).isoformat()} .. {moment(data.grid.end).isoformat()}"
        metric = layout.requests.metric
        found = self.client.query(L.exists(metric), data.grid.end)
        if not found:
            return (
                f"no data: the server has no series {metric} at {moment(data.grid.end)} (layout "
                f"preset {layout.preset!r}; is this the right layout?)"
            )
        return (
            f"no data: no {metric} series with {layout.service}={service!r} had requests in "
            f"{window} (is the service label {layout.service!r} right?)"
        )

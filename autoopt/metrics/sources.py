"""The metrics source protocol: what every consumer asks a source for, and the registry.

Consumers (``evaluate``, ``propose``, ``reconcile``/``cycle``'s judge, ``simulate``'s
calibration, ``analyze``) ask a :class:`MetricsSource` the question they have, and the source
answers it where the data lives (DuckDB over files, PromQL over Prometheus), so a large store
is scanned, not loaded:

* :meth:`MetricsSource.summaries` — per (service, version) summaries over a window, many
  services in one call, each with its row accounting (accepted, rejected by reason, outside
  the window);
* :meth:`MetricsSource.arms` — the judge's per-interval stable/canary
  :class:`~autoopt.values.ArmSample` values for many rollouts in one call (one query per
  metric for all of them, never one per service);
* :meth:`MetricsSource.profiles` — what the predictor needs per model
  (:class:`~autoopt.values.ModelProfile`);
* :meth:`MetricsSource.rows` — the priced canonical per-request table, only where rows are
  truly needed (simulate's calibration, analysis).

Prices (the settings' overrides, then the catalog) are applied by the source: every answer is
already priced. The shape is also written down in ``/work/coord/INTERFACES.md`` and
docs/metrics.md ("Sources in Python").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from autoopt.errors import MetricsError
from autoopt.metrics.table import RowsReport
from autoopt.spec.models import (
    FilesSource,
    MetricsSettings,
    OtelSource,
    PriceOverride,
    SettingsSpec,
)
from autoopt.spec.prometheus import PrometheusSource
from autoopt.values import Window

if TYPE_CHECKING:
    import pandas as pd

    from autoopt.metrics.pricing import PricingReport
    from autoopt.values import ModelProfile, StageObservation, Summary

_NO_PARAMS: Mapping[str, Mapping[str, Any]] = MappingProxyType({})


@dataclass(frozen=True)
class Period:
    """The window a question is about, as asked (before the data is seen).

    ``[start, end)``. ``start=None``: from the service's first accepted row (``end`` − 24 h
    when it has none before ``end``). ``fit_end`` (no ``--until`` given): when the service's
    data ends before ``end``, the window ends just after its last row (recorded data). The
    window actually used comes back in the answer (:func:`autoopt.metrics.summary.resolve`).
    """

    end: datetime
    start: datetime | None = None
    fit_end: bool = False

    @classmethod
    def fixed(cls, window: Window) -> Period:
        return cls(end=window.end, start=window.start)


@dataclass(frozen=True)
class SummaryRequest:
    """Summaries of every version of ``service`` seen in ``period``.

    ``candidates`` maps version → params (from the config's history); a version seen in the
    metrics but missing there gets empty params and a note.
    """

    service: str
    period: Period
    candidates: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: _NO_PARAMS)


@dataclass
class SummaryRead:
    """The answer to one :class:`SummaryRequest`.

    ``rows`` accounts for the rows of this service (and rows no service can be told for:
    unparseable lines, a missing service): ``accepted`` inside the window, ``outside`` the
    window (before it, after it, in the future), rejected by reason. ``summaries`` is sorted
    by version and empty when the service had no row in the window.
    """

    service: str
    window: Window
    summaries: list[Summary]
    rows: RowsReport
    pricing: PricingReport
    source: str = ""
    notes: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)  # what was sent (PromQL), for --explain


@dataclass(frozen=True)
class ArmsRequest:
    """The judge's view of one rollout: ``stable`` against ``canary`` of ``service``.

    Each stage window (stage index → window, half-open; every stage since the rollout began)
    is cut into ``interval`` pieces from the stage's start (``None``: one piece per stage);
    pieces with no request on either arm are left out. ``stable_shift`` compares against the
    past: the stable arm's rows at ``t − stable_shift`` are judged as if at ``t`` (the watch
    window after a promotion, the recovery check after a rollback). ``stable`` and ``canary``
    may name the same version: each arm then holds that version's rows.
    """

    service: str
    stable: str
    canary: str
    stages: Mapping[int, Window]
    interval: timedelta | None = None
    stable_shift: timedelta = timedelta(0)


@dataclass
class ArmsRead:
    """One :class:`~autoopt.values.StageObservation` per request, in the order asked.

    ``rows`` accounts for the rows of the requested services (accepted: those that fell in
    some arm's window).
    """

    observations: list[StageObservation]
    rows: RowsReport
    pricing: PricingReport
    source: str = ""
    notes: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)


@dataclass
class MetricsRead:
    """The priced canonical table, how many rows were accepted/rejected, and the prices."""

    frame: pd.DataFrame
    rows: RowsReport
    pricing: PricingReport
    source: str = ""
    notes: list[str] = field(default_factory=list)


class MetricsSource(Protocol):
    """Where metrics come from, answering each consumer's question where the data lives.

    Every method may raise :class:`~autoopt.errors.MetricsError` (exit 1, one line) when the
    data cannot be read; bad rows are never an error, they are counted in ``rows``.
    """

    @property
    def description(self) -> str:
        """One line for people: ``files metrics/``, ``prometheus http://…``."""
        ...

    def services(self) -> list[str]:
        """Every service with at least one accepted row, sorted."""
        ...

    def summaries(self, requests: Sequence[SummaryRequest]) -> list[SummaryRead]:
        """One answer per request, in order; one scan (or query per metric) for all."""
        ...

    def arms(self, requests: Sequence[ArmsRequest]) -> ArmsRead:
        """The judge's observations for many rollouts at once."""
        ...

    def profiles(self, service: str, window: Window | None = None) -> dict[str, ModelProfile]:
        """One profile per model the service's rows used (all of its rows when no window)."""
        ...

    def rows(self, service: str | None = None, window: Window | None = None) -> MetricsRead:
        """The priced canonical rows (of one service, inside a window); rows outside the
        window are counted as ``outside``."""
        ...


@dataclass(frozen=True)
class SourceContext:
    """What every source is built with besides its own settings."""

    root: Path  # relative paths in the settings are relative to this
    prices: Mapping[str, PriceOverride] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)  # where secrets the settings name live
    session: Any = None  # an HTTP session for network sources (tests inject one)


SourceFactory = Callable[[Any, SourceContext], MetricsSource]


def _files(spec: FilesSource, context: SourceContext) -> MetricsSource:
    from autoopt.metrics.filesource import FilesMetrics

    return FilesMetrics(spec, context.root, context.prices)


def _otel(spec: OtelSource, context: SourceContext) -> MetricsSource:
    from autoopt.metrics.filesource import OtelMetrics

    return OtelMetrics(spec, context.root, context.prices)


def _prometheus(spec: PrometheusSource, context: SourceContext) -> MetricsSource:
    from autoopt.metrics.promsource import PrometheusMetrics

    return PrometheusMetrics(spec, context.root, context.prices, context.env, context.session)


#: ``type:`` → how to build the source. An unknown type never gets here: the settings model
#: rejects it with a location.
SOURCES: Mapping[str, SourceFactory] = {
    "files": _files,
    "otel": _otel,
    "prometheus": _prometheus,
}


def parse_override(text: str, settings: MetricsSettings) -> MetricsSettings:
    """``--metrics SRC``: ``otel:PATH``, ``http(s)://…`` (Prometheus) or a file/dir/glob."""
    if not text.strip():
        raise MetricsError("--metrics '': expected a file, directory, glob, otel:PATH or URL")
    if text.startswith("otel:"):
        version_key = settings.version_attribute if isinstance(settings, OtelSource) else None
        extra = {"version_attribute": version_key} if version_key else {}
        return OtelSource(type="otel", path=text.removeprefix("otel:") or ".", **extra)
    if text.startswith(("http://", "https://")):
        return PrometheusSource(type="prometheus", url=text)
    columns = settings.columns if isinstance(settings, FilesSource) else {}
    return FilesSource(type="files", path=text.removeprefix("files:"), columns=columns)


def source_from_settings(
    settings_spec: SettingsSpec,
    root: Path,
    override: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    session: Any = None,
) -> MetricsSource:
    """The source ``autoopt.yaml`` names (paths relative to ``root``), or ``--metrics SRC``
    (paths relative to the current directory); priced with the settings' ``prices``.

    ``env`` is the environment the composition root passes (secrets named by the settings).
    """
    spec = settings_spec.metrics
    prices, env = settings_spec.prices, dict(env or {})
    if override is not None:
        spec = parse_override(override, spec)
        return SOURCES[spec.type](spec, SourceContext(Path.cwd(), prices, env, session))
    return SOURCES[spec.type](spec, SourceContext(root, prices, env, session))


def read_metrics(
    source: MetricsSource, service: str | None = None, window: Window | None = None
) -> MetricsRead:
    """The priced canonical table (``source.rows``); no usable row at all is an error."""
    read = source.rows(service, window)
    if read.rows.accepted == 0 and read.rows.rejected:
        raise MetricsError(
            f"{source.description}: no usable rows ({read.rows.line().removeprefix('rows: ')})"
        )
    return read

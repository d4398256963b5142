"""Metrics sources behind one narrow interface, chosen by the ``type:`` in ``autoopt.yaml``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from autoopt.errors import MetricsError, UserError
from autoopt.metrics.files import expand, read_file
from autoopt.metrics.otel import read_spans
from autoopt.metrics.pricing import PricingReport, fill_costs
from autoopt.metrics.table import RowsReport, empty_frame, rename_columns, validate
from autoopt.spec.models import (
    FilesSource,
    MetricsSettings,
    OtelSource,
    PriceOverride,
    PrometheusSource,
    SettingsSpec,
)


@dataclass
class MetricsRead:
    """The canonical table, how many rows were accepted/rejected, and what prices were used."""

    frame: pd.DataFrame
    rows: RowsReport
    pricing: PricingReport = field(default_factory=PricingReport)
    source: str = ""
    notes: list[str] = field(default_factory=list)


class MetricsSource(Protocol):
    """Where metrics come from. ``fetch`` returns validated canonical rows (costs not filled)."""

    @property
    def description(self) -> str: ...

    def fetch(self) -> MetricsRead: ...


@dataclass(frozen=True)
class FilesMetrics:
    """CSV / JSONL / Parquet: a file, a directory or a glob; ``.gz`` accepted."""

    spec: FilesSource
    root: Path

    @property
    def description(self) -> str:
        return f"files {self.spec.path}"

    def fetch(self) -> MetricsRead:
        rows = RowsReport()
        frames = []
        for path in expand(self.spec.path, self.root):
            display = _display(path, self.root)
            raw = read_file(path, self.spec.format, display, rows)
            raw = rename_columns(raw, self.spec.columns)
            frame, report = validate(raw, display)
            del raw  # one raw table alive at a time
            rows.merge(report)
            frames.append(frame)
        return MetricsRead(_concat(frames), rows, source=self.description)


@dataclass(frozen=True)
class OtelMetrics:
    """OpenTelemetry span exports (OTLP/JSON lines) read through the GenAI conventions."""

    spec: OtelSource
    root: Path

    @property
    def description(self) -> str:
        return f"otel {self.spec.path}"

    def fetch(self) -> MetricsRead:
        rows = RowsReport()
        frames, skipped, files = [], 0, expand_otel(self.spec.path, self.root)
        for path in files:
            raw, other = read_spans(path, self.spec.version_attribute, rows)
            skipped += other
            if raw.empty:
                continue
            frame, report = validate(raw, _display(path, self.root))
            rows.merge(report)
            frames.append(frame)
        if not frames and not rows.rejected:
            raise MetricsError(f"{self.spec.path}: no GenAI spans (gen_ai.* attributes) found")
        notes = [f"{skipped} non-GenAI span(s) skipped"] if skipped else []
        return MetricsRead(_concat(frames), rows, source=self.description, notes=notes)


def expand_otel(spec: str, root: Path) -> list[Path]:
    base = Path(spec).expanduser()
    path = base if base.is_absolute() else root / base
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and ".json" in p.suffixes)
        if not files:
            raise MetricsError(f"{spec}: no .json / .jsonl span exports in this directory")
        return files
    if "*" in spec or "?" in spec:
        return expand(spec, root)
    if not path.is_file():
        raise MetricsError(f"{spec}: no such file or directory")
    return [path]


@dataclass(frozen=True)
class PrometheusMetrics:
    spec: PrometheusSource
    root: Path

    @property
    def description(self) -> str:
        return f"prometheus {self.spec.url}"

    def fetch(self) -> MetricsRead:
        raise UserError(
            "metrics type prometheus is not supported yet; export to files or OTLP/JSON "
            "and use type: files or type: otel"
        )


#: ``type:`` → how to build the source. An unknown type never gets here: the settings model
#: rejects it with a location.
SOURCES: Mapping[str, Callable[[Any, Path], MetricsSource]] = {
    "files": FilesMetrics,
    "otel": OtelMetrics,
    "prometheus": PrometheusMetrics,
}


def parse_override(text: str, settings: MetricsSettings) -> MetricsSettings:
    """``--metrics SRC``: ``otel:PATH``, ``http(s)://…`` (Prometheus) or a file/dir/glob."""
    if text.startswith("otel:"):
        version_key = settings.version_attribute if isinstance(settings, OtelSource) else None
        extra = {"version_attribute": version_key} if version_key else {}
        return OtelSource(type="otel", path=text.removeprefix("otel:") or ".", **extra)
    if text.startswith(("http://", "https://")):
        return PrometheusSource(type="prometheus", url=text)
    columns = settings.columns if isinstance(settings, FilesSource) else {}
    return FilesSource(type="files", path=text.removeprefix("files:"), columns=columns)


def source_from_settings(
    settings_spec: SettingsSpec, root: Path, override: str | None = None
) -> MetricsSource:
    """The source ``autoopt.yaml`` names (paths relative to ``root``), or ``--metrics SRC``
    (paths relative to the current directory)."""
    spec = settings_spec.metrics
    if override:
        return SOURCES[(spec := parse_override(override, spec)).type](spec, Path.cwd())
    return SOURCES[spec.type](spec, root)


def read_metrics(
    source: MetricsSource, overrides: Mapping[str, PriceOverride] | None = None
) -> MetricsRead:
    """Fetch, validate and price: the canonical table plus the rows and pricing reports."""
    read = source.fetch()
    if read.rows.accepted == 0 and read.rows.rejected:
        raise MetricsError(
            f"{source.description}: no usable rows ({read.rows.line().removeprefix('rows: ')})"
        )
    read.frame, read.pricing = fill_costs(read.frame, overrides or {})
    return read


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_frame()
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)

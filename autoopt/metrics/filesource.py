"""File-backed metrics sources: CSV / JSONL / Parquet files and OpenTelemetry span exports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from autoopt.errors import MetricsError, UserError
from autoopt.metrics.files import expand, read_file
from autoopt.metrics.framesource import FrameMetrics
from autoopt.metrics.otel import read_spans
from autoopt.metrics.pricing import PricingReport, fill_costs
from autoopt.metrics.sources import (
    ArmsRead,
    ArmsRequest,
    MetricsRead,
    SummaryRead,
    SummaryRequest,
)
from autoopt.metrics.table import RowsReport, empty_frame, rename_columns, validate
from autoopt.spec.models import FilesSource, OtelSource, PriceOverride, PrometheusSource
from autoopt.values import ModelProfile, Window


class _Loaded:
    """Answers from the whole table, loaded once (validated and priced) on first use."""

    description: str
    prices: Mapping[str, PriceOverride]

    def _read(self) -> MetricsRead:
        raise NotImplementedError

    @cached_property
    def _frame(self) -> FrameMetrics:
        read = self._read()
        read.frame, read.pricing = fill_costs(read.frame, self.prices)
        return FrameMetrics(read, self.description)

    def services(self) -> list[str]:
        return self._frame.services()

    def summaries(self, requests: Sequence[SummaryRequest]) -> list[SummaryRead]:
        return self._frame.summaries(requests)

    def arms(self, requests: Sequence[ArmsRequest]) -> ArmsRead:
        return self._frame.arms(requests)

    def profiles(self, service: str, window: Window | None = None) -> dict[str, ModelProfile]:
        return self._frame.profiles(service, window)

    def rows(self, service: str | None = None, window: Window | None = None) -> MetricsRead:
        return self._frame.rows(service, window)


@dataclass(eq=False)
class FilesMetrics(_Loaded):
    """CSV / JSONL / Parquet: a file, a directory or a glob; ``.gz`` accepted."""

    spec: FilesSource
    root: Path
    prices: Mapping[str, PriceOverride] = field(default_factory=dict)

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"files {self.spec.path}"

    def _read(self) -> MetricsRead:
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
        return MetricsRead(_concat(frames), rows, PricingReport())


@dataclass(eq=False)
class OtelMetrics(_Loaded):
    """OpenTelemetry span exports (OTLP/JSON lines) read through the GenAI conventions."""

    spec: OtelSource
    root: Path
    prices: Mapping[str, PriceOverride] = field(default_factory=dict)

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"otel {self.spec.path}"

    def _read(self) -> MetricsRead:
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
        return MetricsRead(_concat(frames), rows, PricingReport(), notes=notes)


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


@dataclass(eq=False)
class PrometheusMetrics(_Loaded):
    spec: PrometheusSource
    root: Path
    prices: Mapping[str, PriceOverride] = field(default_factory=dict)

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"prometheus {self.spec.url}"

    def _read(self) -> MetricsRead:
        raise UserError(
            "metrics type prometheus is not supported yet; export to files or OTLP/JSON "
            "and use type: files or type: otel"
        )


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

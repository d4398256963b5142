"""File-backed metrics sources: CSV / JSONL / Parquet files and OpenTelemetry span exports.

Both answer the protocol inside DuckDB (:mod:`autoopt.metrics.pushdown`): the files are opened
once (Parquet only to read its schema), and each question scans them with its filters pushed
into the scan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from autoopt.errors import MetricsError
from autoopt.metrics import armsql, pushdown
from autoopt.metrics.files import Raw, expand, read_raw
from autoopt.metrics.sources import (
    ArmsRead,
    ArmsRequest,
    MetricsRead,
    SummaryRead,
    SummaryRequest,
)
from autoopt.metrics.store import Store, connect
from autoopt.metrics.table import RowsReport
from autoopt.spec.models import FilesSource, OtelSource, PriceOverride
from autoopt.values import ModelProfile, Window


class _Pushed:
    """The protocol over a :class:`Store` built on first use."""

    description: str
    prices: Mapping[str, PriceOverride]

    def _open(self) -> Store:
        raise NotImplementedError

    @cached_property
    def store(self) -> Store:
        return self._open()

    def services(self) -> list[str]:
        return pushdown.services(self.store)

    def summaries(self, requests: Sequence[SummaryRequest]) -> list[SummaryRead]:
        return pushdown.summaries(self.store, requests)

    def arms(self, requests: Sequence[ArmsRequest]) -> ArmsRead:
        return armsql.arms(self.store, requests)

    def profiles(self, service: str, window: Window | None = None) -> dict[str, ModelProfile]:
        return pushdown.profiles(self.store, service, window)

    def rows(self, service: str | None = None, window: Window | None = None) -> MetricsRead:
        return pushdown.rows(self.store, service, window)


@dataclass(eq=False)
class FilesMetrics(_Pushed):
    """CSV / JSONL / Parquet: a file, a directory or a glob; ``.gz`` accepted."""

    spec: FilesSource
    root: Path
    prices: Mapping[str, PriceOverride] = field(default_factory=dict)

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"files {self.spec.path}"

    def _open(self) -> Store:
        con = connect()
        files = expand(self.spec.path, self.root)
        raws = [
            read_raw(
                path, self.spec.format, _display(path, self.root), self.spec.columns, f"raw{i}", con
            )
            for i, path in enumerate(files)
        ]
        return Store(raws, self.prices, self.description, con=con)


#: Span export files in a directory: ``.json``, ``.jsonl`` or ``.ndjson``, optionally ``.gz``.
_EXPORT = re.compile(r"\.(json|jsonl|ndjson)(\.gz)?$", re.IGNORECASE)


@dataclass(eq=False)
class OtelMetrics(_Pushed):
    """OpenTelemetry span exports (OTLP/JSON lines) read through the GenAI conventions."""

    spec: OtelSource
    root: Path
    prices: Mapping[str, PriceOverride] = field(default_factory=dict)

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"otel {self.spec.path}"

    def _open(self) -> Store:
        from autoopt.metrics.otel import read_spans

        raws: list[Raw] = []
        rejected = RowsReport()
        skipped = 0
        for i, path in enumerate(expand_otel(self.spec.path, self.root)):
            display = _display(path, self.root)
            raw, other = read_spans(path, self.spec.version_attribute, display, f"spans{i}")
            skipped += other
            if raw is not None and raw.table is not None:
                raws.append(raw)
            elif raw is not None:
                rejected.merge(raw.report)
        if not raws and not rejected.rejected:
            raise MetricsError(f"{self.spec.path}: no GenAI spans (gen_ai.* attributes) found")
        store = Store(raws, self.prices, self.description, rejected=rejected)
        if skipped:
            store.notes.append(f"{skipped} non-GenAI span(s) skipped")
        return store


def expand_otel(spec: str, root: Path) -> list[Path]:
    base = Path(spec).expanduser()
    path = base if base.is_absolute() else root / base
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _EXPORT.search(p.name))
        if not files:
            raise MetricsError(
                f"{spec}: no .json / .jsonl / .ndjson span exports (or .gz) in this directory"
            )
        return files
    if "*" in spec or "?" in spec:
        return expand(spec, root)
    if not path.is_file():
        raise MetricsError(f"{spec}: no such file or directory")
    return [path]


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)

"""Read CSV, JSONL and Parquet files (a file, a directory or a glob; ``.gz`` accepted)."""

from __future__ import annotations

import glob
import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from autoopt.errors import MetricsError
from autoopt.metrics.table import RowsReport

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def format_of(path: Path) -> str | None:
    """The format a file name implies (``x.csv.gz`` is CSV), or None for other files."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return _SUFFIXES.get(suffixes[-1]) if suffixes else None


def expand(spec: str, root: Path) -> list[Path]:
    """The metrics files ``spec`` names: a file, a directory (searched recursively) or a glob."""
    base = Path(spec).expanduser()
    path = base if base.is_absolute() else root / base
    if any(ch in spec for ch in "*?["):
        found = [Path(p) for p in sorted(glob.glob(str(path), recursive=True))]
        files = [p for p in found if p.is_file() and format_of(p)]
        if not files:
            raise MetricsError(f"{spec}: no CSV, JSONL or Parquet files match this pattern")
        return files
    if path.is_dir():
        files = [p for p in sorted(path.rglob("*")) if p.is_file() and format_of(p)]
        if not files:
            raise MetricsError(f"{spec}: no CSV, JSONL or Parquet files in this directory")
        return files
    if path.is_file():
        return [path]
    raise MetricsError(f"{spec}: no such file or directory")


def read_file(path: Path, fmt: str, display: str, report: RowsReport) -> pd.DataFrame:
    """One file as a raw DataFrame (names as in the file); unparseable rows counted."""
    kind = format_of(path) if fmt == "auto" else fmt
    if kind is None:
        raise MetricsError(f"{display}: unknown file type (use .csv, .jsonl or .parquet)")
    try:
        if kind == "csv":
            return _csv(path, report)
        if kind == "jsonl":
            return _jsonl(path, display, report)
        return _parquet(path)
    except (OSError, EOFError, ValueError) as exc:
        if isinstance(exc, MetricsError):
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MetricsError(f"{display}: cannot read {kind}: {first}") from None


def open_text(path: Path) -> IO[str]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace")
    return path.open(encoding="utf-8-sig", errors="replace")


def _csv(path: Path, report: RowsReport) -> pd.DataFrame:
    import pyarrow.csv as pcsv

    skipped = 0

    def on_bad_row(_row: Any) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    table = pcsv.read_csv(
        path,
        parse_options=pcsv.ParseOptions(invalid_row_handler=on_bad_row, newlines_in_values=False),
        convert_options=pcsv.ConvertOptions(strings_can_be_null=True),
    )
    report.reject("unparseable", skipped)
    frame: pd.DataFrame = table.to_pandas()
    return frame


def json_records(lines: Iterable[str], report: RowsReport) -> Iterator[dict[str, Any]]:
    """The JSON objects of JSON Lines; a line that is not one is rejected as unparseable."""
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            report.reject("unparseable")
            continue
        if isinstance(record, dict):
            yield record
        else:
            report.reject("unparseable")


def _jsonl(path: Path, display: str, report: RowsReport) -> pd.DataFrame:
    with open_text(path) as handle:
        head = handle.read(1)
        handle.seek(0)
        if head == "[":
            raise MetricsError(f"{display}: a JSON array; expected JSON Lines (one object a line)")
        rows = list(json_records(handle, report))
    return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()


def _parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as handle:
            table = pq.read_table(handle)
    else:
        table = pq.read_table(path)
    # free each Arrow column as soon as it is converted: peak memory stays near one copy
    frame: pd.DataFrame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    return frame

"""Find and open metrics files: a file, a directory or a glob of CSV, JSONL and Parquet.

Each file becomes a :class:`Raw` relation that DuckDB reads through the canonical SQL
(:mod:`autoopt.metrics.canonical`): Parquet is scanned in place (filters and projection pushed
into the scan); CSV and JSON Lines are read here, line by line, into an Arrow table of text
columns — a line that is not valid UTF-8 is counted as ``bad_encoding``, one with the wrong
number of fields or that is not a JSON object as ``unparseable``, and the good lines are kept.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from autoopt.errors import MetricsError
from autoopt.metrics.canonical import OUTPUT, literal, quote
from autoopt.metrics.table import REQUIRED, RowsReport

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_BOM = b"\xef\xbb\xbf"


@dataclass
class Raw:
    """One input as DuckDB sees it, its columns already named canonically.

    ``relation`` is SQL (``read_parquet([...])`` wrapped in a renaming projection, or the name
    ``table`` is registered under); ``types`` maps canonical column → DuckDB type; ``report``
    holds the lines rejected before SQL (unparseable, bad_encoding).
    """

    display: str
    relation: str
    types: dict[str, str]
    table: Any = None  # a pyarrow.Table to register as ``relation``
    report: RowsReport = field(default_factory=RowsReport)


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


def canonical_names(
    names: Iterable[str], mapping: Mapping[str, str], display: str
) -> dict[str, str]:
    """canonical name → the file's column, for the columns autoopt reads.

    ``mapping`` is ``metrics.columns`` (canonical → the file's name). A name that appears
    twice, or two columns that would both give one canonical column, is one clear error.
    """
    seen: dict[str, int] = {}
    for position, name in enumerate(names, 1):
        if name in seen:
            raise MetricsError(
                f"{display}: column {name!r} appears twice (columns {seen[name]} and "
                f"{position}); rename or drop one"
            )
        seen[name] = position
    theirs = {their: ours for ours, their in mapping.items() if their in seen}
    out: dict[str, str] = {}
    for name in seen:
        ours = theirs.get(name, name if name not in mapping else None)
        if ours is None or ours not in OUTPUT:
            continue
        if ours in out:
            raise MetricsError(
                f"{display}: columns {out[ours]!r} and {name!r} both give {ours} "
                f"(metrics.columns maps {ours}: {mapping.get(ours, ours)}); drop one"
            )
        out[ours] = name
    missing = [c for c in REQUIRED if c not in out]
    if missing:
        found = ", ".join(_short(n) for n in seen) or "none"
        raise MetricsError(
            f"{display}: missing required column(s) {', '.join(missing)} (found: {found}; "
            "map other names with metrics.columns in autoopt.yaml)"
        )
    return out


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:37] + "..."


def read_raw(
    path: Path, fmt: str, display: str, mapping: Mapping[str, str], name: str, con: Any
) -> Raw:
    """One file as a :class:`Raw` relation (``name`` is its registration name; ``con`` the
    DuckDB connection it will be read with)."""
    kind = format_of(path) if fmt == "auto" else fmt
    if kind is None:
        raise MetricsError(f"{display}: unknown file type (use .csv, .jsonl or .parquet)")
    try:
        if kind == "parquet" and path.suffix.lower() != ".gz":
            return parquet(path, display, mapping, con)
        report = RowsReport()
        if kind == "csv":
            table = _csv(_utf8(path, report), display, mapping, report)
        elif kind == "jsonl":
            table = arrow_table(_records(_lines(path, report), display, report), mapping, display)
        else:
            table = _gz_parquet(path, display, mapping)
    except (OSError, EOFError, ValueError) as exc:
        if isinstance(exc, MetricsError):
            raise
        raise MetricsError(f"{display}: cannot read {kind}: {_first_line(exc)}") from None
    return Raw(display, name, arrow_types(table), table, report)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def open_bytes(path: Path) -> IO[bytes] | gzip.GzipFile:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _utf8(path: Path, report: RowsReport) -> bytes:
    """The file's bytes, without the lines that are not UTF-8 (counted as bad_encoding)."""
    with open_bytes(path) as handle:
        data = handle.read().removeprefix(_BOM)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "\n".join(_lines(path, report)).encode("utf-8")
    return data


def _lines(path: Path, report: RowsReport) -> list[str]:
    """The file's lines as text; a line that is not UTF-8 is counted and dropped."""
    with open_bytes(path) as handle:
        data = handle.read()
    data = data.removeprefix(_BOM)
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        pass
    lines = []
    for line in data.splitlines():
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            report.reject("bad_encoding")
    return lines


def _csv(data: bytes, display: str, mapping: Mapping[str, str], report: RowsReport) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].decode("utf-8").strip("\r")
    if not first.strip():
        raise MetricsError(f"{display}: empty file (no header line)")
    header = next(csv.reader([first]))
    names = canonical_names(header, mapping, display)
    skipped = 0

    def on_bad_row(_row: Any) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    table = pcsv.read_csv(
        io.BytesIO(data),
        parse_options=pcsv.ParseOptions(invalid_row_handler=on_bad_row, newlines_in_values=False),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            include_columns=list(names.values()),
            strings_can_be_null=True,
            null_values=[""],
        ),
    )
    report.reject("unparseable", skipped)
    return table.rename_columns(list(names))


def json_records(lines: Iterable[str], report: RowsReport) -> Iterator[dict[str, Any]]:
    """The JSON objects of JSON Lines; a line that is not one is rejected as unparseable."""
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            report.reject("unparseable")
            continue
        if isinstance(record, dict):
            yield record
        else:
            report.reject("unparseable")


def _records(lines: list[str], display: str, report: RowsReport) -> list[dict[str, Any]]:
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("["):
        raise MetricsError(f"{display}: a JSON array; expected JSON Lines (one object a line)")
    records = list(json_records(lines, report))
    if not records and report.rejected:
        raise MetricsError(
            f"{display}: no line is a JSON object ({report.rejected} line(s) tried); "
            "expected JSON Lines, one object a line"
        )
    return records


def as_text(value: Any) -> str | None:
    """A JSON value as the text the canonical SQL parses (structures stay recognisable as
    not-a-number: their JSON text)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value)[:200]
    return str(value)


def arrow_table(records: list[dict[str, Any]], mapping: Mapping[str, str], display: str) -> Any:
    """Records (JSON objects, span rows) as an Arrow table of canonical text columns."""
    import pyarrow as pa

    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    names = canonical_names(list(keys), mapping, display)
    columns = {
        ours: pa.array([as_text(r.get(theirs)) for r in records], pa.string())
        for ours, theirs in names.items()
    }
    return pa.table(columns) if columns else pa.table({"_": pa.nulls(len(records))})


def arrow_types(table: Any) -> dict[str, str]:
    """canonical column → the DuckDB type an Arrow table's column scans as."""
    import pyarrow as pa

    out = {}
    for item in table.schema:
        kind = item.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            out[item.name] = "VARCHAR"
        elif pa.types.is_boolean(kind):
            out[item.name] = "BOOLEAN"
        elif pa.types.is_integer(kind):
            out[item.name] = "BIGINT"
        elif pa.types.is_floating(kind):
            out[item.name] = "DOUBLE"
        elif pa.types.is_timestamp(kind):
            out[item.name] = "TIMESTAMP WITH TIME ZONE" if kind.tz else "TIMESTAMP"
        elif pa.types.is_date(kind):
            out[item.name] = "DATE"
        elif pa.types.is_null(kind):
            out[item.name] = "NULL"
        else:
            out[item.name] = "OTHER"
    return out


def parquet(path: Path, display: str, mapping: Mapping[str, str], con: Any) -> Raw:
    """A Parquet file read in place: a renaming projection over ``read_parquet``."""
    import duckdb

    source = f"read_parquet({literal(str(path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise MetricsError(f"{display}: cannot read parquet: {_first_line(exc)}") from None
    types = {str(r[0]): str(r[1]) for r in described}
    names = canonical_names(list(types), mapping, display)
    projection = ", ".join(f"{quote(theirs)} AS {quote(ours)}" for ours, theirs in names.items())
    relation = f"(SELECT {projection or 'NULL AS _'} FROM {source})"
    return Raw(display, relation, {ours: types[theirs] for ours, theirs in names.items()})


def _gz_parquet(path: Path, display: str, mapping: Mapping[str, str]) -> Any:
    import pyarrow.parquet as pq

    with gzip.open(path, "rb") as handle:
        table = pq.read_table(handle)
    names = canonical_names(table.column_names, mapping, display)
    table = table.select(list(names.values()))
    return table.rename_columns(list(names))

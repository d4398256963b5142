"""The canonical per-request table and the row validation every source goes through.

Whatever the source (files, OpenTelemetry, the simulator), metrics become one pandas DataFrame
with the columns of :data:`COLUMNS`. Rows that cannot be used are rejected and counted by a
stable reason code; they are never silently dropped and never silently zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from autoopt.errors import MetricsError

#: The canonical columns, in order. The simulator emits exactly these.
COLUMNS: tuple[str, ...] = (
    "timestamp",
    "service",
    "version",
    "variant",
    "model",
    "latency_ms",
    "ttft_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "error",
    "quality",
    "truncated",
    "error_type",
)

#: Columns a source must provide (after the column mapping).
REQUIRED: tuple[str, ...] = (
    "timestamp",
    "service",
    "version",
    "model",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "error",
)

#: Columns that may be absent; they are added empty (NaN / None), never as zeros.
OPTIONAL: tuple[str, ...] = tuple(c for c in COLUMNS if c not in REQUIRED)

#: Extra columns a source may carry along (the OTel reader fills them from span attributes).
EXTRAS: tuple[str, ...] = ("temperature", "max_tokens")

#: Stable reason codes for rejected rows, with what they mean.
REASONS: Mapping[str, str] = {
    "unparseable": "the line or record could not be parsed at all",
    "missing_timestamp": "no timestamp",
    "bad_timestamp": "the timestamp is not an ISO 8601 time or epoch seconds",
    "missing_service": "no service name",
    "missing_version": "no version",
    "missing_model": "no model",
    "bad_latency": "latency_ms missing, non-numeric or negative",
    "bad_ttft": "ttft_ms non-numeric or negative",
    "bad_tokens": "tokens_in/tokens_out missing (on a successful request), non-numeric or negative",
    "bad_cost": "cost_usd non-numeric or negative",
    "bad_error": "error is not a boolean (true/false, 1/0)",
    "bad_quality": "quality non-numeric or outside 0–100",
}

Flag = Callable[[str, "pd.Series[bool]"], None]

_TRUE = frozenset({"true", "1", "yes", "t", "y", "1.0"})
_FALSE = frozenset({"false", "0", "no", "f", "n", "0.0", ""})


@dataclass
class RowsReport:
    """How many rows were accepted and rejected, and why (reason code → count).

    ``outside`` counts good rows that a question left out because they fall outside its
    window (before it, after it, or in the future).
    """

    accepted: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    outside: int = 0

    def reject(self, reason: str, count: int = 1) -> None:
        if count:
            self.rejected += count
            self.reasons[reason] += count

    def merge(self, other: RowsReport) -> None:
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.reasons.update(other.reasons)
        self.outside += other.outside

    def as_dict(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "reasons": dict(sorted(self.reasons.items())),
            "outside": self.outside,
        }

    def line(self) -> str:
        why = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items()))
        line = f"rows: {self.accepted} accepted, {self.rejected} rejected" + (
            f" ({why})" if why else ""
        )
        return line + (f", {self.outside} outside the window" if self.outside else "")


def empty_frame() -> pd.DataFrame:
    """A canonical table with no rows and the right dtypes."""
    frame, _ = validate(pd.DataFrame({c: pd.Series([], dtype=object) for c in REQUIRED}), "")
    return frame


def rename_columns(raw: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    """Apply ``metrics.columns`` (canonical name → the name used in the file)."""
    if not mapping:
        return raw
    inverse = {theirs: ours for ours, theirs in mapping.items() if theirs in raw.columns}
    return raw.rename(columns=inverse)


def check_columns(raw: pd.DataFrame, display: str) -> None:
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        names = ", ".join(missing)
        found = ", ".join(map(str, raw.columns)) or "none"
        raise MetricsError(
            f"{display}: missing required column(s) {names} (found: {found}; "
            "map other names with metrics.columns in autoopt.yaml)"
        )


def validate(raw: pd.DataFrame, display: str) -> tuple[pd.DataFrame, RowsReport]:
    """Coerce ``raw`` to the canonical table; reject and count rows that cannot be used."""
    check_columns(raw, display)
    n = len(raw)
    bad = pd.Series(np.zeros(n, dtype=bool), index=raw.index)
    report = RowsReport()
    out: dict[str, pd.Series] = {}

    def flag(reason: str, mask: pd.Series) -> None:
        mask = mask & ~bad
        report.reject(reason, int(mask.sum()))
        bad.loc[mask] = True

    ts, ts_missing = _timestamps(raw["timestamp"])
    flag("missing_timestamp", ts_missing)
    flag("bad_timestamp", ts.isna())
    out["timestamp"] = ts
    for name in ("service", "version", "model"):
        text = _text(raw[name])
        flag(f"missing_{name}", text.isna())
        out[name] = text
    error = _booleans(raw["error"])
    flag("bad_error", error.isna())
    out["error"] = error.fillna(False).astype(bool)
    latency = _numbers(raw["latency_ms"])
    flag("bad_latency", latency.isna() | (latency < 0))
    out["latency_ms"] = latency
    _tokens(raw, out, flag)
    _optional_numbers(raw, out, flag)
    out["variant"] = _text(raw["variant"]) if "variant" in raw else _none(n, raw.index)
    out["error_type"] = _text(raw["error_type"]) if "error_type" in raw else _none(n, raw.index)
    truncated = _booleans(raw["truncated"]) if "truncated" in raw else None
    out["truncated"] = (
        truncated.astype("boolean") if truncated is not None else pd.Series(pd.NA, raw.index)
    ).astype("boolean")
    frame = pd.DataFrame({c: out[c] for c in COLUMNS}, index=raw.index, copy=False)
    for extra in EXTRAS:
        if extra in raw:
            frame[extra] = _numbers(raw[extra])
    if bad.any():
        keep = np.logical_not(bad.to_numpy(dtype=bool))
        frame = frame.loc[keep].reset_index(drop=True)
    else:
        frame = frame.reset_index(drop=True)
    report.accepted = len(frame)
    return frame, report


def _tokens(raw: pd.DataFrame, out: dict[str, pd.Series], flag: Flag) -> None:
    error = out["error"]
    for name in ("tokens_in", "tokens_out"):
        values = _numbers(raw[name])
        given = _given(raw[name])
        flag("bad_tokens", (given & values.isna()) | (values < 0) | (values.isna() & ~error))
        out[name] = values


def _optional_numbers(raw: pd.DataFrame, out: dict[str, pd.Series], flag: Flag) -> None:
    n = len(raw)
    for name, reason, upper in (
        ("ttft_ms", "bad_ttft", None),
        ("cost_usd", "bad_cost", None),
        ("quality", "bad_quality", 100.0),
    ):
        if name not in raw:
            out[name] = pd.Series(np.full(n, np.nan), index=raw.index)
            continue
        values = _numbers(raw[name])
        given = _given(raw[name])
        broken = (given & values.isna()) | (values < 0)
        if upper is not None:
            broken |= values > upper
        flag(reason, broken)
        out[name] = values


def _given(column: pd.Series) -> pd.Series:
    """Cells that hold something (text that is not blank, or any non-missing value)."""
    if not (pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column)):
        return column.notna()
    return column.notna() & (column.astype("str").str.strip() != "")


def _none(n: int, index: pd.Index) -> pd.Series:
    return pd.Series([None] * n, index=index, dtype=object)


def _numbers(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("float64")
    values = pd.to_numeric(column, errors="coerce")
    return values.astype("float64")


def _text(column: pd.Series) -> pd.Series:
    """Trimmed text; empty means missing (vectorised: no Python call per row).

    Clean columns (the usual case) are returned without copying the strings.
    """
    text = column.astype("str")
    padded = text.str.contains(r"^\s|\s$", regex=True, na=False)
    if padded.any():
        text = text.str.strip()
    blank = text == ""
    return text.where(~blank, None) if blank.any() else text


def _booleans(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("boolean")
    if pd.api.types.is_numeric_dtype(column.dtype):
        values = column.astype("float64")
        ok = values.isin([0.0, 1.0])
        return (values == 1.0).astype("boolean").where(ok, pd.NA)
    lowered = column.astype("str").str.strip().str.lower()
    result = pd.Series(pd.NA, index=column.index, dtype="boolean")
    result[lowered.isin(_TRUE)] = True
    result[lowered.isin(_FALSE) | column.isna()] = False
    return result


def _timestamps(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ISO 8601 text (naive means UTC) or epoch seconds; also return the missing mask."""
    missing = ~_given(column)
    if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        column.dtype
    ):
        parsed = pd.to_datetime(column, utc=True)
    elif pd.api.types.is_numeric_dtype(column.dtype):
        parsed = pd.to_datetime(column.astype("float64") * 1e6, unit="us", utc=True)
    else:
        text = column.astype(object).where(~missing, None)
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        epoch = pd.to_numeric(text, errors="coerce")
        from_epoch = pd.to_datetime(epoch * 1e6, unit="us", utc=True, errors="coerce")
        parsed = parsed.where(parsed.notna(), from_epoch)
    return parsed.astype("datetime64[us, UTC]"), missing

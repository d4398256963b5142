"""The canonical per-request table, its rejection reasons and the row accounting.

Whatever the source (files, OpenTelemetry, the simulator), metrics become one table with the
columns of :data:`COLUMNS` (plus :data:`EXTRAS`). Rows that cannot be used are rejected and
counted by a stable reason code; they are never silently dropped and never silently zero. The
rules themselves are SQL, written once in :mod:`autoopt.metrics.canonical`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

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

#: Extra columns every canonical table carries (empty when the source has none): what the
#: OTel reader takes from span attributes, and what pricing reads.
EXTRAS: tuple[str, ...] = (
    "provider",
    "response_model",
    "tokens_cached",
    "tokens_cache_write",
    "tokens_reasoning",
    "temperature",
    "max_tokens",
)

#: Stable reason codes for rejected rows, with what they mean.
REASONS: Mapping[str, str] = {
    "unparseable": "the line or record could not be parsed at all",
    "bad_encoding": "the line is not valid UTF-8",
    "missing_timestamp": "no timestamp",
    "bad_timestamp": "not an ISO 8601 time nor an epoch number, or outside 1970–9999",
    "missing_service": "no service name",
    "missing_version": "no version",
    "missing_model": "no model",
    "bad_latency": "latency_ms missing, not a finite number, or negative",
    "bad_ttft": "ttft_ms not a finite number, or negative",
    "bad_tokens": "token counts missing (on a successful request), not finite numbers, "
    "negative, or more cached than input tokens",
    "bad_cost": "cost_usd not a finite number, or negative",
    "bad_error": "error is not a boolean (true/false, 1/0)",
    "bad_quality": "quality not a number, or outside 0–100",
}


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


def validate(
    raw: pd.DataFrame, display: str, mapping: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, RowsReport]:
    """A raw table (names as in the file, renamed by ``mapping``: canonical → theirs) as the
    canonical table, through the same SQL rules as every source; bad rows counted."""
    from autoopt.metrics.files import Raw, arrow_types, canonical_names
    from autoopt.metrics.pushdown import rows
    from autoopt.metrics.store import Store

    names = canonical_names([str(c) for c in raw.columns], mapping or {}, display)
    table = _arrow(raw, names)
    store = Store([Raw(display, "raw", arrow_types(table), table)], {}, display, price=False)
    read = rows(store, None, None)
    return read.frame, read.rows


def _arrow(raw: pd.DataFrame, names: Mapping[str, str]) -> Any:
    """The named columns of ``raw`` as an Arrow table: typed columns as they are, mixed
    (object) columns as the text the canonical rules parse."""
    import pandas as pd
    import pyarrow as pa

    from autoopt.metrics.files import as_text

    columns = {}
    for ours, theirs in names.items():
        column = raw[theirs]
        if pd.api.types.is_object_dtype(column.dtype):
            values = [None if _missing(v) else as_text(v) for v in column.tolist()]
            columns[ours] = pa.array(values, pa.string())
        else:
            columns[ours] = pa.Array.from_pandas(column)
    return pa.table(columns)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def empty_frame() -> pd.DataFrame:
    """A canonical table with no rows and the right dtypes."""
    import pandas as pd

    frame, _ = validate(pd.DataFrame({c: pd.Series([], dtype=object) for c in REQUIRED}), "")
    return frame

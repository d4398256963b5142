from __future__ import annotations

import math

import pandas as pd
import pytest

from autoopt.errors import MetricsError
from autoopt.metrics.table import COLUMNS, OPTIONAL, REQUIRED, rename_columns, validate


def raw(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "timestamp": ["2026-11-24T10:00:00Z"],
        "service": ["chat"],
        "version": ["v1"],
        "model": ["gpt-4o"],
        "latency_ms": [100],
        "tokens_in": [10],
        "tokens_out": [5],
        "error": [False],
    }
    n = max(len(v) for v in columns.values()) if columns else 1
    out = {k: (v * n if len(v) == 1 else v) for k, v in base.items()}
    out.update(columns)
    return pd.DataFrame(out)


def test_required_and_optional_partition_the_columns() -> None:
    assert set(REQUIRED) | set(OPTIONAL) == set(COLUMNS)
    assert not set(REQUIRED) & set(OPTIONAL)


def test_a_valid_row_becomes_canonical_with_optional_columns_empty_not_zero() -> None:
    frame, report = validate(raw(), "m.csv")
    assert list(frame.columns) == list(COLUMNS)
    assert report.as_dict() == {"accepted": 1, "rejected": 0, "reasons": {}, "outside": 0}
    row = frame.iloc[0]
    assert row["timestamp"] == pd.Timestamp("2026-11-24T10:00:00Z")
    assert math.isnan(row["cost_usd"]) and math.isnan(row["quality"]) and math.isnan(row["ttft_ms"])
    assert row["error"] is False or row["error"] == False  # noqa: E712


def test_bad_rows_are_rejected_and_counted_by_reason() -> None:
    table = raw(
        timestamp=[
            "2026-11-24T10:00:00Z",
            "",
            "yesterday",
            "1764000000",
            "2026-11-24 10:00:01",
            "2026-11-24T10:00:02Z",
            "2026-11-24T10:00:03Z",
            "2026-11-24T10:00:04Z",
            "2026-11-24T10:00:05Z",
        ],
        latency_ms=["120", "1", "1", "-3", "abc", "5", "5", "5", "5"],
        tokens_in=[1, 1, 1, 1, 1, -1, 1, 1, 1],
        error=["false", "true", "0", "1", "no", "no", "maybe", "1", "0"],
        quality=[None, None, None, None, None, None, None, 101, 99.5],
    )
    frame, report = validate(table, "m.csv")
    assert report.as_dict() == {
        "accepted": 2,
        "rejected": 7,
        "reasons": {
            "bad_error": 1,
            "bad_latency": 2,
            "bad_quality": 1,
            "bad_timestamp": 1,
            "bad_tokens": 1,
            "missing_timestamp": 1,
        },
        "outside": 0,
    }
    assert frame["latency_ms"].tolist() == [120.0, 5.0]
    assert frame["quality"].iloc[1] == 99.5


def test_epoch_seconds_are_accepted_as_timestamps() -> None:
    frame, _ = validate(raw(timestamp=[1764000000]), "m.csv")
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-11-24T16:00:00Z")


def test_missing_tokens_are_allowed_on_failed_requests_only() -> None:
    table = raw(tokens_out=[None, None], error=[True, False], latency_ms=[1, 2])
    frame, report = validate(table, "m.csv")
    assert report.reasons == {"bad_tokens": 1}
    assert bool(frame["error"].iloc[0]) is True
    assert math.isnan(frame["tokens_out"].iloc[0])


def test_a_missing_required_column_names_the_column_and_the_file() -> None:
    with pytest.raises(MetricsError) as info:
        validate(raw().drop(columns=["latency_ms", "model"]), "metrics/day1.csv")
    assert str(info.value).startswith(
        "metrics/day1.csv: missing required column(s) model, latency_ms (found: "
    )


def test_column_mapping_renames_their_names_to_ours() -> None:
    theirs = raw().rename(columns={"latency_ms": "duration", "model": "llm"})
    ours = rename_columns(theirs, {"latency_ms": "duration", "model": "llm"})
    frame, report = validate(ours, "m.csv")
    assert report.accepted == 1 and frame["model"].iloc[0] == "gpt-4o"


def test_text_is_trimmed_and_blank_text_is_missing() -> None:
    frame, report = validate(raw(service=[" chat ", "chat", "   "], latency_ms=[1, 2, 3]), "m.csv")
    assert frame["service"].tolist() == ["chat", "chat"]
    assert report.reasons == {"missing_service": 1}

"""The simulator emits autoopt's canonical metrics table: same columns, rows that pass autoopt's
validation untouched, dtypes that become autoopt's canonical ones."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

import autoopt.metrics
import simulator
from autoopt.metrics.table import empty_frame, validate
from autoopt.simulate.scenarios import with_window


def test_the_column_lists_are_the_same_tuple() -> None:
    assert simulator.COLUMNS == autoopt.metrics.COLUMNS
    assert isinstance(simulator.COLUMNS, tuple)


@pytest.mark.parametrize("name", ["steady", "provider-outage", "canary-quality-drop"])
def test_a_simulated_frame_passes_row_validation_unchanged(name: str) -> None:
    scenario = simulator.load_scenario(simulator.scenario_path(name))
    scenario = with_window(
        scenario, timedelta(minutes=45) if name != "steady" else timedelta(minutes=5)
    )
    frame = simulator.run_scenario(scenario, seed=3).frame
    assert tuple(frame.columns) == autoopt.metrics.COLUMNS

    checked, report = validate(frame, "<simulated>")

    assert report.rejected == 0, report.line()
    assert report.accepted == len(frame) > 0
    canonical = empty_frame().dtypes.to_dict()
    got = checked.dtypes.to_dict()
    # Optional text columns keep the input's string dtype (str here, object for an absent
    # column); every other column has exactly the canonical dtype.
    for column in ("variant", "error_type"):
        assert pd.api.types.is_string_dtype(got.pop(column))
        assert pd.api.types.is_string_dtype(canonical.pop(column)) or canonical.get(column) is None
    assert got == canonical
    for column in ("latency_ms", "ttft_ms", "cost_usd", "quality"):
        np.testing.assert_array_equal(checked[column].to_numpy(), frame[column].to_numpy())
    for column in ("tokens_in", "tokens_out"):
        np.testing.assert_array_equal(checked[column].to_numpy(), frame[column].to_numpy(float))
    for column in ("service", "version", "variant", "model"):
        assert checked[column].tolist() == frame[column].tolist()
    # the simulator writes "" for "no error"; validation reads an empty text as missing
    no_error = frame["error_type"] == ""
    assert checked.loc[no_error.to_numpy(), "error_type"].isna().all()
    assert checked["error_type"][~no_error].tolist() == frame["error_type"][~no_error].tolist()
    assert (no_error == ~frame["error"]).all()
    assert checked["error"].tolist() == frame["error"].tolist()
    assert checked["truncated"].tolist() == frame["truncated"].tolist()
    # autoopt keeps microseconds; the simulator's nanoseconds are below that
    gap = (checked["timestamp"].astype("datetime64[ns, UTC]") - frame["timestamp"]).abs()
    assert gap.max() < pd.Timedelta(microseconds=1)


def test_simulated_dtypes_are_of_the_canonical_kinds() -> None:
    """Not identical (the simulator uses str, int64 and ns; validation gives object, float64
    and us), but of the same kind, so every consumer reads both alike."""
    scenario = with_window(
        simulator.load_scenario(simulator.scenario_path("steady")), timedelta(minutes=2)
    )
    frame = simulator.run_scenario(scenario, seed=1).frame
    canonical = empty_frame()
    for column in autoopt.metrics.COLUMNS:
        ours, theirs = frame[column], canonical[column]
        if column == "timestamp":
            assert isinstance(ours.dtype, pd.DatetimeTZDtype) and str(ours.dt.tz) == "UTC"
            assert isinstance(theirs.dtype, pd.DatetimeTZDtype)
        elif column in ("error", "truncated"):
            assert pd.api.types.is_bool_dtype(ours) and pd.api.types.is_bool_dtype(theirs)
        elif pd.api.types.is_numeric_dtype(theirs):
            assert pd.api.types.is_numeric_dtype(ours), column
        else:
            assert pd.api.types.is_string_dtype(ours), column

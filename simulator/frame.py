"""Build the canonical metrics table from the data plane's arrays (one DataFrame at the end)."""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.
# ruff: noqa: TID253

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from simulator.attempts import ERROR_TYPES, OK
from simulator.columns import COLUMNS
from simulator.engine import DataPlane

Floats = npt.NDArray[np.float64]


def _strings(
    codes: npt.NDArray[np.integer], names: list[str], cache: dict[int, npt.NDArray[np.int64]]
) -> pd.Series:
    """A ``str`` column from small integer codes: an Arrow dictionary decoded once (fast)."""
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if codes.size and (codes == codes[0]).all():
        word = names[int(codes[0])].encode()
        offsets = _offsets(cache, codes.size, len(word))
        buffers = (pa.py_buffer(offsets), pa.py_buffer(word * codes.size))
        return pd.Series(pa.LargeStringArray.from_buffers(codes.size, *buffers), dtype=dtype)
    dictionary = pa.array(names, pa.large_string())
    arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), dictionary)
    return pd.Series(arr.cast(pa.large_string()), dtype=dtype)


def _offsets(cache: dict[int, npt.NDArray[np.int64]], n: int, width: int) -> npt.NDArray[np.int64]:
    """Arrow offsets for ``n`` strings of ``width`` bytes (shared: Arrow buffers are read-only)."""
    if width not in cache:
        cache[width] = (
            np.arange(0, (n + 1) * width, width, dtype=np.int64)
            if width
            else np.zeros(n + 1, np.int64)
        )
    return cache[width]


def build_frame(plane: DataPlane | None, idx: slice | npt.NDArray[np.int64]) -> pd.DataFrame:
    """Rows of the requests ``idx`` (all finished) in the canonical column order."""
    if plane is None:
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in zip(COLUMNS, _EMPTY_TYPES, strict=True)}
        )
    spec, d, r = plane.scenario.spec, plane.draws, plane.results
    arrival = d.arrival[idx]
    model, status = r.model[idx], r.status[idx]
    ok = status == OK
    tokens_in, tokens_out = d.tokens_in[idx], r.tokens_out[idx]
    cache: dict[int, npt.NDArray[np.int64]] = {}
    frame = pd.DataFrame(
        data={
            "timestamp": _timestamps(spec.start, arrival),
            "service": _strings(np.zeros(arrival.size, np.int8), [spec.service], cache),
            "version": _strings(r.params[idx], [v.version for v in plane.variants], cache),
            "variant": _strings(r.label[idx], ["stable", "canary"], cache),
            "model": _strings(model, plane.model_names, cache),
            "latency_ms": _millis(r.end[idx], arrival),
            "ttft_ms": _millis(r.first_token[idx], arrival),
            "tokens_in": tokens_in.astype(np.int64, copy=False),
            "tokens_out": tokens_out.astype(np.int64, copy=False),
            "cost_usd": _cost(plane, model, tokens_in, tokens_out, ok),
            "error": ~ok,
            "quality": r.quality[idx],
            "truncated": r.truncated[idx],
            "error_type": _strings(status, list(ERROR_TYPES), cache),
        },
        copy=False,
    )
    return frame


# Full-length temporaries are expensive (fresh pages for every one): compute in place.


def _timestamps(start: datetime, arrival: Floats) -> pd.DatetimeIndex:
    ns = np.multiply(arrival, 1e9)
    np.rint(ns, out=ns)
    stamps = ns.astype(np.int64)
    stamps += pd.Timestamp(start).as_unit("ns").value
    return pd.to_datetime(stamps.view("M8[ns]"), utc=True)


def _millis(end: Floats, arrival: Floats) -> Floats:
    out = np.subtract(end, arrival)
    out *= 1000.0
    return out


def _cost(
    plane: DataPlane,
    model: npt.NDArray[np.int16],
    tokens_in: npt.NDArray[np.int64],
    tokens_out: npt.NDArray[np.int64],
    ok: npt.NDArray[np.bool_],
) -> Floats:
    """USD per request from the serving model's prices (0 for errors)."""
    prices = [(s.price.input_per_1k / 1000.0, s.price.output_per_1k / 1000.0) for s in plane.specs]
    single = model.size == 0 or bool((model == model[0]).all())
    if single:
        p_in, p_out = prices[int(model[0])] if model.size else (0.0, 0.0)
        cost = np.multiply(tokens_in, p_in, dtype=np.float64)
        cost += tokens_out * p_out
    else:
        table = np.asarray(prices, dtype=np.float64)
        cost = np.multiply(tokens_in, table[model, 0], dtype=np.float64)
        cost += tokens_out * table[model, 1]
    cost[~ok] = 0.0
    return cost


_EMPTY_TYPES = (
    "datetime64[ns, UTC]",
    "str",
    "str",
    "str",
    "str",
    "float64",
    "float64",
    "int64",
    "int64",
    "float64",
    "bool",
    "float64",
    "bool",
    "str",
)

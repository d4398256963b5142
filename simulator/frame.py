"""Build the canonical metrics table from the data plane's arrays (one DataFrame at the end)."""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.
# ruff: noqa: TID253

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from simulator.attempts import ERROR_TYPES, OK
from simulator.columns import COLUMNS
from simulator.engine import DataPlane


def _strings(codes: npt.NDArray[np.integer], names: list[str]) -> pd.Series:
    """A ``str`` column from small integer codes: an Arrow dictionary decoded once (fast)."""
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if codes.size and (codes == codes[0]).all():
        word = names[int(codes[0])].encode()
        offsets = _offsets(codes.size, len(word))
        buffers = (pa.py_buffer(offsets), pa.py_buffer(word * codes.size))
        return pd.Series(pa.LargeStringArray.from_buffers(codes.size, *buffers), dtype=dtype)
    dictionary = pa.array(names, pa.large_string())
    arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), dictionary)
    return pd.Series(arr.cast(pa.large_string()), dtype=dtype)


_OFFSETS: dict[tuple[int, int], npt.NDArray[np.int64]] = {}


def _offsets(n: int, width: int) -> npt.NDArray[np.int64]:
    """Arrow offsets for ``n`` strings of ``width`` bytes (shared: Arrow buffers are read-only)."""
    key = (n, width)
    if key not in _OFFSETS:
        _OFFSETS.clear()
        _OFFSETS[key] = (
            np.arange(0, (n + 1) * width, width, dtype=np.int64)
            if width
            else np.zeros(n + 1, np.int64)
        )
    return _OFFSETS[key]


def empty_frame() -> pd.DataFrame:
    return build_frame(None, np.zeros(0, dtype=np.int64))


def build_frame(plane: DataPlane | None, idx: slice | npt.NDArray[np.int64]) -> pd.DataFrame:
    """Rows of the requests ``idx`` (all finished) in the canonical column order."""
    if plane is None:
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in zip(COLUMNS, _EMPTY_TYPES, strict=True)}
        )
    spec, d, r = plane.scenario.spec, plane.draws, plane.results
    arrival = d.arrival[idx]
    start_ns = pd.Timestamp(spec.start).as_unit("ns").value
    ns = start_ns + np.rint(arrival * 1e9).astype(np.int64)
    stamps = pd.to_datetime(ns.view("M8[ns]"), utc=True)
    model, status = r.model[idx], r.status[idx]
    ok = status == OK
    tokens_in, tokens_out = d.tokens_in[idx], r.tokens_out[idx]
    price_in = np.array([s.price.input_per_1k for s in plane.specs])[model]
    price_out = np.array([s.price.output_per_1k for s in plane.specs])[model]
    cost = np.where(ok, (tokens_in * price_in + tokens_out * price_out) / 1000.0, 0.0)
    frame = pd.DataFrame(
        data={
            "timestamp": stamps,
            "service": _strings(np.zeros(arrival.size, np.int64), [spec.service]),
            "version": _strings(r.params[idx], [v.version for v in plane.variants]),
            "variant": _strings(r.label[idx], ["stable", "canary"]),
            "model": _strings(model, plane.model_names),
            "latency_ms": (r.end[idx] - arrival) * 1000.0,
            "ttft_ms": (r.first_token[idx] - arrival) * 1000.0,
            "tokens_in": tokens_in.astype(np.int64, copy=False),
            "tokens_out": tokens_out.astype(np.int64, copy=False),
            "cost_usd": cost,
            "error": ~ok,
            "quality": r.quality[idx],
            "truncated": r.truncated[idx],
            "error_type": _strings(status, list(ERROR_TYPES)),
        },
        copy=False,
    )
    return frame


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

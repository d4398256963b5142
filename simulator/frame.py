"""Build the canonical metrics table from the data plane's arrays (one DataFrame at the end)."""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.

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
        # numpy's own allocation (not a bytes object): large arrays get huge pages, cheap to fill
        data = np.full(codes.size, word, dtype=f"S{len(word)}") if word else np.zeros(0, "S1")
        buffers = (pa.py_buffer(offsets), pa.py_buffer(data))
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
            "latency_ms": r.latency_ms[idx],
            "ttft_ms": r.ttft_ms[idx],
            "tokens_in": tokens_in.astype(np.int64, copy=False),
            "tokens_out": tokens_out.astype(np.int64, copy=False),
            "cost_usd": r.cost_usd[idx],
            "error": ~ok,
            "quality": r.quality[idx],
            "truncated": r.truncated[idx],
            "error_type": _strings(status, list(ERROR_TYPES), cache),
        },
        copy=False,
    )
    return frame


# Full-length temporaries are expensive (fresh pages for every one): compute in place.


def _timestamps(start: datetime, arrival: Floats) -> pd.api.extensions.ExtensionArray:
    stamps = np.empty(arrival.size, dtype=np.int64)
    origin = pd.Timestamp(start).as_unit("ns").value
    for lo in range(0, arrival.size, 1 << 20):
        chunk = np.rint(arrival[lo : lo + (1 << 20)] * 1e9)
        stamps[lo : lo + chunk.size] = chunk
    stamps += origin
    # naive nanoseconds read as UTC wall time: no conversion, no copy (unlike ``to_datetime``)
    return pd.array(stamps.view("M8[ns]"), dtype=pd.DatetimeTZDtype("ns", "UTC"), copy=False)


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

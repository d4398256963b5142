"""Build the canonical metrics table from the data plane's arrays (one DataFrame at the end)."""

from __future__ import annotations

import numpy as np  # noqa: TID253 - the simulator is imported only by commands that need it
import numpy.typing as npt
import pandas as pd  # noqa: TID253

from simulator.attempts import ERROR_TYPES, OK
from simulator.columns import COLUMNS
from simulator.engine import DataPlane


def _strings(codes: npt.NDArray[np.integer], names: list[str]) -> pd.Series:
    """A ``str`` column from small integer codes (built once per distinct value)."""
    cat = pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(names, dtype=str))
    return pd.Series(cat).astype(str)


def empty_frame() -> pd.DataFrame:
    return build_frame(None, np.zeros(0, dtype=np.int64))


def build_frame(plane: DataPlane | None, idx: npt.NDArray[np.int64]) -> pd.DataFrame:
    """Rows of the requests ``idx`` (all finished) in the canonical column order."""
    if plane is None:
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in zip(COLUMNS, _EMPTY_TYPES, strict=True)}
        )
    spec, d, r = plane.scenario.spec, plane.draws, plane.results
    arrival = d.arrival[idx]
    start_ns = pd.Timestamp(spec.start).as_unit("ns").value
    stamps = pd.to_datetime(start_ns + np.rint(arrival * 1e9).astype(np.int64), utc=True)
    model, status = r.model[idx], r.status[idx]
    ok = status == OK
    tokens_in, tokens_out = d.tokens_in[idx], r.tokens_out[idx]
    price_in = np.array([s.price.input_per_1k for s in plane.specs])[model]
    price_out = np.array([s.price.output_per_1k for s in plane.specs])[model]
    cost = np.where(ok, (tokens_in * price_in + tokens_out * price_out) / 1000.0, 0.0)
    frame = pd.DataFrame(
        {
            "timestamp": stamps,
            "service": _strings(np.zeros(idx.size, np.int64), [spec.service]),
            "version": _strings(r.params[idx], [v.version for v in plane.variants]),
            "variant": _strings(r.label[idx], ["stable", "canary"]),
            "model": _strings(model, plane.model_names),
            "latency_ms": (r.end[idx] - arrival) * 1000.0,
            "ttft_ms": (r.first_token[idx] - arrival) * 1000.0,
            "tokens_in": tokens_in.astype(np.int64),
            "tokens_out": tokens_out.astype(np.int64),
            "cost_usd": cost,
            "error": ~ok,
            "quality": r.quality[idx],
            "truncated": r.truncated[idx].copy(),
            "error_type": _strings(status, list(ERROR_TYPES)),
        }
    )
    return frame


_EMPTY_TYPES = (
    "datetime64[ns, UTC]", "str", "str", "str", "str", "float64", "float64",
    "int64", "int64", "float64", "bool", "float64", "bool", "str",
)

"""Golden hashes: the engine's tables, bit for bit, for fixed seeds.

Performance work on the simulator must not change a single simulated number. These hashes were
recorded before the engine was optimised; a change here means the simulation changed.
"""

# Tests import their heavy libraries directly.

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from simulator import Params, StageContext, load_scenario, run_paired, run_scenario, scenario_path
from simulator.scenario import Scenario
from tests.simulator.sim_helpers import make


def frame_digest(frame: pd.DataFrame) -> str:
    """A digest of the table's dtypes and every value (NaNs included, by their bits)."""
    h = hashlib.sha256()
    h.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    h.update(str(len(frame)).encode())
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            h.update("\x00".join(s.astype(str).tolist()).encode())
        elif isinstance(s.dtype, pd.DatetimeTZDtype):
            h.update(s.array.asi8.tobytes())
        else:
            h.update(np.ascontiguousarray(s.to_numpy()).tobytes())
    return h.hexdigest()[:16]


def bench_peak_hour(impatient: bool = False) -> Scenario:
    """The benchmark's peak hour, shortened: 80 servers that bind, ≈150 requests/s; impatient:
    with a canary, client timeouts, retries and a fallback."""
    variants = {
        "stable": {"version": "v1", "params": {"model": "big", "max_tokens": 60}},
        "canary": {
            "version": "v2",
            "weight": 30,
            "params": {"model": "big", "timeout_s": 0.6, "retries": 1, "fallbacks": ["small"]},
        },
    }
    return make(
        {
            "start": "2026-11-25T14:00:00Z",
            "duration": "20m",
            "traffic": {"rate": 150},
            "requests": {
                "tokens_in": {"dist": "lognormal", "median": 400, "sigma": 0.5},
                "tokens_out": {"dist": "lognormal", "median": 40, "sigma": 0.5},
            },
            "models": {
                "big": {
                    "ttft_ms": {"dist": "lognormal", "median": 200, "sigma": 0.5},
                    "per_token_ms": 6,
                    "concurrency": 80,
                },
                "small": {"concurrency": 20},
            },
            **({"variants": variants} if impatient else {}),
        }
    )


def _judge(ctx: StageContext) -> str:
    return "hold" if len(ctx.frame) < 50 else "promote"


LIBRARY = {
    "burst": "58df33968eb53e96",
    "canary-latency-regression": "bcbc1f26d09d92c8",
    "canary-quality-drop": "d7916c1b34f0af05",
    "diurnal": "c77cb93f7252f3ca",
    "provider-outage": "d1ef9fdba3e69e8d",
    "rate-limited": "2178a06d8478caf4",
    "steady": "c375f7a1cae40e46",
}


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_library_scenarios_are_bit_identical(name: str) -> None:
    scenario = load_scenario(scenario_path(name))
    judge = _judge if scenario.spec.rollout is not None else None
    assert frame_digest(run_scenario(scenario, seed=42, judge=judge).frame) == LIBRARY[name]


@pytest.mark.parametrize(
    ("impatient", "digest"), [(False, "7cd472a52dcc5d03"), (True, "ed559ff5c1ca5352")]
)
def test_a_binding_peak_is_bit_identical(impatient: bool, digest: str) -> None:
    assert frame_digest(run_scenario(bench_peak_hour(impatient), seed=3).frame) == digest


def test_paired_runs_are_bit_identical() -> None:
    scenario = load_scenario(scenario_path("rate-limited"))
    base, cand = run_paired(
        scenario, Params(model="gpt-4o", max_tokens=256, retries=1, timeout_s=5.0), seed=9
    )
    assert (frame_digest(base.frame), frame_digest(cand.frame)) == (
        "04b440000924003c",
        "895b8f65a26ab47c",
    )


@pytest.mark.parametrize("setting", [True, False])
def test_numpy_huge_page_setting_is_restored_after_a_run(setting: bool) -> None:
    from numpy._core import multiarray

    toggle = multiarray._set_madvise_hugepage  # type: ignore[attr-defined]
    before = toggle(setting)
    try:
        run_scenario(load_scenario(scenario_path("steady")), seed=1)
        assert toggle(setting) is setting
    finally:
        toggle(before)

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autoopt.metrics import profile_models
from autoopt.values import QUANTILE_GRID
from tests.metrics.helpers import frame


def known(
    n: int, seed: int, model: str, overhead: float, per_token: float, ttft: float
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tokens = rng.integers(20, 800, n).astype("float64")
    ttft_ms = rng.normal(ttft, 30, n)
    latency = overhead + ttft_ms + per_token * tokens + rng.normal(0, 25, n)
    return frame(
        n, seed=seed, model=model, latency_ms=latency, ttft_ms=ttft_ms, tokens_out=tokens, hours=12
    )


def test_latency_fit_recovers_known_parameters() -> None:
    data = pd.concat(
        [known(5000, 1, "a", 40.0, 12.0, 300.0), known(3000, 2, "b", 15.0, 5.0, 200.0)]
    )
    profiles = profile_models(data.reset_index(drop=True))
    a, b = profiles["a"], profiles["b"]
    for profile, overhead, per_token, ttft in ((a, 40.0, 12.0, 300.0), (b, 15.0, 5.0, 200.0)):
        assert profile.overhead_ms.low <= overhead <= profile.overhead_ms.high
        assert profile.ms_per_token.low <= per_token <= profile.ms_per_token.high
        assert profile.ttft_ms.value == pytest.approx(ttft, abs=3)
        assert profile.latency_residual_sd == pytest.approx(25, rel=0.1)
    assert len(a.tokens_out) == len(QUANTILE_GRID)
    ok = data.iloc[:5000].loc[lambda f: ~f["error"]]
    assert a.tokens_out[50] == pytest.approx(np.quantile(ok["tokens_out"], 0.5))
    assert a.n == 5000 and a.errors == int(data.iloc[:5000]["error"].sum())
    assert a.requests_per_day == pytest.approx(
        5000 / (12 * 3600 * (1 - 1 / 5000) / 86400), rel=1e-3
    )
    assert a.quality is not None and a.quality.value == pytest.approx(85, abs=0.5)


def test_without_ttft_the_overhead_holds_it() -> None:
    data = known(2000, 3, "a", 40.0, 12.0, 300.0).assign(ttft_ms=np.nan)
    profile = profile_models(data)["a"]
    assert profile.ttft_ms.value == 0.0
    assert profile.overhead_ms.value == pytest.approx(340.0, abs=10)


def test_truncation_point_from_flags_or_a_pile_up() -> None:
    data = frame(1000, seed=4)
    data.loc[:99, "tokens_out"] = 512.0
    assert profile_models(data)["gpt-4o"].truncated_at == 512
    flagged = frame(1000, seed=5).assign(truncated=False)
    flagged.loc[:9, ["tokens_out", "truncated"]] = [256.0, True]
    assert profile_models(flagged)["gpt-4o"].truncated_at == 256
    assert profile_models(frame(1000, seed=6))["gpt-4o"].truncated_at is None

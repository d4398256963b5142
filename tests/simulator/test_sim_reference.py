"""The whole engine against a per-request SimPy reference of the same semantics.

With constant service times, deterministic backoff (jitter 0) and failures injected by fault
windows (probability 1), every request's fate is determined by the arrival times alone. The
reference below is the textbook model — one SimPy process per request, a ``Resource`` per model
for its concurrency, a token bucket checked at each attempt — and must agree to the microsecond:
queueing, timeouts, retries with exponential backoff, fallbacks, outages and 429s interleave.
"""

# Tests import their heavy libraries directly.
# ruff: noqa: TID253

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import simpy
from sim_helpers import make

from simulator import run_scenario
from simulator.scenario import Scenario

START = pd.Timestamp("2026-11-25T00:00:00Z")


def scenario(n: int, seed: int) -> Scenario:
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, 600, n))
    offsets -= offsets[0]
    stamps = [(START + timedelta(seconds=float(np.round(t, 6)))).isoformat() for t in offsets]
    return make(
        {
            "duration": "10m",
            "traffic": {"rate": None, "replay": {"timestamps": stamps}},
            "requests": {
                "tokens_in": {"dist": "constant", "value": 100},
                "tokens_out": {"dist": "constant", "value": 100},
            },
            "variants": {
                "stable": {
                    "params": {
                        "model": "big",
                        "retries": 2,
                        "backoff_s": 0.3,
                        "jitter": 0,
                        "timeout_s": 2.5,
                        "fallbacks": ["small"],
                    }
                }
            },
            "models": {
                "big": {
                    "ttft_ms": {"dist": "constant", "value": 237.1},
                    "per_token_ms": 3.3,
                    "concurrency": 2,
                },
                "small": {
                    "ttft_ms": {"dist": "constant", "value": 111.3},
                    "per_token_ms": 1.7,
                    "concurrency": 1,
                    "rate_limit": {"requests_per_min": 40},
                    "reject_latency_ms": 15.7,
                },
            },
            "faults": [
                {
                    "type": "error_burst",
                    "target": {"model": "big"},
                    "start": "2m",
                    "duration": "2m",
                    "magnitude": 1,
                },
                {"type": "outage", "target": {"model": "big"}, "start": "6m", "duration": "1m"},
                {
                    "type": "error_burst",
                    "target": {"model": "small"},
                    "start": "3m",
                    "duration": "30s",
                    "magnitude": 1,
                },
                {
                    "type": "latency_spike",
                    "target": {"model": "big"},
                    "start": "8m",
                    "duration": "1m",
                    "magnitude": 4,
                },
            ],
        }
    )


def reference(s: Scenario, arrival: np.ndarray) -> tuple[np.ndarray, list[str], list[str]]:
    """One SimPy process per request, written straight from the documented semantics."""
    spec = s.spec
    params = spec.variants.stable.params
    chain = [params.model, *params.fallbacks]
    env = simpy.Environment()
    servers = {
        m: simpy.Resource(env, capacity=ms.concurrency or 10**9) for m, ms in spec.models.items()
    }
    bucket = {
        m: [ms.rate_limit.requests_per_min, 0.0] for m, ms in spec.models.items() if ms.rate_limit
    }
    latency = np.empty(arrival.size)
    model_used, kind = [""] * arrival.size, [""] * arrival.size

    def active(kind_: str, m: str, t: float) -> float:
        return sum(
            f.magnitude
            for f in spec.faults
            if f.type == kind_ and f.target.model == m and f.start <= t < f.start + f.duration
        )

    def admitted(m: str, t: float) -> bool:
        if m not in bucket:
            return True
        cap = spec.models[m].rate_limit.requests_per_min  # type: ignore[union-attr]
        level, last = bucket[m]
        level = min(cap, level + cap / 60 * (t - last))
        ok = level >= 1
        bucket[m] = [level - ok, t]
        return ok

    def attempt(m: str):  # type: ignore[no-untyped-def]
        a, ms = env.now, spec.models[m]
        if active("outage", m, a) or not admitted(m, a):
            yield env.timeout(ms.reject_latency_ms / 1000)
            return "outage" if active("outage", m, a) else "rate_limited"
        slow = active("latency_spike", m, a) or 1.0
        failed = active("error_burst", m, a) >= 1
        ttft = max(ms.ttft_ms.value * slow, 1.0) / 1000  # type: ignore[union-attr]
        svc = ttft if failed else ttft + 100 * ms.per_token_ms / 1000 * slow
        with servers[m].request() as req:
            got = yield req | env.timeout(params.timeout_s)
            if req not in got:
                return "timeout"
            if env.now + svc > a + params.timeout_s:
                yield env.timeout(a + params.timeout_s - env.now)
                return "timeout"
            yield env.timeout(svc)
        return "server_error" if failed else ""

    def request(i: int):  # type: ignore[no-untyped-def]
        yield env.timeout(arrival[i])
        hop, tries = 0, 0
        while True:
            status = yield env.process(attempt(chain[hop]))
            if status in ("rate_limited", "server_error", "outage") and tries < params.retries:
                yield env.timeout(params.backoff_s * 2**tries)
                tries += 1
            elif status and hop + 1 < len(chain):
                hop, tries = hop + 1, 0
            else:
                latency[i], model_used[i], kind[i] = env.now - arrival[i], chain[hop], status
                return

    for i in range(arrival.size):
        env.process(request(i))
    env.run()
    return latency * 1000, model_used, kind


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engine_matches_the_per_request_reference(seed: int) -> None:
    s = scenario(900, seed)
    f = run_scenario(s, seed=seed).frame
    arrival = (f["timestamp"] - START).dt.total_seconds().to_numpy()
    latency, model, kind = reference(s, arrival)
    assert set(f["error_type"]) >= {"", "rate_limited", "server_error"}
    assert (f["model"] == "small").sum() > 50
    np.testing.assert_allclose(f["latency_ms"].to_numpy(), latency, rtol=0, atol=1e-3)
    assert f["model"].tolist() == model
    assert f["error_type"].tolist() == kind

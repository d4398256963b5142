"""The exact queue and rate limiter against brute-force references written differently."""

# Tests import their heavy libraries directly.
# ruff: noqa: TID253

from __future__ import annotations

import numpy as np
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.queueing import Bucket, admit, fifo, free_after


def simpy_fifo(a, s, p, free):  # type: ignore[no-untyped-def]
    """Reference: one SimPy process per request; impatient requests leave the queue."""
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=len(free))
    start = np.full(a.size, np.nan)
    end = np.empty(a.size)

    def hold(until):  # type: ignore[no-untyped-def]
        with servers.request() as req:
            yield req
            yield env.timeout(until)

    def customer(k):  # type: ignore[no-untyped-def]
        yield env.timeout(a[k])
        with servers.request() as req:
            got = yield req | env.timeout(p[k])
            if req not in got:
                end[k] = env.now
                return
            start[k] = env.now
            yield env.timeout(min(s[k], a[k] + p[k] - env.now))
            end[k] = env.now

    for f in free:
        if f > 0:
            env.process(hold(f))
    for k in range(a.size):
        env.process(customer(k))
    env.run()
    return start, end


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    c=st.integers(1, 6),
    n=st.integers(1, 300),
    load=st.floats(0.3, 2.0),
    impatient=st.booleans(),
)
def test_fifo_matches_per_request_simpy(
    seed: int, c: int, n: int, load: float, impatient: bool
) -> None:
    rng = np.random.default_rng(seed)
    a = np.sort(rng.uniform(0.01, n / (load * c), n))
    s = rng.exponential(1.0, n)
    p = rng.exponential(1.5, n) if impatient else np.full(n, np.inf)
    free = np.sort(rng.uniform(0, 2, c)) * rng.integers(0, 2, c)
    got = fifo(a, s, p, free)
    start, end = simpy_fifo(a, s, p, free)
    np.testing.assert_allclose(got.start, start, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.end, end, rtol=0, atol=1e-9)
    assert (got.served == ~np.isnan(start)).all()


def test_state_after_a_prefix_continues_exactly() -> None:
    rng = np.random.default_rng(3)
    n, c = 5000, 3
    a = np.sort(rng.uniform(0, n / 3.2, n))
    s = rng.exponential(1.0, n)
    p = np.full(n, np.inf)
    whole = fifo(a, s, p, np.zeros(c))
    k = 2345
    head = fifo(a[:k], s[:k], p[:k], np.zeros(c))
    free = free_after(np.zeros(c), head.end[head.served])
    tail = fifo(a[k:], s[k:], p[k:], free)
    np.testing.assert_array_equal(np.concatenate([head.start, tail.start]), whole.start)


def bucket_reference(t, weights, caps):  # type: ignore[no-untyped-def]
    """Reference: token *levels* refilled continuously, capped at capacity."""
    level = list(caps)
    last = 0.0
    out = []
    for k in range(t.size):
        level = [min(c, lv + c / 60 * (t[k] - last)) for lv, c in zip(level, caps, strict=True)]
        last = t[k]
        ok = all(lv >= w[k] - 1e-9 for lv, w in zip(level, weights, strict=True))
        if ok:
            level = [lv - w[k] for lv, w in zip(level, weights, strict=True)]
        out.append(ok)
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), over=st.floats(0.2, 4.0))
def test_token_buckets_match_reference(seed: int, n: int, over: float) -> None:
    rng = np.random.default_rng(seed)
    caps = [30.0, 30.0 * 500]
    t = np.sort(rng.uniform(0, 60 * n / (30 * over), n))
    weights = [np.ones(n), rng.uniform(100, 900, n)]
    got, _ = admit(t, weights, [Bucket(caps[0], "requests"), Bucket(caps[1], "tokens")])
    np.testing.assert_array_equal(got, bucket_reference(t, weights, caps))

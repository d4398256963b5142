"""One model's attempts in time order: faults, rate limits, the FIFO queue, errors, outcomes.

An *attempt* is one call of one model for one request (the first call, a retry, or a fallback).
Given every attempt reaching a model in a time window, in arrival order, the outcomes are exact:
each attempt's fate depends only on the attempts that reached the same model before it.
"""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulator.distributions import sample
from simulator.queueing import Bucket, admit, fifo, free_after
from simulator.scenario import ModelSpec

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

OK, RATE_LIMITED, TIMEOUT, SERVER_ERROR, OUTAGE = range(5)
ERROR_TYPES = ("", "rate_limited", "timeout", "server_error", "outage")
RETRYABLE = (RATE_LIMITED, SERVER_ERROR, OUTAGE)


@dataclass(frozen=True)
class FaultWindow:
    kind: str
    model: int  # model code, or -1 when the fault targets a variant
    variant: int  # 0 stable, 1 canary, or -1 when the fault targets a model
    start: float
    end: float
    magnitude: float


@dataclass
class ModelState:
    free: Floats | None  # next free time of each server; None = no concurrency limit
    buckets: list[Bucket]


def initial_state(spec: ModelSpec) -> ModelState:
    free = None if spec.concurrency is None else np.zeros(spec.concurrency)
    limits = spec.rate_limit
    buckets = []
    if limits is not None:
        pairs = (("requests", limits.requests_per_min), ("tokens", limits.tokens_per_min))
        buckets = [Bucket(cap, unit) for unit, cap in pairs if cap]
    return ModelState(free, buckets)


@dataclass(frozen=True)
class Batch:
    """Attempts reaching one model, sorted by ``time``, with what the model needs of them."""

    time: Floats
    variant: Ints  # which params (0 stable, 1 canary) the request runs with
    tokens_in: Ints
    tokens_out: Ints  # what the model would generate without max_tokens
    max_tokens: Ints
    timeout: Floats  # the variant's client timeout in seconds (inf when none)


@dataclass
class Outcome:
    end: Floats  # when the attempt finished (success or failure)
    status: npt.NDArray[np.int8]
    first_token: Floats  # absolute time of the first token (NaN unless OK)
    quality: Floats
    tokens_out: Ints
    truncated: Bools
    # bookkeeping to carry the model's state over a committed prefix
    limited: Bools  # went through the rate limiter
    deficits: list[Floats]
    queued: Bools  # entered the queue and got a server
    released: Floats


def _fault_effects(
    model: int, b: Batch, faults: list[FaultWindow]
) -> tuple[Bools, Floats | float, Floats | float, Floats | float]:
    """Per attempt: outage, latency factor, extra error probability, quality drop (the last
    three stay scalars, 1 and 0, while no fault touches the batch: same numbers, less work)."""
    outage = np.zeros(b.time.size, dtype=bool)
    slow: Floats | float = 1.0
    more_errors: Floats | float = 0.0
    drop: Floats | float = 0.0
    for f in faults:
        if f.model not in (-1, model):
            continue
        hit = (b.time >= f.start) & (b.time < f.end)
        if f.variant >= 0:
            hit &= b.variant == f.variant
        if not hit.any():
            continue
        if f.kind == "outage":
            outage |= hit
        elif f.kind == "latency_spike":
            slow = np.where(hit, slow * f.magnitude, slow)
        elif f.kind == "error_burst":
            more_errors = np.where(hit, more_errors + f.magnitude, more_errors)
        else:
            drop = np.where(hit, drop + f.magnitude, drop)
    return outage, slow, more_errors, drop


def evaluate(
    spec: ModelSpec,
    model: int,
    state: ModelState,
    b: Batch,
    faults: list[FaultWindow],
    rng: np.random.Generator,
) -> Outcome:
    """Outcomes of the batch's attempts (``state`` is not modified; see :func:`carry`)."""
    n = b.time.size
    outage, slow, more_errors, drop = _fault_effects(model, b, faults)
    status = np.where(outage, OUTAGE, OK).astype(np.int8)
    end = b.time + spec.reject_latency_ms / 1000.0
    limited = ~outage
    queued, deficits = _admission(state, b, limited)
    status[limited & ~queued] = RATE_LIMITED

    ttft = np.maximum(sample(spec.ttft_ms, n, rng) * slow, 1.0) / 1000.0
    failed = rng.random(n) < spec.error_rate + more_errors
    n_out = np.minimum(b.tokens_out, b.max_tokens)
    service = np.where(failed, ttft, ttft + n_out * spec.per_token_ms / 1000.0 * slow)
    patience = b.timeout if spec.timeout_s is None else np.minimum(b.timeout, spec.timeout_s)
    free = state.free if state.free is not None else np.zeros(0)
    if queued.all():
        start, released = _queue(b.time, service, patience, free)
        end = released.copy()
    else:
        start, released = np.full(n, np.nan), np.full(n, np.nan)
        q = _queue(b.time[queued], service[queued], patience[queued], free)
        start[queued], released[queued], end[queued] = q[0], q[1], q[1]
    timed_out = queued & ~(start + service <= b.time + patience)
    status[queued] = np.where(timed_out, TIMEOUT, np.where(failed, SERVER_ERROR, OK))[queued]
    ok = status == OK
    quality = sample(spec.quality, n, rng) - drop
    truncated = b.tokens_out > b.max_tokens
    if spec.truncation_quality_penalty:
        quality -= np.where(truncated, spec.truncation_quality_penalty, 0.0)
    return Outcome(
        end=end,
        status=status,
        first_token=np.where(ok, start + ttft, np.nan),
        quality=np.where(ok, np.clip(quality, 0.0, 100.0), np.nan),
        tokens_out=np.where(ok, n_out, 0),
        truncated=ok & truncated,
        limited=limited,
        deficits=deficits,
        queued=queued & ~np.isnan(start),
        released=released,
    )


def _admission(state: ModelState, b: Batch, limited: Bools) -> tuple[Bools, list[Floats]]:
    """Which attempts pass the rate limiter (and the buckets' deficits after each)."""
    if not state.buckets:
        return limited.copy(), []
    need = {
        "requests": np.ones(int(limited.sum())),
        "tokens": (b.tokens_in + b.max_tokens)[limited].astype(np.float64),
    }
    weights = [need[bk.unit] for bk in state.buckets]
    admitted, deficits = admit(b.time[limited], weights, state.buckets)
    queued = np.zeros(b.time.size, dtype=bool)
    queued[np.flatnonzero(limited)[admitted]] = True
    return queued, deficits


def _queue(a: Floats, s: Floats, p: Floats, free: Floats) -> tuple[Floats, Floats]:
    """(start, release) of queued attempts; with no concurrency limit nobody waits."""
    if free.size == 0:
        return a.copy(), a + np.minimum(s, p)
    r = fifo(a, s, p, free)
    return r.start, r.end


def carry(state: ModelState, b: Batch, out: Outcome, k: int) -> ModelState:
    """The model's state after the first ``k`` attempts of the batch (a committed prefix)."""
    free = state.free
    if free is not None:
        free = free_after(free, out.released[:k][out.queued[:k]])
    buckets = state.buckets
    m = int(out.limited[:k].sum())
    if m and buckets:
        t = b.time[out.limited][m - 1]
        buckets = [
            Bucket(bk.capacity, bk.unit, t, float(d[m - 1]))
            for bk, d in zip(buckets, out.deficits, strict=True)
        ]
    return ModelState(free, buckets)

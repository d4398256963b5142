"""Exact FIFO multi-server queueing with reneging, and exact token-bucket admission.

Both are the textbook sequential recursions, run in plain Python only where they bind. Where
they provably do not bind the same answer is computed with numpy:

* FIFO with ``c`` servers: an arrival waits iff all ``c`` servers are busy when it arrives. With
  nobody waiting, the busy servers at ``a_k`` are the initial ones still busy plus the earlier
  arrivals whose service has not ended — a ``searchsorted`` over the sorted end times. Up to the
  first arrival that would find ``c`` busy servers, every start equals the arrival time.
* Token bucket: the deficit recursion ``D_k = w_k + max(0, D_{k-1} - r Δt)`` has the closed form
  ``D_k = W_k - R_k + max(D_0 - R_0, max_{j≤k}(R_j - W_{j-1}))`` (a cumulative maximum); up to
  the first ``D_k`` above the bucket's capacity every request is admitted.
"""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

_WINDOW_MIN, _WINDOW_MAX = 256, 65536
_RANGE = np.arange(_WINDOW_MAX)  # 0, 1, 2, … for the window checks
_RANGE.flags.writeable = False
_CHUNK_MIN, _CHUNK_MAX = 64, 4096  # arrivals per exact-loop chunk (doubling while it binds)


@dataclass
class QueueResult:
    start: Floats  # service start (NaN when the request gave up waiting)
    end: Floats  # when the server is released, or when the request gave up
    served: Bools


def fifo(arrival: Floats, service: Floats, patience: Floats, free: Floats) -> QueueResult:
    """FIFO ``len(free)`` servers whose next free times are ``free``; ``arrival`` is sorted.

    A request still waiting ``patience`` after it arrived leaves without service; a request in
    service is cut off at ``arrival + patience`` (the client's timeout frees the server).
    """
    n = arrival.size
    start = arrival.copy()  # right for everyone who does not wait; the loop overwrites
    end = arrival + np.minimum(service, patience)  # likewise
    served = np.ones(n, dtype=bool)
    patient = bool(np.isinf(patience).all())
    heap = sorted(free.tolist())
    i, window = 0, _WINDOW_MIN
    while i < n:
        j = min(n, i + window)
        b = _first_binding(arrival[i:j], end[i:j], np.asarray(heap)) + i
        if b > i:
            heap = _top(heap, end[i:b])
        i, window = j, min(_WINDOW_MAX, 2 * window)
        if b < j:
            out = (start, end, served)
            i, window = _loop(arrival, service, patience, patient, heap, out, b), _WINDOW_MIN
    return QueueResult(start, end, served)


def _first_binding(a: Floats, ends: Floats, free: Floats) -> int:
    """Index of the first arrival that would find every server busy (``len(a)`` if none), if
    every earlier one was served on arrival until ``ends``; ``free`` is sorted."""
    c = free.size
    busy_initial = c - np.searchsorted(free, a, side="right")
    busy_earlier = _RANGE[: a.size] - np.searchsorted(np.sort(ends), a, side="right")
    hit = np.flatnonzero(busy_initial + busy_earlier >= c)
    return int(hit[0]) if hit.size else a.size


def _top(heap: list[float], ends: Floats) -> list[float]:
    """The servers' free times after serving ``ends`` without waiting: the ``c`` largest."""
    c = len(heap)
    both = np.concatenate((np.asarray(heap), ends))
    return sorted(np.partition(both, both.size - c)[both.size - c :].tolist())


def free_after(free: Floats, ends_served: Floats) -> Floats:
    """Server free times after the given served requests (valid for any FIFO prefix)."""
    return np.asarray(_top(free.tolist(), ends_served))


def _loop(
    a: Floats,
    s: Floats,
    p: Floats,
    patient: bool,
    heap: list[float],
    out: tuple[Floats, Floats, Bools],
    k: int,
) -> int:
    """The exact recursion from ``k``, a chunk at a time, until enough servers are free again.

    Works on Python lists (numpy scalar access would cost more than the work itself); chunks
    grow while the queue keeps binding, so the per-chunk overhead stays small.
    """
    start, end, served = out
    n, margin, chunk = a.size, max(2, len(heap) // 8), _CHUNK_MIN
    while k < n:
        hi = min(n, k + chunk)
        if patient:
            start[k:hi] = _loop_patient(a[k:hi].tolist(), s[k:hi].tolist(), heap)
            np.add(start[k:hi], s[k:hi], out=end[k:hi])
        else:
            part = (a[k:hi].tolist(), s[k:hi].tolist(), p[k:hi].tolist())
            start[k:hi], end[k:hi], served[k:hi] = _loop_chunk(part, heap)
        k, last, chunk = hi, a[hi - 1], min(_CHUNK_MAX, 2 * chunk)
        if np.count_nonzero(np.asarray(heap) <= last) >= margin:
            break
    heap.sort()
    return k


def _loop_patient(a: list[float], s: list[float], heap: list[float]) -> list[float]:
    """The recursion when nobody gives up: returns the start times (the hot path)."""
    starts: list[float] = []
    push, replace = starts.append, heapq.heapreplace
    for ak, sk in zip(a, s, strict=True):
        first = heap[0]
        st = first if first > ak else ak
        replace(heap, st + sk)
        push(st)
    return starts


def _loop_chunk(
    chunk: tuple[list[float], list[float], list[float]], heap: list[float]
) -> tuple[list[float], list[float], list[bool]]:
    """The recursion with impatient requests (a timeout): they leave, or are cut off."""
    starts: list[float] = []
    ends: list[float] = []
    served: list[bool] = []
    replace, nan = heapq.heapreplace, float("nan")
    for ak, sk, pk in zip(*chunk, strict=True):
        first = heap[0]
        st = first if first > ak else ak
        limit = ak + pk
        if st >= limit:
            starts.append(nan)
            ends.append(limit)
            served.append(False)
        else:
            e = st + sk
            e = e if e < limit else limit
            replace(heap, e)
            starts.append(st)
            ends.append(e)
            served.append(True)
    return starts, ends, served


# --- rate limits -----------------------------------------------------------------------------


@dataclass
class Bucket:
    """A token bucket of ``capacity`` refilled at ``capacity`` per minute; ``deficit`` = used."""

    capacity: float
    unit: str = "requests"  # "requests" or "tokens"
    time: float = 0.0
    deficit: float = 0.0

    @property
    def rate(self) -> float:
        return self.capacity / 60.0


def admit(t: Floats, weights: list[Floats], buckets: list[Bucket]) -> tuple[Bools, list[Floats]]:
    """Which requests at sorted times ``t`` pass every bucket; also each bucket's deficit after.

    A request is admitted only if every bucket can take its weight; a rejected request (429)
    takes nothing. Buckets are not modified; use the deficits to carry state forward.
    """
    n = t.size
    if not buckets:
        return np.ones(n, dtype=bool), []
    deficits = [_closed_form(t, w, b) for w, b in zip(weights, buckets, strict=True)]
    over = np.zeros(n, dtype=bool)
    for d, b in zip(deficits, buckets, strict=True):
        over |= d > b.capacity
    first = int(np.argmax(over)) if over.any() else n
    admitted = np.ones(n, dtype=bool)
    if first < n:
        state = [
            (t[first - 1], d[first - 1]) if first else (b.time, b.deficit)
            for d, b in zip(deficits, buckets, strict=True)
        ]
        _sequential(t, weights, buckets, state, admitted, deficits, first)
    return admitted, deficits


def _closed_form(t: Floats, w: Floats, b: Bucket) -> Floats:
    r = b.rate * (t - b.time)
    cw = np.cumsum(w)
    before = cw - w
    best = np.maximum(np.maximum.accumulate(r - before), b.deficit)
    return cw - r + best


def _sequential(
    t: Floats,
    weights: list[Floats],
    buckets: list[Bucket],
    state: list[tuple[float, float]],
    admitted: Bools,
    deficits: list[Floats],
    first: int,
) -> None:
    level = [d for _, d in state]
    last = state[0][0]
    rates = [b.rate for b in buckets]
    caps = [b.capacity for b in buckets]
    ws = [w.tolist() for w in weights]
    m = len(buckets)
    for k in range(first, t.size):
        dt = t[k] - last
        last = t[k]
        level = [max(0.0, level[q] - rates[q] * dt) for q in range(m)]
        ok = all(level[q] + ws[q][k] <= caps[q] for q in range(m))
        admitted[k] = ok
        for q in range(m):
            if ok:
                level[q] += ws[q][k]
            deficits[q][k] = level[q]

"""The data plane: requests and their attempts, processed exactly in time blocks.

Every attempt's outcome depends only on attempts that reached the same model earlier, so a block
of known attempts can be evaluated model by model with numpy (see :mod:`simulator.attempts`).
A failed attempt may cause another one (a retry after backoff, or the next fallback model). If
such an attempt falls inside the block, only the part of the block before it is committed: up to
that instant the set of attempts was complete, so those outcomes are exact. The rest is redone.
"""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulator.arrivals import split_buckets
from simulator.attempts import (
    OK,
    RATE_LIMITED,
    RETRYABLE,
    Batch,
    FaultWindow,
    Outcome,
    carry,
    evaluate,
    initial_state,
)
from simulator.scenario import Scenario, Variant

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_MIN_BLOCK, _MAX_BLOCK = 0.5, 3600.0


@dataclass(frozen=True)
class RequestDraws:
    """Everything about the requests that does not depend on the configuration (shared by
    :func:`simulator.run_paired`): arrival times and token counts; user keys and split buckets
    are drawn as requests arrive, from their own stream (the same values however they batch)."""

    arrival: Floats
    split: np.random.SeedSequence
    tokens_in: Ints
    tokens_out: Ints  # what the model would write without max_tokens


@dataclass
class Results:
    """Per-request outcomes, filled as requests finish: the table's columns, ready to use."""

    params: npt.NDArray[np.int8]  # 0 stable params, 1 canary params
    label: npt.NDArray[np.int8]  # 0 "stable", 1 "canary"
    model: npt.NDArray[np.int16]
    status: npt.NDArray[np.int8]
    latency_ms: Floats
    ttft_ms: Floats
    cost_usd: Floats
    quality: Floats
    tokens_out: Ints
    truncated: npt.NDArray[np.bool_]
    done: npt.NDArray[np.bool_]

    @classmethod
    def empty(cls, n: int) -> Results:
        z, e = np.zeros, np.empty  # written once per request: no need to fill the floats
        return cls(
            z(n, np.int8), z(n, np.int8), z(n, np.int16), z(n, np.int8),
            e(n), e(n), e(n), e(n), e(n, np.int64), z(n, bool), z(n, bool),
        )  # fmt: skip


@dataclass
class Attempts:
    req: Ints
    time: Floats
    hop: Ints  # index in the variant's model chain (primary, then fallbacks)
    tries: Ints  # retries already made on this hop

    def take(self, mask: npt.NDArray[np.bool_] | Ints) -> Attempts:
        return Attempts(self.req[mask], self.time[mask], self.hop[mask], self.tries[mask])

    @staticmethod
    def concat(parts: list[Attempts]) -> Attempts:
        return Attempts(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("req", "time", "hop", "tries")
            )
        )


@dataclass(frozen=True)
class Routes:
    """Each variant's params as arrays indexed by variant (0 stable, 1 canary)."""

    chain: Ints  # [variant, hop] → model code (primary, then fallbacks; -1 pads)
    length: Ints
    max_tokens: Ints
    retries: Ints
    backoff: Floats
    jitter: Floats
    timeout: Floats  # inf when the variant sets none


def _routes(variants: list[Variant], models: list[str]) -> Routes:
    width = max(1 + len(v.params.fallbacks) for v in variants)
    chain = np.full((len(variants), width), -1, dtype=np.int64)
    for i, v in enumerate(variants):
        names = (v.params.model, *v.params.fallbacks)
        chain[i, : len(names)] = [models.index(m) for m in names]
    p = [v.params for v in variants]
    return Routes(
        chain=chain,
        length=np.array([1 + len(x.fallbacks) for x in p], dtype=np.int64),
        max_tokens=np.array([x.max_tokens for x in p], dtype=np.int64),
        retries=np.array([x.retries for x in p], dtype=np.int64),
        backoff=np.array([x.backoff_s for x in p], dtype=np.float64),
        jitter=np.array([x.jitter for x in p], dtype=np.float64),
        timeout=np.array([np.inf if x.timeout_s is None else x.timeout_s for x in p]),
    )


def _faults(scenario: Scenario, models: list[str]) -> list[FaultWindow]:
    out = []
    for f in scenario.spec.faults:
        model = -1 if f.target.model is None else models.index(f.target.model)
        variant = {None: -1, "stable": 0, "canary": 1}[f.target.variant]
        out.append(FaultWindow(f.type, model, variant, f.start, f.start + f.duration, f.magnitude))
    return out


def _no_attempts() -> Attempts:
    z = np.zeros(0, dtype=np.int64)
    return Attempts(z, np.zeros(0), z.copy(), z.copy())


class DataPlane:
    """Requests flow through here; the control plane moves ``weight`` and calls ``advance``."""

    def __init__(self, scenario: Scenario, draws: RequestDraws, rng: np.random.Generator) -> None:
        spec = scenario.spec
        self.scenario, self.draws, self.rng = scenario, draws, rng
        self.model_names = list(spec.models)
        self.specs = [spec.models[m] for m in self.model_names]
        self.states = [initial_state(s) for s in self.specs]
        self.variants: list[Variant] = [spec.variants.stable]
        if spec.variants.canary is not None:
            self.variants.append(spec.variants.canary)
        self.routes = _routes(self.variants, self.model_names)
        self.faults = _faults(scenario, self.model_names)
        self.results = Results.empty(draws.arrival.size)
        self.split_rng = np.random.default_rng(draws.split)
        self.split_method, self.split_users = spec.variants.split.method, spec.variants.split.users
        self.prices = (
            np.array([m.price.input_per_1k / 1000.0 for m in self.specs]),
            np.array([m.price.output_per_1k / 1000.0 for m in self.specs]),
        )
        self.pending = _no_attempts()
        self.cursor, self.clock, self.block = 0, 0.0, 60.0
        self.weight, self.promoted = 0.0, False
        self.limited_at: list[list[Floats]] = [[] for _ in self.model_names]

    def advance(self, until: float) -> None:
        """Process every attempt that starts before ``until``."""
        while self.clock < until:
            self._step(min(until, self.clock + self.block))

    def drain(self) -> None:
        """Finish every request (retries may run past the scenario's end)."""
        while self.cursor < self.draws.arrival.size or self.pending.req.size:
            self._step(self.clock + self.block)

    def _ingest(self, hi: float) -> Attempts:
        j = max(self.cursor, int(np.searchsorted(self.draws.arrival, hi, side="left")))
        idx = np.arange(self.cursor, j)
        self.cursor = j
        _, bucket = split_buckets(idx.size, self.split_method, self.split_users, self.split_rng)
        canary = bucket < self.weight / 100.0
        r = self.results
        r.params[idx] = 1 if self.promoted else canary
        r.label[idx] = 0 if self.promoted else canary
        zeros = np.zeros(idx.size, dtype=np.int64)
        return Attempts(idx, self.draws.arrival[idx], zeros, zeros.copy())

    def _step(self, hi: float) -> None:
        later = self.pending.time >= hi
        if later.all():  # only new arrivals: already in (time, request) order
            att = self._ingest(hi)
        else:
            att = Attempts.concat([self.pending.take(~later), self._ingest(hi)])
            att = att.take(np.lexsort((att.req, att.time)))
        params = self.results.params[_rows(att.req)].astype(np.int64)
        model = self.routes.chain[params, att.hop]
        out, parts = self._evaluate(att, params, model)
        nxt, parent, goes_on = self._next_attempts(att, params, out)
        cut = min(hi, float(nxt.time.min())) if nxt.time.size else hi
        committed = att.time < cut
        for m, (sel, batch, part) in parts.items():
            self.states[m] = carry(self.states[m], batch, part, int(committed[sel].sum()))
        self._record(att, model, out, committed & ~goes_on)
        for m in np.unique(model[committed & (out.status == RATE_LIMITED)]):
            hit = committed & (out.status == RATE_LIMITED) & (model == m)
            self.limited_at[int(m)].append(att.time[hit])
        self.pending = Attempts.concat(
            [self.pending.take(later), att.take(~committed), nxt.take(committed[parent])]
        )
        self.clock = cut
        grow = cut >= hi
        self.block = min(_MAX_BLOCK, self.block * 2) if grow else max(_MIN_BLOCK, self.block / 2)

    def _batch(self, att: Attempts, params: Ints) -> Batch:
        d, rows = self.draws, _rows(att.req)
        return Batch(
            time=att.time,
            variant=params,
            tokens_in=d.tokens_in[rows],
            tokens_out=d.tokens_out[rows],
            max_tokens=self.routes.max_tokens[params],
            timeout=self.routes.timeout[params],
        )

    def _evaluate(
        self, att: Attempts, params: Ints, model: Ints
    ) -> tuple[Outcome, dict[int, tuple[Ints, Batch, Outcome]]]:
        n = att.time.size
        if n and (model == model[0]).all():  # one model: its outcome is the whole outcome
            m = int(model[0])
            batch = self._batch(att, params)
            part = evaluate(self.specs[m], m, self.states[m], batch, self.faults, self.rng)
            return part, {m: (np.arange(n), batch, part)}
        out = Outcome(
            end=np.empty(n),
            status=np.empty(n, np.int8),
            first_token=np.empty(n),
            quality=np.empty(n),
            tokens_out=np.empty(n, np.int64),
            truncated=np.empty(n, bool),
            limited=np.empty(0, bool),
            deficits=[],
            queued=np.empty(0, bool),
            released=np.empty(0),
        )
        parts = {}
        for m in np.unique(model).tolist():
            sel = np.flatnonzero(model == m)
            batch = self._batch(att.take(sel), params[sel])
            part = evaluate(self.specs[m], m, self.states[m], batch, self.faults, self.rng)
            for f in ("end", "status", "first_token", "quality", "tokens_out", "truncated"):
                getattr(out, f)[sel] = getattr(part, f)
            parts[m] = (sel, batch, part)
        return out, parts

    def _next_attempts(
        self, att: Attempts, params: Ints, out: Outcome
    ) -> tuple[Attempts, Ints, npt.NDArray[np.bool_]]:
        """Retries (same model, after backoff) and fallbacks (next model, at once)."""
        r = self.routes
        failed = out.status != OK
        retry = failed & np.isin(out.status, RETRYABLE) & (att.tries < r.retries[params])
        fallback = failed & ~retry & (att.hop + 1 < r.length[params])
        goes_on = retry | fallback
        parent = np.flatnonzero(goes_on)
        jitter = 1.0 - r.jitter[params[parent]] * self.rng.random(parent.size)
        back = r.backoff[params[parent]] * 2.0 ** att.tries[parent] * jitter
        is_retry = retry[parent]
        nxt = Attempts(
            req=att.req[parent],
            time=out.end[parent] + np.where(is_retry, back, 0.0),
            hop=att.hop[parent] + ~is_retry,
            tries=np.where(is_retry, att.tries[parent] + 1, 0),
        )
        return nxt, parent, goes_on

    def _record(
        self, att: Attempts, model: Ints, out: Outcome, final: npt.NDArray[np.bool_]
    ) -> None:
        req, r = _rows(att.req[final]), self.results
        arrival, m = self.draws.arrival[req], model[final]
        status, tokens_out = out.status[final], out.tokens_out[final]
        r.model[req] = m
        r.status[req] = status
        r.latency_ms[req] = (out.end[final] - arrival) * 1000.0
        r.ttft_ms[req] = (out.first_token[final] - arrival) * 1000.0
        cost = self.draws.tokens_in[req] * self.prices[0][m] + tokens_out * self.prices[1][m]
        r.cost_usd[req] = np.where(status == OK, cost, 0.0)
        r.quality[req] = out.quality[final]
        r.tokens_out[req] = tokens_out
        r.truncated[req] = out.truncated[final]
        r.done[req] = True


def _rows(req: Ints) -> Ints | slice:
    """``req`` as a slice when it is a run of consecutive rows (the common case): writing
    through a slice is much cheaper than scattering through an index array."""
    if req.size and req[-1] - req[0] == req.size - 1 and (req.size == 1 or _consecutive(req)):
        return slice(int(req[0]), int(req[-1]) + 1)
    return req


def _consecutive(req: Ints) -> bool:
    return bool((req[1:] - req[:-1] == 1).all())

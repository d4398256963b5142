"""The scenario document: frozen pydantic models plus the cross-field checks.

A scenario is ``apiVersion: autoopt/v1``, ``kind: Scenario``, ``metadata.name`` and a
``spec``. Durations are strings such as ``30s``, ``5m``, ``1h30m`` or ``1d`` (plain numbers are
seconds) and are stored as float seconds. ``docs/simulator.md`` annotates every field.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

Loc = tuple[str | int, ...]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> object:
    """``"1h30m"`` → 5400.0; numbers pass through as seconds; anything else is left to pydantic."""
    if isinstance(value, str):
        text = value.strip()
        parts = _PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"invalid duration {value!r}; expected e.g. 30s, 5m, 1h, 1d")
        return sum(float(n) * _UNITS[u] for n, u in parts)
    return value


def format_duration(seconds: float) -> str:
    """Inverse of :func:`parse_duration` for messages: 5400 → ``1h30m``."""
    rest, out = float(seconds), ""
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        whole = int(rest // size) if unit != "s" else rest
        if whole:
            out += f"{whole:g}{unit}"
            rest -= whole * size
    return out or "0s"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a timezone, e.g. 2026-11-25T00:00:00Z")
    return value.astimezone(UTC)


Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]
PositiveDuration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- distributions ---------------------------------------------------------------------------


class Constant(_Frozen):
    dist: Literal["constant"]
    value: float = Field(ge=0)


class Normal(_Frozen):
    """Normal, clipped at 0 (and at 100 for quality)."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)


class LogNormal(_Frozen):
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)


class Exponential(_Frozen):
    dist: Literal["exponential"]
    mean: float = Field(gt=0)


class Beta(_Frozen):
    """Beta(a, b) scaled to 0–100 (for quality)."""

    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)


class Empirical(_Frozen):
    """Sampled with replacement from ``values``."""

    dist: Literal["empirical"]
    values: tuple[Annotated[float, Field(ge=0)], ...] = Field(min_length=1)


Distribution = Annotated[
    Constant | Normal | LogNormal | Exponential | Beta | Empirical, Field(discriminator="dist")
]


# --- the spec --------------------------------------------------------------------------------


class Price(_Frozen):
    input_per_1k: float = Field(default=0.0, ge=0)
    output_per_1k: float = Field(default=0.0, ge=0)


class RateLimit(_Frozen):
    """Token buckets refilled continuously; a request needs tokens_in + max_tokens tokens."""

    requests_per_min: float | None = Field(default=None, gt=0)
    tokens_per_min: float | None = Field(default=None, gt=0)


class ModelSpec(_Frozen):
    ttft_ms: Distribution
    per_token_ms: float = Field(default=0.0, ge=0)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    rate_limit: RateLimit | None = None
    concurrency: int | None = Field(default=None, ge=1)
    timeout_s: PositiveDuration | None = None
    quality: Distribution
    price: Price = Price()
    reject_latency_ms: float = Field(default=20.0, gt=0)
    truncation_quality_penalty: float = Field(default=0.0, ge=0, le=100)


class Params(_Frozen):
    model: str
    max_tokens: int = Field(default=4096, ge=1)
    retries: int = Field(default=0, ge=0, le=10)
    backoff_s: PositiveDuration = 0.5
    jitter: float = Field(default=0.5, ge=0, lt=1)  # backoff × U(1 − jitter, 1)
    timeout_s: PositiveDuration | None = None
    fallbacks: tuple[str, ...] = ()
    temperature: float | None = Field(default=None, ge=0)


class Variant(_Frozen):
    version: str = Field(min_length=1)
    params: Params


class Canary(Variant):
    weight: float = Field(default=0.0, ge=0, le=100)


class Split(_Frozen):
    method: Literal["random", "sticky"] = "random"
    users: int = Field(default=10_000, ge=1)


class Variants(_Frozen):
    stable: Variant
    canary: Canary | None = None
    split: Split = Split()


class Burst(_Frozen):
    at: Duration
    duration: PositiveDuration
    multiplier: float = Field(gt=0)


class Replay(_Frozen):
    timestamps: tuple[AwareDatetime, ...] | None = None
    file: str | None = None
    shift: bool = True


class Traffic(_Frozen):
    rate: float | None = Field(default=None, gt=0)
    profile: tuple[Annotated[float, Field(ge=0)], ...] | None = Field(
        default=None, min_length=24, max_length=24
    )
    replay: Replay | None = None
    bursts: tuple[Burst, ...] = ()


class Requests(_Frozen):
    tokens_in: Distribution
    tokens_out: Distribution


class Target(_Frozen):
    model: str | None = None
    variant: Literal["stable", "canary"] | None = None


class Fault(_Frozen):
    type: Literal["outage", "latency_spike", "error_burst", "quality_drop"]
    target: Target
    start: Duration
    duration: PositiveDuration
    magnitude: float = Field(default=1.0, ge=0)


class Rollout(_Frozen):
    steps: tuple[Annotated[float, Field(gt=0, le=100)], ...] = Field(min_length=1)
    check_every: PositiveDuration


class Spec(_Frozen):
    service: str = "service"
    start: AwareDatetime
    duration: PositiveDuration
    traffic: Traffic
    requests: Requests
    variants: Variants
    models: dict[str, ModelSpec] = Field(min_length=1)
    faults: tuple[Fault, ...] = ()
    rollout: Rollout | None = None


class Metadata(_Frozen):
    name: str = Field(min_length=1)


class Scenario(_Frozen):
    apiVersion: Literal["autoopt/v1"]
    kind: Literal["Scenario"]
    metadata: Metadata
    spec: Spec
    _base_dir: str = PrivateAttr(default=".")

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        if isinstance(info.context, dict) and info.context.get("defer_semantic"):
            return self
        problems = semantic_problems(self.spec)
        if problems:
            raise ValueError("; ".join(f"{'.'.join(map(str, loc))}: {m}" for loc, m in problems))
        return self


# --- cross-field checks (located by the loader) ----------------------------------------------


def semantic_problems(spec: Spec) -> list[tuple[Loc, str]]:
    """Problems pydantic cannot see field by field, each with the ``loc`` it belongs to."""
    return [
        *_traffic_problems(spec),
        *_variant_problems(spec),
        *_fault_problems(spec),
        *_rollout_problems(spec),
    ]


def _window(what: str, start: float, length: float, total: float) -> str | None:
    if start + length <= total:
        return None
    return (
        f"{what} [{format_duration(start)}, {format_duration(start + length)}) "
        f"ends after the scenario's duration {format_duration(total)}"
    )


def _traffic_problems(spec: Spec) -> list[tuple[Loc, str]]:
    t, out = spec.traffic, []
    base: Loc = ("spec", "traffic")
    if t.rate is None and t.replay is None:
        out.append(((*base, "rate"), "Field required (or give replay)"))
    if t.rate is not None and t.replay is not None:
        out.append(((*base, "replay"), "give either rate or replay, not both"))
    if t.replay is not None and (t.replay.timestamps is None) == (t.replay.file is None):
        out.append(((*base, "replay"), "give exactly one of timestamps or file"))
    for i, burst in enumerate(t.bursts):
        msg = _window("burst", burst.at, burst.duration, spec.duration)
        if msg:
            out.append(((*base, "bursts", i, "at"), msg))
    return out


def _model_ref(spec: Spec, loc: Loc, name: str) -> list[tuple[Loc, str]]:
    if name in spec.models:
        return []
    return [(loc, f"unknown model {name!r}; models: {', '.join(spec.models)}")]


def _variant_problems(spec: Spec) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for role in ("stable", "canary"):
        variant = getattr(spec.variants, role)
        if variant is None:
            continue
        loc: Loc = ("spec", "variants", role, "params")
        out += _model_ref(spec, (*loc, "model"), variant.params.model)
        for i, name in enumerate(variant.params.fallbacks):
            out += _model_ref(spec, (*loc, "fallbacks", i), name)
    return out


def _fault_problems(spec: Spec) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for i, fault in enumerate(spec.faults):
        loc: Loc = ("spec", "faults", i)
        target = fault.target
        if (target.model is None) == (target.variant is None):
            out.append(((*loc, "target"), "give exactly one of model or variant"))
        elif target.model is not None:
            out += _model_ref(spec, (*loc, "target", "model"), target.model)
        elif target.variant == "canary" and spec.variants.canary is None:
            out.append(((*loc, "target", "variant"), "the scenario has no canary"))
        msg = _window("fault", fault.start, fault.duration, spec.duration)
        if msg:
            out.append(((*loc, "start"), msg))
    return out


def _rollout_problems(spec: Spec) -> list[tuple[Loc, str]]:
    if spec.rollout is None:
        return []
    out: list[tuple[Loc, str]] = []
    if spec.variants.canary is None:
        out.append((("spec", "rollout"), "a rollout needs variants.canary"))
    steps = spec.rollout.steps
    if any(b <= a for a, b in itertools.pairwise(steps)):
        out.append((("spec", "rollout", "steps"), "steps must increase"))
    return out


def scenario_from_data(data: Any, *, defer_semantic: bool = False) -> Scenario:
    """Validate plain data into a :class:`Scenario` (raises pydantic's ``ValidationError``)."""
    return Scenario.model_validate(data, context={"defer_semantic": defer_semantic})

"""Prices per model: the overrides in ``autoopt.yaml`` first, then the genai-prices catalog.

A row without ``cost_usd`` is priced from its tokens: ``tokens_in`` counts every input token,
cached ones included (as the OpenTelemetry GenAI conventions define
``gen_ai.usage.input_tokens``), so

    cost = fixed + (tokens_in − tokens_cached − tokens_cache_write) × input
         + tokens_cached × cache_read + tokens_cache_write × cache_write
         + tokens_out × output + tokens_reasoning × reasoning_extra

with the rates of the long-context tier the request's ``tokens_in`` falls in (the catalog's
tiers: crossing a tier's start prices *all* tokens of the request at that tier). The rates
are read from the catalog by probing ``genai_prices.calc_price`` inside each tier, so they are
exactly what the catalog charges; a rate the catalog does not define for a model (no cache
discount) is charged as the catalog does (the input rate). One look-up per (model, provider,
response model, day); the arithmetic runs inside DuckDB (:func:`apply`), the same for every
source. A model nobody knows keeps its rows with cost unknown (NULL/NaN), never zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from autoopt.spec.models import PriceOverride
from autoopt.values import Price

#: Rates per token kept for each tier: input, output, cache read, cache write, reasoning
#: (extra over output).
KINDS = ("input", "output", "cache_read", "cache_write", "reasoning")
MAX_TIERS = 3  # the base rate and up to two long-context tiers (the catalog's most)

#: OpenTelemetry ``gen_ai.provider.name`` / ``gen_ai.system`` values → genai-prices ids.
PROVIDERS: Mapping[str, str] = {
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.openai": "azure",
    "az.ai.inference": "azure",
    "aws.bedrock": "aws",
    "gcp.gen_ai": "google",
    "gcp.vertex_ai": "google",
    "gcp.gemini": "google",
    "vertex_ai": "google",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
}


@dataclass(frozen=True)
class Tier:
    """Rates (USD per token) for requests whose input is above ``above`` tokens."""

    above: int
    input: float
    output: float
    cache_read: float
    cache_write: float
    reasoning: float = 0.0


@dataclass(frozen=True)
class Rates:
    """How a model is priced on a day: a fixed fee per request and one :class:`Tier` per
    long-context tier (``tiers[0].above == 0``: the base rates)."""

    tiers: tuple[Tier, ...]
    source: str
    fixed: float = 0.0
    provider: str | None = None  # the catalog provider the price was found under
    catalog_model: str | None = None

    @property
    def base(self) -> Tier:
        return self.tiers[0]

    def price(self) -> Price:
        return Price(self.base.input, self.base.output, self.source)


@cache
def catalog_version() -> str:
    from importlib.metadata import version

    return version("genai-prices")


def catalog_source(at: date) -> str:
    """How a catalog price is labelled: package, version and the date it applies to."""
    return f"genai-prices {catalog_version()} ({at.isoformat()})"


def _override(found: PriceOverride) -> Rates:
    per = 1e6
    cached = found.cache_read_per_mtok if found.cache_read_per_mtok is not None else None
    tier = Tier(
        0,
        found.input_per_mtok / per,
        found.output_per_mtok / per,
        (cached if cached is not None else found.input_per_mtok) / per,
        found.input_per_mtok / per,
    )
    return Rates((tier,), "override (autoopt.yaml)")


def rates_for(
    model: str,
    *,
    overrides: Mapping[str, PriceOverride],
    day: date,
    provider: str | None = None,
    response_model: str | None = None,
) -> Rates | None:
    """The rates a request to ``model`` (answered by ``response_model``) through
    ``provider`` pays on ``day``: an override for either name wins, then the catalog with the
    provider (response model first), then the catalog without it; None when unknown."""
    for name in (model, response_model):
        if name and name in overrides:
            return _override(overrides[name])
    refs = [r for r in (response_model, model) if r]
    wanted = PROVIDERS.get(provider.lower(), provider.lower()) if provider else None
    for provider_id in ([wanted] if wanted else []) + [None]:
        for ref in refs:
            found = _catalog(ref, provider_id, day)
            if found is not None:
                return found
    return None


def price_for(
    model: str,
    *,
    overrides: Mapping[str, PriceOverride],
    at: datetime | None = None,
    provider: str | None = None,
) -> Price | None:
    """USD per token (base tier) for ``model`` at time ``at`` (an override wins), or None."""
    when = (at or datetime.now(UTC)).astimezone(UTC).date()
    found = rates_for(model, overrides=overrides, day=when, provider=provider)
    return found.price() if found is not None else None


def _calc(model: str, provider: str | None, moment: datetime, **tokens: int) -> float:
    from genai_prices import Usage, calc_price

    usage = Usage(**tokens)
    return float(
        calc_price(usage, model, provider_id=provider, genai_request_timestamp=moment).total_price
    )


@cache
def _catalog(model: str, provider: str | None, day: date) -> Rates | None:
    from genai_prices import Usage, calc_price

    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    try:
        found = calc_price(
            Usage(input_tokens=1), model, provider_id=provider, genai_request_timestamp=moment
        )
        starts = _tier_starts(found.model_price)
        fixed = _calc(model, provider, moment, input_tokens=0)
        tiers = tuple(_probe(model, provider, moment, above, fixed) for above in (0, *starts))[
            :MAX_TIERS
        ]
    except (LookupError, ValueError, ArithmeticError):
        return None
    source = f"{catalog_source(day)}: {found.provider.id}/{found.model.id}"
    return Rates(tiers, source, fixed, found.provider.id, found.model.id)


def _tier_starts(model_price: Any) -> tuple[int, ...]:
    from genai_prices.types import TieredPrices

    starts = {
        tier.start
        for value in vars(model_price).values()
        if isinstance(value, TieredPrices)
        for tier in value.tiers
    }
    return tuple(sorted(starts))


def _probe(model: str, provider: str | None, moment: datetime, above: int, fixed: float) -> Tier:
    """The per-token rates inside the tier that starts above ``above`` input tokens."""
    size = above + 1  # a request in this tier
    plain = _calc(model, provider, moment, input_tokens=size)
    with_output = _calc(model, provider, moment, input_tokens=size, output_tokens=1)
    return Tier(
        above,
        (plain - fixed) / size,
        with_output - plain,
        (_calc(model, provider, moment, input_tokens=size, cache_read_tokens=size) - fixed) / size,
        (_calc(model, provider, moment, input_tokens=size, cache_write_tokens=size) - fixed) / size,
        _calc(
            model, provider, moment, input_tokens=size, output_tokens=1, output_reasoning_tokens=1
        )
        - with_output,
    )


@dataclass
class PricingReport:
    """Which price each model got (source and per-million rates) and which models had none."""

    used: dict[str, Rates] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)  # model → rows with unknown cost
    given: int = 0  # rows whose cost came with the metrics

    def merge(self, other: PricingReport) -> None:
        for model, rates in other.used.items():
            self.used.setdefault(model, rates)
        for model, rows in other.unknown.items():
            self.unknown[model] = self.unknown.get(model, 0) + rows
        self.given += other.given

    def as_dict(self) -> dict[str, object]:
        return {
            "models": {model: _rates_json(r) for model, r in sorted(self.used.items())},
            "unknown_models": dict(sorted(self.unknown.items())),
            "rows_with_given_cost": self.given,
        }

    def warning(self) -> str | None:
        if not self.unknown:
            return None
        names = ", ".join(f"{m} ({n} rows)" for m, n in sorted(self.unknown.items()))
        return (
            f"no price for model(s) {names}: their cost is unknown; add them to "
            "spec.prices in autoopt.yaml"
        )


def _per_mtok(value: float) -> float:
    return round(value * 1e6, 6)


def _rates_json(rates: Rates) -> dict[str, object]:
    base = rates.base
    out: dict[str, object] = {
        "source": rates.source,
        "input_per_mtok": _per_mtok(base.input),
        "output_per_mtok": _per_mtok(base.output),
        "cache_read_per_mtok": _per_mtok(base.cache_read),
    }
    if rates.fixed:
        out["per_request"] = rates.fixed
    if len(rates.tiers) > 1:
        out["long_context"] = [
            {
                "above_input_tokens": t.above,
                "input_per_mtok": _per_mtok(t.input),
                "output_per_mtok": _per_mtok(t.output),
                "cache_read_per_mtok": _per_mtok(t.cache_read),
            }
            for t in rates.tiers[1:]
        ]
    return out

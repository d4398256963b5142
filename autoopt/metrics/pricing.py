"""Prices per model: the overrides in ``autoopt.yaml`` first, then the genai-prices catalog.

``cost_usd`` is filled where a row has none, one price lookup per (model, day) and vectorised
arithmetic over the rows. A model nobody knows keeps its rows with cost NaN (unknown), and the
caller reports it; cost is never silently zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from autoopt.spec.models import PriceOverride
from autoopt.values import Price

#: Tokens used for the representative catalog lookup (below every long-context tier).
_PROBE_TOKENS = 1000


@cache
def catalog_version() -> str:
    from importlib.metadata import version

    return version("genai-prices")


def catalog_source(at: date) -> str:
    """How a catalog price is labelled: package, version and the date it applies to."""
    return f"genai-prices {catalog_version()} ({at.isoformat()})"


def price_for(
    model: str, *, overrides: Mapping[str, PriceOverride], at: datetime | None = None
) -> Price | None:
    """USD per token for ``model`` at time ``at`` (an override wins), or None when unknown."""
    if model in overrides:
        found = overrides[model]
        return Price(
            found.input_per_mtok / 1e6, found.output_per_mtok / 1e6, "override (autoopt.yaml)"
        )
    when = at or datetime.now(UTC)
    day = when.astimezone(UTC).date()
    per_token = _catalog(model, day)
    if per_token is None:
        return None
    return Price(per_token[0], per_token[1], catalog_source(day))


@cache
def _catalog(model: str, day: date) -> tuple[float, float] | None:
    from genai_prices import Usage, calc_price

    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    usage = Usage(input_tokens=_PROBE_TOKENS, output_tokens=_PROBE_TOKENS)
    try:
        result = calc_price(usage, model_ref=model, genai_request_timestamp=moment)
    except LookupError:
        return None
    return float(result.input_price) / _PROBE_TOKENS, float(result.output_price) / _PROBE_TOKENS


@dataclass
class PricingReport:
    """Which price each model got (source and per-million rates) and which models had none."""

    used: dict[str, Price] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)  # model → rows with unknown cost
    given: int = 0  # rows whose cost came with the metrics

    def as_dict(self) -> dict[str, object]:
        return {
            "models": {
                model: {
                    "source": price.source,
                    "input_per_mtok": round(price.input_per_token * 1e6, 6),
                    "output_per_mtok": round(price.output_per_token * 1e6, 6),
                }
                for model, price in sorted(self.used.items())
            },
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


def fill_costs(
    frame: pd.DataFrame, overrides: Mapping[str, PriceOverride]
) -> tuple[pd.DataFrame, PricingReport]:
    """``frame`` with ``cost_usd`` filled where it is NaN, and what prices were used."""
    report = PricingReport()
    missing = frame["cost_usd"].isna().to_numpy()
    report.given = int((~missing).sum())
    if not missing.any():
        return frame, report
    cost = frame["cost_usd"].to_numpy(dtype="float64", copy=True)
    days = frame["timestamp"].dt.floor("D")
    todo = frame.loc[missing, ["model"]].assign(day=days[missing])
    tokens_in = np.nan_to_num(frame["tokens_in"].to_numpy(dtype="float64"))
    tokens_out = np.nan_to_num(frame["tokens_out"].to_numpy(dtype="float64"))
    groups: dict[Any, Any] = dict(todo.groupby(["model", "day"]).indices)
    for (model, day), positions in sorted(groups.items()):
        index = todo.index.to_numpy()[positions]
        price = price_for(str(model), overrides=overrides, at=day.to_pydatetime(warn=False))
        if price is None:
            report.unknown[str(model)] = report.unknown.get(str(model), 0) + len(index)
            continue
        report.used.setdefault(str(model), price)
        cost[index] = (
            tokens_in[index] * price.input_per_token + tokens_out[index] * price.output_per_token
        )
    return frame.assign(cost_usd=cost), report

"""Costs filled inside DuckDB: one rate look-up per (model, provider, response model, day),
one vectorised formula over the rows (:mod:`autoopt.metrics.pricing` says which)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from autoopt.metrics.pricing import KINDS, MAX_TIERS, PricingReport, Rates, rates_for
from autoopt.spec.models import PriceOverride

#: ``price_state`` of a row: its cost came with the metrics, was priced here, or is unknown.
GIVEN, PRICED, UNKNOWN = 0, 1, 2
PRICE_STATE = f"CASE WHEN cost_usd IS NULL THEN {UNKNOWN} ELSE {GIVEN} END"  # unpriced

_KEYS = ("model", "provider", "response_model", "day")
_RATE_COLUMNS = [f"{kind}{k}" for k in range(MAX_TIERS) for kind in KINDS]


def _rate(kind: str) -> str:
    """The rate of ``kind`` for the row's tier (tiers by the request's input tokens)."""
    cases = " ".join(
        f"WHEN r.above{k} IS NOT NULL AND coalesce(t.tokens_in, 0) > r.above{k} THEN r.{kind}{k}"
        for k in range(MAX_TIERS - 1, 0, -1)
    )
    return f"(CASE {cases} ELSE r.{kind}0 END)"


def _n(column: str) -> str:
    return f"coalesce(t.{column}, 0)"


FORMULA = (
    f"r.fixed + ({_n('tokens_in')} - {_n('tokens_cached')} - {_n('tokens_cache_write')}) * "
    f"{_rate('input')} + {_n('tokens_cached')} * {_rate('cache_read')} + "
    f"{_n('tokens_cache_write')} * {_rate('cache_write')} + "
    f"{_n('tokens_out')} * {_rate('output')} + {_n('tokens_reasoning')} * {_rate('reasoning')}"
)


_COLUMNS = ", ".join(
    [
        "model VARCHAR, provider VARCHAR, response_model VARCHAR, day DATE, fixed DOUBLE",
        *(f"above{k} DOUBLE" for k in range(MAX_TIERS)),
        *(f"{c} DOUBLE" for c in _RATE_COLUMNS),
    ]
)


def rates(con: Any, coerced: str, overrides: Mapping[str, PriceOverride]) -> dict[str, Rates]:
    """The ``rates`` table for every (model, provider, response model, day) of the rows of
    ``coerced`` (:func:`autoopt.metrics.canonical.coerced` output) that have no cost.

    Returns model → the rates used (the first found for that model), for the report.
    """
    keys = con.execute(
        "SELECT DISTINCT v_model, v_provider, v_response_model, CAST(v_timestamp AS DATE) "
        f"FROM {coerced} WHERE v_cost_usd IS NULL AND v_model IS NOT NULL "
        "AND v_timestamp IS NOT NULL"
    ).fetchall()
    found: list[tuple[Any, ...]] = []
    used: dict[str, Rates] = {}
    for model, provider, response_model, day in sorted(keys, key=_sortable):
        known = rates_for(
            str(model),
            overrides=overrides,
            day=day if isinstance(day, date) else date.fromisoformat(str(day)),
            provider=provider,
            response_model=response_model,
        )
        if known is None:
            continue
        used.setdefault(str(model), known)
        found.append((model, provider, response_model, day, *_row(known)))
    con.execute(f"CREATE OR REPLACE TEMP TABLE rates ({_COLUMNS})")
    if found:
        marks = ", ".join("?" * (5 + MAX_TIERS + len(_RATE_COLUMNS)))
        con.executemany(f"INSERT INTO rates VALUES ({marks})", found)
    return used


def priced(rows: str) -> str:
    """``rows`` (canonical, with ``reason``) with ``cost_usd`` filled from ``rates`` where it
    is missing on an accepted row, and each row's ``price_state``."""
    return (
        f"SELECT t.* REPLACE (coalesce(t.cost_usd, CASE WHEN t.reason = 0 AND r.model IS NOT "
        f"NULL THEN {FORMULA} END) AS cost_usd), CASE WHEN t.cost_usd IS NOT NULL THEN {GIVEN} "
        f"WHEN t.reason = 0 AND r.model IS NOT NULL THEN {PRICED} ELSE {UNKNOWN} END "
        f"AS price_state FROM ({rows}) t LEFT JOIN rates r ON t.model = r.model "
        "AND t.provider IS NOT DISTINCT FROM r.provider "
        "AND t.response_model IS NOT DISTINCT FROM r.response_model "
        'AND CAST(t."timestamp" AS DATE) = r.day'
    )


def _sortable(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if part is None else str(part) for part in key)


def _row(rates: Rates) -> list[float | None]:
    tiers = list(rates.tiers) + [None] * (MAX_TIERS - len(rates.tiers))
    above = [None if t is None else float(t.above) for t in tiers]
    above[0] = None  # the base tier has no threshold
    values: list[float | None] = []
    for tier in tiers:
        values += [None if tier is None else float(getattr(tier, kind)) for kind in KINDS]
    return [rates.fixed, *above, *values]


def report(con: Any, table: str, where: str, used: Mapping[str, Rates]) -> PricingReport:
    """Which prices the rows of ``table`` matching ``where`` used, and which had none."""
    rows = con.execute(
        f"SELECT model, price_state, count(*) FROM {table} WHERE reason = 0 AND ({where}) "
        "GROUP BY ALL"
    ).fetchall()
    out = PricingReport()
    for model, state, count in rows:
        name = str(model)
        if state == GIVEN:
            out.given += int(count)
        elif state == PRICED and name in used:
            out.used.setdefault(name, used[name])
        elif state == UNKNOWN:
            out.unknown[name] = out.unknown.get(name, 0) + int(count)
    return out

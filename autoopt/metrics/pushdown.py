"""The protocol's questions answered inside DuckDB over a :class:`~autoopt.metrics.store.Store`.

Filtering, validation, accounting and pricing happen in SQL; only the numbers an estimate is
made of (one numeric column per measured metric, for the rows of one version in the window)
come back, as numpy arrays, and go through the same functions as an in-memory table
(:func:`autoopt.metrics.summary.summary`, :func:`autoopt.metrics.profile.profile_model`), so
both give the same numbers. No pandas on these paths except :func:`rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from autoopt.metrics import costs
from autoopt.metrics.canonical import OUTPUT, TEXT, literal, quote
from autoopt.metrics.pricing import PricingReport
from autoopt.metrics.profile import PROFILED, profile_model
from autoopt.metrics.sources import MetricsRead, SummaryRead, SummaryRequest
from autoopt.metrics.summary import MEASURED, resolve, span_days, summary
from autoopt.metrics.table import RowsReport
from autoopt.values import ModelProfile, Window

if TYPE_CHECKING:
    import pandas as pd

    from autoopt.metrics.store import Store

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86400.0
TS = '"timestamp"'


def moment(micros: Any) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=int(micros))


def names(values: Sequence[str]) -> str:
    return ", ".join(literal(v) for v in values) or "NULL"


def window_sql(window: Window | None, alias: str = "") -> str:
    if window is None:
        return "true"
    ts = f"{alias}.{TS}" if alias else TS
    return (
        f"{ts} >= TIMESTAMPTZ {literal(window.start.isoformat())} "
        f"AND {ts} < TIMESTAMPTZ {literal(window.end.isoformat())}"
    )


def _requests_table(store: Store, requests: Sequence[SummaryRequest]) -> str:
    store.execute(
        "CREATE OR REPLACE TEMP TABLE req (id INTEGER, service VARCHAR, lo TIMESTAMPTZ, "
        "hi TIMESTAMPTZ)"
    )
    store.con.executemany(
        "INSERT INTO req VALUES (?, ?, ?, ?)",
        [(i, r.service, r.period.start, r.period.end) for i, r in enumerate(requests)],
    )
    return "req"


_WIN = (
    f"CASE WHEN t.reason <> 0 THEN 0 WHEN r.lo IS NOT NULL AND t.{TS} < r.lo THEN 1 "
    f"WHEN t.{TS} >= r.hi THEN 2 ELSE 0 END"
)
_INSIDE = f"t.reason = 0 AND (r.lo IS NULL OR t.{TS} >= r.lo) AND t.{TS} < r.hi"


def summaries(store: Store, requests: Sequence[SummaryRequest]) -> list[SummaryRead]:
    """Per request: the window used, the accounting and one summary per version."""
    if not requests:
        return []
    table = store.scope(sorted({r.service for r in requests}))
    _requests_table(store, requests)
    groups = store.execute(
        f"SELECT r.id, t.version, t.reason, {_WIN} AS win, count(*), sum(t.error::INTEGER), "
        f"epoch_us(min(t.{TS})), epoch_us(max(t.{TS})) "
        f"FROM {table} t JOIN req r ON t.service = r.service GROUP BY ALL"
    ).fetchall()
    unattributed = store.accounting(table, "service IS NULL")
    pricing = _pricing(store, table)
    values = _values(store, table)
    out = []
    for i, request in enumerate(requests):
        mine = [g for g in groups if g[0] == i]
        read = _read(request, mine, unattributed, values.get(i, {}))
        read.pricing, read.source = pricing.get(i, PricingReport()), store.description
        read.notes = list(store.notes)
        out.append(read)
    store.drop(table)
    return out


def _read(
    request: SummaryRequest,
    groups: list[tuple[Any, ...]],
    unattributed: RowsReport,
    values: dict[str, dict[str, Any]],
) -> SummaryRead:
    report = RowsReport()
    report.merge(unattributed)
    accepted = [g for g in groups if g[2] == 0]
    for _id, _version, reason, win, n, _errors, _lo, _hi in groups:
        if reason != 0:
            from autoopt.metrics.canonical import reason_name

            report.reject(reason_name(int(reason)), int(n))
        elif win == 0:
            report.accepted += int(n)
        else:
            report.outside += int(n)
    first = moment(min((g[6] for g in accepted), default=None))
    last = moment(max((g[7] for g in accepted), default=None))
    window = resolve(request.period, first, last)
    inside = [g for g in accepted if g[3] == 0]
    found = []
    if inside:
        days = span_days(
            moment(min(g[6] for g in inside)), moment(max(g[7] for g in inside)), window
        )
        traffic = (sum(int(g[4]) for g in inside), days)
        for version in sorted(str(g[1]) for g in inside):
            columns = values[version]
            found.append(
                summary(request.service, version, request.candidates, window, columns, traffic)
            )
    return SummaryRead(request.service, window, found, report, PricingReport())


def _values(store: Store, table: str) -> dict[int, dict[str, dict[str, Any]]]:
    """request → version → the measured columns of its rows in the window (numpy)."""
    keys = store.execute(
        f"SELECT DISTINCT r.id, t.version FROM {table} t JOIN req r ON t.service = r.service "
        f"WHERE {_INSIDE} ORDER BY 1, 2"
    ).fetchall()
    if not keys:
        return {}
    store.execute("CREATE OR REPLACE TEMP TABLE grp (id INTEGER, version VARCHAR, g INTEGER)")
    store.con.executemany(
        "INSERT INTO grp VALUES (?, ?, ?)", [(i, v, k) for k, (i, v) in enumerate(keys)]
    )
    picked = ", ".join(f"t.{c}" for c in MEASURED)
    data = store.execute(
        f"SELECT g.g, {picked} FROM {table} t JOIN req r ON t.service = r.service "
        f"JOIN grp g ON g.id = r.id AND g.version = t.version WHERE {_INSIDE}"
    ).fetchnumpy()
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for k, part in split(data, "g", len(keys)):
        request, version = keys[k]
        out.setdefault(int(request), {})[str(version)] = part
    return out


def split(data: dict[str, Any], key: str, groups: int) -> list[tuple[int, dict[str, Any]]]:
    """``data`` (column → array) cut into its groups by the integer column ``key``."""
    codes = np.asarray(data[key], dtype="int64")
    columns = {c: plain(v) for c, v in data.items() if c != key}
    if groups == 1:
        return [(int(codes[0]), columns)] if codes.size else []
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(groups + 1))
    out = []
    for k in range(groups):
        rows = order[bounds[k] : bounds[k + 1]]
        if rows.size:
            out.append((k, {c: v[rows] for c, v in columns.items()}))
    return out


def plain(values: Any) -> Any:
    """A fetched column as a plain numpy array (NULL → NaN for numbers, False for flags)."""
    if isinstance(values, np.ma.MaskedArray):
        if values.dtype == bool:
            return np.ma.filled(values, False)
        return np.ma.filled(values.astype("float64"), np.nan)
    return np.asarray(values)


def _pricing(store: Store, table: str) -> dict[int, PricingReport]:
    rows = store.execute(
        f"SELECT r.id, t.model, t.price_state, count(*) FROM {table} t JOIN req r "
        f"ON t.service = r.service WHERE {_INSIDE} GROUP BY ALL"
    ).fetchall()
    out: dict[int, PricingReport] = {}
    for request, model, state, count in rows:
        report = out.setdefault(int(request), PricingReport())
        name = str(model)
        if state == costs.GIVEN:
            report.given += int(count)
        elif state == costs.PRICED and name in store.used:
            report.used.setdefault(name, store.used[name])
        elif state == costs.UNKNOWN:
            report.unknown[name] = report.unknown.get(name, 0) + int(count)
    return out


def profiles(store: Store, service: str, window: Window | None) -> dict[str, ModelProfile]:
    """One profile per model of the service's accepted rows (in ``window``)."""
    table = store.scope([service])
    where = f"reason = 0 AND service = {literal(service)} AND {window_sql(window)}"
    models = [
        str(m)
        for (m,) in store.execute(
            f"SELECT DISTINCT model FROM {table} WHERE {where} ORDER BY 1"
        ).fetchall()
    ]
    if not models:
        store.drop(table)
        return {}
    first, last = store.execute(
        f"SELECT epoch_us(min({TS})), epoch_us(max({TS})) FROM {table} WHERE {where}"
    ).fetchone()
    days = max((last - first) / 1e6, 60.0) / _DAY
    cases = " ".join(f"WHEN {literal(m)} THEN {k}" for k, m in enumerate(models))
    picked = ", ".join([*PROFILED, "coalesce(truncated, false) AS truncated", "max_tokens"])
    data = store.execute(
        f"SELECT CASE model {cases} END AS g, {picked} FROM {table} WHERE {where}"
    ).fetchnumpy()
    store.drop(table)
    parts = split(data, "g", len(models))
    return {models[k]: profile_model(models[k], part, days) for k, part in parts}


def rows(store: Store, service: str | None, window: Window | None) -> MetricsRead:
    """The priced canonical rows (of ``service``, in ``window``), accounted for."""
    table = store.scope([service] if service is not None else None)
    mine = "true" if service is None else f"(service = {literal(service)} OR service IS NULL)"
    report = store.accounting(table, mine)
    ours = "true" if service is None else f"service = {literal(service)}"
    inside = window_sql(window)
    (accepted, outside) = store.execute(
        f"SELECT count(*) FILTER (WHERE {inside}), count(*) FILTER (WHERE NOT ({inside})) "
        f"FROM {table} WHERE reason = 0 AND {ours}"
    ).fetchone()
    report.accepted, report.outside = int(accepted), int(outside)
    where = f"reason = 0 AND {ours} AND {inside}"
    frame = frame_of(store, f"SELECT {COLUMNS_SQL} FROM {table} WHERE {where}")
    priced = costs.report(store.con, table, f"{ours} AND {inside}", store.used)
    store.drop(table)
    return MetricsRead(frame, report, priced, store.description, list(store.notes))


COLUMNS_SQL = ", ".join(quote(c) for c in OUTPUT)


def frame_of(store: Store, sql: str) -> pd.DataFrame:
    """A query's canonical rows as the pandas table every consumer reads."""
    frame: pd.DataFrame = store.execute(sql).df()
    frame["truncated"] = frame["truncated"].astype("boolean")
    for column in TEXT:  # one text dtype, whether the column is empty or not
        frame[column] = frame[column].astype("str")
    return frame


def services(store: Store) -> list[str]:
    table = store.scope(None)
    found = store.execute(
        f"SELECT DISTINCT service FROM {table} WHERE reason = 0 ORDER BY 1"
    ).fetchall()
    store.drop(table)
    return [str(s) for (s,) in found]

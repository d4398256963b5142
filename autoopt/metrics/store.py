"""One DuckDB session over a source's raw inputs, and the scoped, priced tables questions run on.

``scope(services)`` scans every input once through the canonical SQL — the raw ``service``
filter pushed into each scan, so a Parquet file is read only where the services are — into a
temporary table of canonical rows with their ``reason``, and fills the missing costs
(:mod:`autoopt.metrics.costs`). Every question then reads that small table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autoopt.errors import MetricsError
from autoopt.metrics import canonical, costs
from autoopt.metrics.files import Raw
from autoopt.metrics.pricing import Rates
from autoopt.metrics.table import RowsReport
from autoopt.spec.models import PriceOverride

#: Above this many services the raw scan filter would be a long OR of ranges; the services
#: are then matched after coercion (still one scan).
_MAX_FILTERED = 64
#: A store asked for more scopes than this (``autoopt cycle`` asks for every service in
#: turn) builds the scoped table of every service once, sorted by service, and answers the
#: later scopes from it: one scan, coercion and pricing of a large file instead of one each.
_SCOPES_BEFORE_ALL = 2


def connect() -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def failure(exc: BaseException) -> MetricsError:
    """A DuckDB error as one clear line (a corrupt file, an unreadable page)."""
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return MetricsError(f"cannot read metrics: {line[:300]}")


class Store:
    """The inputs of one source, registered in one DuckDB connection."""

    def __init__(
        self,
        raws: Sequence[Raw],
        prices: Mapping[str, PriceOverride],
        description: str,
        *,
        rejected: RowsReport | None = None,
        price: bool = True,
        con: Any = None,
    ) -> None:
        self.con = con if con is not None else connect()
        self.price = price
        self.raws = list(raws)
        self.prices = prices
        self.description = description
        self.notes: list[str] = []  # said with every answer (e.g. skipped spans)
        #: rows rejected before SQL (unparseable lines, bad encodings): no service can be told
        self.unattributed = RowsReport()
        if rejected is not None:
            self.unattributed.merge(rejected)
        for raw in self.raws:
            if raw.table is not None:
                self.con.register(raw.relation, raw.table)
            self.unattributed.merge(raw.report)
        self.used: dict[str, Rates] = {}
        self._count = 0
        self._all: str | None = None  # every service's scoped rows, once many were asked

    def _coerced(self, services: Sequence[str] | None) -> str:
        """The coerced values of every input's rows (those that may be of ``services``)."""
        filtered = services is not None and len(services) <= _MAX_FILTERED
        parts = [
            canonical.coerced(
                raw.relation,
                raw.types,
                where=canonical.service_filter(raw.types, services) if filtered else "",
            )
            for raw in self.raws
        ]
        return " UNION ALL ".join(parts) if parts else _EMPTY

    def scope(self, services: Sequence[str] | None, where: str = "") -> str:
        """A new temporary table of the canonical rows of ``services`` (``None``: all; rows
        with no service always), matching ``where``, with ``price_state`` and costs filled;
        returns its name. One scan of the inputs (none once every service's rows are kept)."""
        self._count += 1
        name = f"scope{self._count}"
        if self._all is None and self._count > _SCOPES_BEFORE_ALL + 1:
            self._all = self._build(None, "", "scope_all", ordered=True)
        if self._all is None:
            return self._build(services, where, name)
        mine = "true"
        if services is not None:
            mine = f"(service IN ({_names(services)}) OR service IS NULL)"
        self.execute(
            f"CREATE TEMP TABLE {name} AS SELECT * FROM {self._all} "
            f"WHERE {mine} AND ({where or 'true'})"
        )
        return name

    def _build(
        self, services: Sequence[str] | None, where: str, name: str, *, ordered: bool = False
    ) -> str:
        mine = "true"
        if services is not None:
            mine = f"(service IN ({_names(services)}) OR service IS NULL)"
        try:
            self.con.execute(f"CREATE TEMP TABLE {name}_v AS {self._coerced(services)}")
            rows = f"SELECT * FROM ({canonical.finished(name + '_v')}) WHERE {mine}"
            if self.price:
                for model, rates in costs.rates(self.con, f"{name}_v", self.prices).items():
                    self.used.setdefault(model, rates)
                rows = costs.priced(rows)
            else:
                rows = f"SELECT *, {costs.PRICE_STATE} AS price_state FROM ({rows})"
            order = " ORDER BY service" if ordered else ""
            self.con.execute(
                f"CREATE TEMP TABLE {name} AS SELECT * FROM ({rows}) WHERE {where or 'true'}{order}"
            )
            self.drop(f"{name}_v")
        except _errors() as exc:
            raise failure(exc) from None
        return name

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.con.execute(sql, list(params))
        except _errors() as exc:
            raise failure(exc) from None

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def accounting(self, table: str, where: str) -> RowsReport:
        """Rejected rows of ``table`` by reason (and those rejected before SQL)."""
        report = RowsReport()
        report.merge(self.unattributed)
        rows = self.execute(
            f"SELECT reason, count(*) FROM {table} WHERE reason <> 0 AND ({where}) GROUP BY ALL"
        ).fetchall()
        for code, count in rows:
            report.reject(canonical.reason_name(int(code)), int(count))
        return report


_EMPTY = canonical.coerced("(SELECT 1 WHERE false)", {})


def _names(services: Sequence[str]) -> str:
    return ", ".join(canonical.literal(s) for s in services) or "NULL"


def _errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (duckdb.Error,)

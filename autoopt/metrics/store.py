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
    ) -> None:
        self.con = connect()
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

    def canonical(self, services: Sequence[str] | None) -> str:
        """The canonical rows (all of them, or those of ``services`` and those with no
        service) as one SQL relation."""
        filtered = services is not None and len(services) <= _MAX_FILTERED
        parts = [
            canonical.select(
                raw.relation,
                raw.types,
                where=canonical.service_filter(raw.types, services) if filtered else "",
            )
            for raw in self.raws
        ]
        union = " UNION ALL ".join(parts) if parts else _EMPTY
        if services is None:
            return f"({union})"
        names = ", ".join(canonical.literal(s) for s in services) or "NULL"
        return f"(SELECT * FROM ({union}) WHERE service IN ({names}) OR service IS NULL)"

    def scope(self, services: Sequence[str] | None, where: str = "") -> str:
        """A new temporary table of the canonical rows of ``services`` (``None``: all), with
        ``price_state`` and costs filled; returns its name."""
        self._count += 1
        name = f"scope{self._count}"
        extra = f" WHERE {where}" if where else ""
        try:
            self.con.execute(
                f"CREATE TEMP TABLE {name} AS SELECT *, {costs.PRICE_STATE} AS price_state "
                f"FROM {self.canonical(services)}{extra}"
            )
            if self.price:
                for model, rates in costs.apply(self.con, name, self.prices).items():
                    self.used.setdefault(model, rates)
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


_EMPTY = (
    "SELECT "
    + ", ".join(
        f"CAST(NULL AS {kind}) AS {canonical.quote(name)}"
        for name, kind in canonical.OUTPUT.items()
    )
    + ", 0 AS reason WHERE false"
)


def _errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (duckdb.Error,)

"""The one definition of the canonical table: how raw columns become canonical, and which
rows are rejected, as DuckDB SQL.

Every path goes through it — Parquet scanned in place, CSV/JSONL/OTel rows read into Arrow,
a pandas table in memory — so the full load and every pushed-down question count the same
rows the same way. :func:`select` turns a raw relation (its columns and their DuckDB types)
into ``SELECT <canonical columns>, reason``; ``reason`` is 0 for an accepted row, else the
1-based index in :data:`RULES` of the first rule the row breaks (one code per row).

Coercion, by what the raw column holds:

* text columns (service, version, model, …): trimmed, empty is missing; numbers become text;
* numbers: numeric types as they are; text is parsed (``"12.5"``, ``"1e3"``); a NaN in a
  numeric column means missing (how pandas writes one); ``inf``, ``nan`` or any word given as
  text, ±Inf, a boolean or anything structured is not a number;
* booleans (``error``, ``truncated``): booleans, ``1``/``0``, and the words in
  :data:`TRUE_WORDS` / :data:`FALSE_WORDS` (any case); an empty ``error`` is false;
* ``timestamp``: a timestamp type (naive means UTC), ISO 8601 text, or an epoch number read by
  its magnitude (:data:`EPOCH_RULE`); it must lie in [1970-01-01, 9999-12-31].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: Characters trimmed from text values (all sort before ``!``, which the scan filter uses).
WS = " \t\n\r\x0b\x0c"
TRUE_WORDS = ("true", "1", "yes", "t", "y", "1.0")
FALSE_WORDS = ("false", "0", "no", "f", "n", "0.0")
EPOCH_RULE = (
    "a number is epoch seconds below 1e11, milliseconds below 1e14, microseconds below "
    "1e17 and nanoseconds above"
)

TEXT = ("service", "version", "model", "variant", "error_type", "provider", "response_model")
NUMBERS = (
    "latency_ms",
    "ttft_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "quality",
    "tokens_cached",
    "tokens_cache_write",
    "tokens_reasoning",
    "temperature",
    "max_tokens",
)
BOOLS = ("error", "truncated")

#: Canonical column → its SQL type: the columns of ``autoopt.metrics.table.COLUMNS`` in
#: order, then the extra columns (``EXTRAS``) every canonical relation also carries.
OUTPUT: Mapping[str, str] = {
    "timestamp": "TIMESTAMPTZ",
    "service": "VARCHAR",
    "version": "VARCHAR",
    "variant": "VARCHAR",
    "model": "VARCHAR",
    "latency_ms": "DOUBLE",
    "ttft_ms": "DOUBLE",
    "tokens_in": "DOUBLE",
    "tokens_out": "DOUBLE",
    "cost_usd": "DOUBLE",
    "error": "BOOLEAN",
    "quality": "DOUBLE",
    "truncated": "BOOLEAN",
    "error_type": "VARCHAR",
    "provider": "VARCHAR",
    "response_model": "VARCHAR",
    "tokens_cached": "DOUBLE",
    "tokens_cache_write": "DOUBLE",
    "tokens_reasoning": "DOUBLE",
    "temperature": "DOUBLE",
    "max_tokens": "DOUBLE",
}


def _bad_number(name: str, *, upper: float | None = None) -> str:
    cap = f" OR v_{name} > {upper}" if upper is not None else ""
    return f"(g_{name} AND (v_{name} IS NULL OR NOT isfinite(v_{name}) OR v_{name} < 0{cap}))"


_TOKENS = " OR ".join(
    [
        *(_bad_number(n) for n in ("tokens_in", "tokens_out", "tokens_cached")),
        *(_bad_number(n) for n in ("tokens_cache_write", "tokens_reasoning")),
        "(NOT g_tokens_in AND NOT v_error)",
        "(NOT g_tokens_out AND NOT v_error)",
        "(v_tokens_cached + coalesce(v_tokens_cache_write, 0) > v_tokens_in)",
    ]
)

#: (reason, the SQL test over the coerced values ``v_*`` and given flags ``g_*``), in the
#: order they are tried. ``unparseable`` and ``bad_encoding`` are found before SQL (a line
#: that is not a row at all).
RULES: tuple[tuple[str, str], ...] = (
    ("missing_timestamp", "NOT g_timestamp"),
    (
        "bad_timestamp",
        "v_timestamp IS NULL OR v_timestamp < TIMESTAMPTZ '1970-01-01 00:00:00+00' "
        "OR v_timestamp > TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'",
    ),
    ("missing_service", "v_service IS NULL"),
    ("missing_version", "v_version IS NULL"),
    ("missing_model", "v_model IS NULL"),
    ("bad_error", "g_error AND v_error IS NULL"),
    ("bad_latency", f"NOT g_latency_ms OR {_bad_number('latency_ms')}"),
    ("bad_tokens", _TOKENS),
    ("bad_ttft", _bad_number("ttft_ms")),
    ("bad_cost", _bad_number("cost_usd")),
    ("bad_quality", _bad_number("quality", upper=100.0)),
)

REASON_SQL = (
    "CASE "
    + " ".join(f"WHEN {test} THEN {code}" for code, (_name, test) in enumerate(RULES, 1))
    + " ELSE 0 END"
)


def reason_name(code: int) -> str:
    return RULES[code - 1][0]


def quote(name: str) -> str:
    """A DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


_INTS = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
_FAMILIES = {"VARCHAR": "text", "FLOAT": "float", "DOUBLE": "float", "REAL": "float"}
_FAMILIES |= {"BOOLEAN": "bool", "DATE": "time", "NULL": "null", '"NULL"': "null"}


def _family(sql_type: str | None) -> str:
    """text | int | float | bool | time | null | other, or absent (``None``)."""
    if sql_type is None:
        return "absent"
    kind = sql_type.upper()
    if kind in _INTS or kind.startswith("DECIMAL"):
        return "int"
    if kind.startswith("TIMESTAMP"):
        return "time"
    if kind.startswith("VARCHAR("):
        return "text"
    return _FAMILIES.get(kind, "other")


def _trimmed(x: str) -> str:
    """Text without surrounding whitespace, empty as NULL; only padded values are copied
    (whitespace sorts before ``!``)."""
    return (
        f"CASE WHEN {x} = '' THEN NULL WHEN {x} < '!' OR right({x}, 1) < '!' "
        f"THEN NULLIF(trim({x}, {literal(WS)}), '') ELSE {x} END"
    )


def _filled(x: str) -> str:
    """The text holds something besides whitespace."""
    return f"coalesce(regexp_matches({x}, '\\S'), false)"


def _text(x: str, family: str) -> tuple[str, str]:
    """(value, given) of a text column."""
    if family == "text":
        value = _trimmed(x)
    elif family == "float":
        value = f"CASE WHEN isnan({x}) THEN NULL ELSE CAST({x} AS VARCHAR) END"
    elif family in ("int", "bool", "time"):
        value = f"CAST({x} AS VARCHAR)"
    else:
        value = "CAST(NULL AS VARCHAR)"
    return value, "true"  # the rules test the value itself


def _number(x: str, family: str) -> tuple[str, str]:
    if family == "int":
        return f"CAST({x} AS DOUBLE)", f"({x} IS NOT NULL)"
    if family == "float":
        value = f"CAST({x} AS DOUBLE)"
        return f"CASE WHEN isnan({value}) THEN NULL ELSE {value} END", (
            f"({x} IS NOT NULL AND NOT isnan({value}))"
        )
    if family == "text":  # DuckDB's cast allows surrounding whitespace
        return f"TRY_CAST({x} AS DOUBLE)", _filled(x)
    if family in ("absent", "null"):
        return "CAST(NULL AS DOUBLE)", "false"
    return "CAST(NULL AS DOUBLE)", f"({x} IS NOT NULL)"


def _bool(x: str, family: str) -> tuple[str, str]:
    if family == "bool":
        return x, f"({x} IS NOT NULL)"
    if family in ("int", "float"):
        number, given = _number(x, family)
        return f"CASE WHEN {number} = 1 THEN true WHEN {number} = 0 THEN false END", given
    if family == "text":
        word = f"lower({_trimmed(x)})"
        trues = ", ".join(map(literal, TRUE_WORDS))
        falses = ", ".join(map(literal, FALSE_WORDS))
        value = f"CASE WHEN {word} IN ({trues}) THEN true WHEN {word} IN ({falses}) THEN false END"
        return value, _filled(x)
    if family in ("absent", "null"):
        return "CAST(NULL AS BOOLEAN)", "false"
    return "CAST(NULL AS BOOLEAN)", f"({x} IS NOT NULL)"


def _epoch(number: str) -> str:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, by magnitude (NULL when no
    timestamp can hold it; the range rule rejects what is before 1970 or after 9999)."""
    size = f"abs({number})"
    scale = f"pow(1000.0, ({size} >= 1e11)::INT + ({size} >= 1e14)::INT + ({size} >= 1e17)::INT)"
    return f"TRY(to_timestamp({number} / {scale}))"


def _time(x: str, family: str) -> tuple[str, str]:
    if family == "time":
        return f"CAST({x} AS TIMESTAMPTZ)", f"({x} IS NOT NULL)"
    if family in ("int", "float"):
        number, given = _number(x, family)
        return _epoch(number), given
    if family == "text":
        number = f"TRY_CAST({x} AS DOUBLE)"
        value = (
            f"CASE WHEN {number} IS NOT NULL THEN {_epoch(number)} "
            f"ELSE TRY_CAST({x} AS TIMESTAMPTZ) END"
        )
        return value, _filled(x)
    if family in ("absent", "null"):
        return "CAST(NULL AS TIMESTAMPTZ)", "false"
    return "CAST(NULL AS TIMESTAMPTZ)", f"({x} IS NOT NULL)"


def _coerce(name: str, x: str, family: str) -> tuple[str, str]:
    if name == "timestamp":
        return _time(x, family)
    if name in TEXT:
        return _text(x, family)
    if name in BOOLS:
        return _bool(x, family)
    return _number(x, family)


def coerced(relation: str, types: Mapping[str, str], *, where: str = "") -> str:
    """``SELECT`` every canonical column's coerced value ``v_*`` and given flag ``g_*`` from
    ``relation``; the first of the two steps (see :func:`finished`).

    ``types`` maps the relation's columns (already renamed to canonical names) to their DuckDB
    types; canonical columns it lacks are empty. ``where`` filters the raw rows first (the
    scan filter of :func:`service_filter`).
    """
    inner = []
    for name in OUTPUT:
        family = _family(types.get(name))
        value, given = _coerce(name, quote(name), family)
        inner.append(f"{value} AS v_{name}, {given} AS g_{name}")
    filtered = f" WHERE {where}" if where else ""
    return f"SELECT {', '.join(inner)} FROM {relation}{filtered}"


def finished(source: str) -> str:
    """``SELECT`` the canonical columns and ``reason`` from the output of :func:`coerced`.

    Two steps with the coerced values stored in between: as one query, DuckDB would inline
    every ``v_*`` expression into each rule that reads it, and the reason would cost tens of
    times more.
    """
    outer = [
        "coalesce(v_error, false) AS error" if name == "error" else f"v_{name} AS {quote(name)}"
        for name in OUTPUT
    ]
    return f"SELECT {', '.join(outer)}, {REASON_SQL} AS reason FROM {source}"


def service_filter(types: Mapping[str, str], services: Sequence[str] | None) -> str:
    """A filter on the raw ``service`` column that keeps every row whose canonical service is
    one of ``services`` or missing — constant comparisons only, so DuckDB pushes it into the
    scan. A trimmed name ``s`` comes from a raw value in ``[s, s || '!')`` (trailing
    whitespace sorts before ``!``) or one that starts with whitespace (``< '!'``)."""
    if services is None or _family(types.get("service")) != "text":
        return ""
    column = quote("service")
    ranges = [f"({column} >= {literal(s)} AND {column} < {literal(s + '!')})" for s in services]
    return " OR ".join([*ranges, f"{column} < '!'", f"{column} IS NULL"])

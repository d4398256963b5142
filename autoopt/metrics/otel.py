"""OpenTelemetry span exports (OTLP/JSON, as the collector's file exporter writes them).

Each line of a file is one ``{"resourceSpans": [...]}`` export request (a whole file holding
a single such object also works; ``.gz`` accepted). GenAI spans are read through the semantic
conventions, old and new attribute names alike (the first one present wins):

==============================  =======================================================
canonical column                where it comes from
==============================  =======================================================
``timestamp``                   span ``startTimeUnixNano``
``latency_ms``                  ``endTimeUnixNano - startTimeUnixNano``
``service``                     resource (or span) attribute ``service.name``
``version``                     the ``version_attribute`` setting (``service.version``)
``model``                       ``gen_ai.request.model`` (else ``gen_ai.response.model``)
``response_model``              ``gen_ai.response.model``
``provider``                    ``gen_ai.provider.name`` (else the older ``gen_ai.system``)
``tokens_in``                   ``gen_ai.usage.input_tokens`` / ``gen_ai.usage.prompt_tokens``
``tokens_out``                  ``gen_ai.usage.output_tokens`` / ``gen_ai.usage.completion_tokens``
``tokens_cached``               ``gen_ai.usage.cache_read.input_tokens`` (and older spellings)
``tokens_cache_write``          ``gen_ai.usage.cache_creation.input_tokens`` (and older)
``tokens_reasoning``            ``gen_ai.usage.reasoning.output_tokens`` (and older)
``error``                       span ``status.code`` is ERROR (2)
``error_type``                  ``error.type``
``temperature``, ``max_tokens``  ``gen_ai.request.temperature`` / ``max_tokens``
``ttft_ms``, ``cost_usd``,      ``autoopt.ttft_ms``, ``autoopt.cost_usd``,
``quality``, ``variant``        ``autoopt.quality``, ``autoopt.variant`` (optional)
==============================  =======================================================

Spans without ``gen_ai.request.model``, ``gen_ai.response.model`` or ``gen_ai.operation.name``
are not LLM calls and are skipped (counted, not rejected). A file in which no object is an
export request is one clear error ("not OTLP/JSON"), not thousands of rejected rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from autoopt.errors import MetricsError
from autoopt.metrics.files import Raw, _lines, arrow_table, arrow_types, json_records
from autoopt.metrics.table import RowsReport

_GENAI_KEYS = ("gen_ai.request.model", "gen_ai.response.model", "gen_ai.operation.name")
#: canonical column → the attribute names it is read from, newest convention first.
ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "model": ("gen_ai.request.model", "gen_ai.response.model"),
    "response_model": ("gen_ai.response.model",),
    "provider": ("gen_ai.provider.name", "gen_ai.system"),
    "tokens_in": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "tokens_out": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "tokens_cached": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "gen_ai.usage.input_tokens.cached",
    ),
    "tokens_cache_write": (
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "gen_ai.usage.input_tokens.cache_write",
    ),
    "tokens_reasoning": (
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
        "gen_ai.usage.output_tokens.reasoning",
    ),
    "temperature": ("gen_ai.request.temperature",),
    "max_tokens": ("gen_ai.request.max_tokens",),
    "error_type": ("error.type",),
    "ttft_ms": ("autoopt.ttft_ms",),
    "cost_usd": ("autoopt.cost_usd",),
    "quality": ("autoopt.quality",),
    "variant": ("autoopt.variant",),
}
_STATUS_ERROR = (2, "2", "STATUS_CODE_ERROR", "ERROR")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def attribute_value(value: Any) -> Any:
    """The Python value of an OTLP/JSON ``AnyValue`` (int64 arrives as a string)."""
    if not isinstance(value, Mapping):
        return None
    if "stringValue" in value or "doubleValue" in value:
        return value.get("stringValue", value.get("doubleValue"))
    if "intValue" in value:
        return _int(value["intValue"])
    if "arrayValue" in value and isinstance(value["arrayValue"], Mapping):
        return [attribute_value(v) for v in value["arrayValue"].get("values") or []]
    return bool(value["boolValue"]) if "boolValue" in value else None


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return value


def attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = attribute_value(item.get("value") or {})
    return out


def _first(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((attrs[k] for k in keys if attrs.get(k) is not None), None)


def span_row(
    span: Mapping[str, Any], resource: Mapping[str, Any], version_key: str
) -> dict[str, Any]:
    """One canonical row (raw values, validated later) from one GenAI span."""
    attrs = {**resource, **attributes(span.get("attributes"))}
    start, end = _nanos(span.get("startTimeUnixNano")), _nanos(span.get("endTimeUnixNano"))
    status = span.get("status")
    code = status.get("code", 0) if isinstance(status, Mapping) else 0
    row: dict[str, Any] = {
        "timestamp": _iso(start),
        "service": attrs.get("service.name"),
        "version": attrs.get(version_key),
        "latency_ms": (end - start) / 1e6 if start is not None and end is not None else None,
        "error": code in _STATUS_ERROR,
    }
    for column, keys in ATTRIBUTES.items():
        row[column] = _first(attrs, keys)
    return row


def _nanos(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _iso(nanos: int | None) -> str | None:
    """Nanoseconds since the epoch as ISO text with microseconds (exact)."""
    if nanos is None:
        return None
    try:
        moment = _EPOCH + timedelta(microseconds=nanos // 1000)
    except OverflowError:
        return str(nanos)  # the canonical rules reject it as bad_timestamp
    return moment.isoformat()


def _objects(path: Path, display: str, report: RowsReport) -> list[dict[str, Any]]:
    lines = _lines(path, report)
    text = "\n".join(lines)
    try:
        whole = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        whole = None
    if isinstance(whole, dict):
        return [whole]
    if isinstance(whole, list):
        raise MetricsError(f"{display}: a JSON array, not OTLP/JSON (one export request a line)")
    return list(json_records(lines, report))


def _export_requests(
    objects: list[dict[str, Any]], display: str, report: RowsReport
) -> Iterator[dict[str, Any]]:
    requests = [o for o in objects if isinstance(o.get("resourceSpans"), list)]
    if objects and not requests:
        raise MetricsError(
            f"{display}: not OTLP/JSON: none of its {len(objects)} JSON object(s) has "
            "resourceSpans (expected the OpenTelemetry Collector file exporter's output; "
            "per-request rows go under metrics type: files)"
        )
    if not objects and report.rejected:
        raise MetricsError(f"{display}: not OTLP/JSON: no line is a JSON object")
    report.reject("unparseable", len(objects) - len(requests))
    yield from requests


def read_spans(path: Path, version_key: str, display: str, name: str) -> tuple[Raw | None, int]:
    """The GenAI spans of one export file as a raw relation, and how many other spans were
    skipped; None when the file holds no GenAI span."""
    report = RowsReport()
    rows: list[dict[str, Any]] = []
    skipped = 0
    for request in _export_requests(_objects(path, display, report), display, report):
        for resource_spans in request["resourceSpans"]:
            if not isinstance(resource_spans, dict):
                continue
            resource = attributes((resource_spans.get("resource") or {}).get("attributes"))
            for scope in resource_spans.get("scopeSpans") or []:
                for span in (scope.get("spans") or []) if isinstance(scope, dict) else []:
                    if not isinstance(span, dict):
                        continue
                    span_attrs = attributes(span.get("attributes"))
                    if not span_attrs.keys() & set(_GENAI_KEYS):
                        skipped += 1
                        continue
                    rows.append(span_row(span, resource, version_key))
    if not rows:
        return (Raw(display, name, {}, None, report) if report.rejected else None), skipped
    table = arrow_table(rows, {}, display)
    return Raw(display, name, arrow_types(table), table, report), skipped

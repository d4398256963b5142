"""OpenTelemetry span exports (OTLP/JSON, as the collector's file exporter writes them).

Each line of the file is one ``{"resourceSpans": [...]}`` export request (a whole file holding a
single such object also works). GenAI spans are read through the semantic conventions:

==============================  =======================================================
canonical column                where it comes from
==============================  =======================================================
``timestamp``                   span ``startTimeUnixNano``
``latency_ms``                  ``endTimeUnixNano - startTimeUnixNano``
``service``                     resource (or span) attribute ``service.name``
``version``                     the ``version_attribute`` setting (``service.version``)
``model``                       ``gen_ai.request.model`` (else ``gen_ai.response.model``)
``tokens_in`` / ``tokens_out``  ``gen_ai.usage.input_tokens`` / ``output_tokens``
``error``                       span ``status.code`` is ERROR (2)
``error_type``                  ``error.type``
``temperature``, ``max_tokens``  ``gen_ai.request.temperature`` / ``max_tokens``
``ttft_ms``, ``cost_usd``,      ``autoopt.ttft_ms``, ``autoopt.cost_usd``,
``quality``, ``variant``        ``autoopt.quality``, ``autoopt.variant`` (optional)
==============================  =======================================================

Spans without ``gen_ai.request.model``, ``gen_ai.response.model`` or ``gen_ai.operation.name``
are not LLM calls and are skipped (counted as ``skipped_spans``, not as rejected rows).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from autoopt.metrics.files import json_records, open_text
from autoopt.metrics.table import RowsReport

_GENAI_KEYS = ("gen_ai.request.model", "gen_ai.response.model", "gen_ai.operation.name")
_ATTRS = {
    "tokens_in": "gen_ai.usage.input_tokens",
    "tokens_out": "gen_ai.usage.output_tokens",
    "temperature": "gen_ai.request.temperature",
    "max_tokens": "gen_ai.request.max_tokens",
    "error_type": "error.type",
    "ttft_ms": "autoopt.ttft_ms",
    "cost_usd": "autoopt.cost_usd",
    "quality": "autoopt.quality",
    "variant": "autoopt.variant",
}
_STATUS_ERROR = (2, "2", "STATUS_CODE_ERROR", "ERROR")


def attribute_value(value: Mapping[str, Any]) -> Any:
    """The Python value of an OTLP/JSON ``AnyValue`` (int64 arrives as a string)."""
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    if "doubleValue" in value:
        return value["doubleValue"]
    if "arrayValue" in value:
        return [attribute_value(v) for v in value["arrayValue"].get("values", [])]
    return bool(value["boolValue"]) if "boolValue" in value else None


def attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = attribute_value(item.get("value") or {})
    return out


def span_row(
    span: Mapping[str, Any], resource: Mapping[str, Any], version_key: str
) -> dict[str, Any]:
    """One canonical row (raw values, validated later) from one GenAI span."""
    attrs = {**resource, **attributes(span.get("attributes"))}
    start, end = _nanos(span.get("startTimeUnixNano")), _nanos(span.get("endTimeUnixNano"))
    status = (span.get("status") or {}).get("code", 0)
    row: dict[str, Any] = {
        "timestamp": pd.Timestamp(start, unit="ns", tz="UTC") if start is not None else None,
        "service": attrs.get("service.name"),
        "version": attrs.get(version_key),
        "model": attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model"),
        "latency_ms": (end - start) / 1e6 if start is not None and end is not None else None,
        "error": status in _STATUS_ERROR,
    }
    for column, key in _ATTRS.items():
        row[column] = attrs.get(key)
    return row


def _nanos(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _requests(path: Path, report: RowsReport) -> Iterator[Mapping[str, Any]]:
    with open_text(path) as handle:
        text = handle.read()
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        yield whole
        return
    yield from json_records(text.splitlines(), report)


def read_spans(path: Path, version_key: str, report: RowsReport) -> tuple[pd.DataFrame, int]:
    """The GenAI spans of one export file as raw rows, and how many other spans were skipped."""
    rows: list[dict[str, Any]] = []
    skipped = 0
    for request in _requests(path, report):
        for resource_spans in request.get("resourceSpans") or []:
            resource = attributes((resource_spans.get("resource") or {}).get("attributes"))
            for scope in resource_spans.get("scopeSpans") or []:
                for span in scope.get("spans") or []:
                    span_attrs = {a.get("key") for a in span.get("attributes") or []}
                    if not span_attrs.intersection(_GENAI_KEYS):
                        skipped += 1
                        continue
                    rows.append(span_row(span, resource, version_key))
    return pd.DataFrame.from_records(rows), skipped

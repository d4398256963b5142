"""Where each canonical quantity lives in a Prometheus server, and the PromQL that reads it.

Two presets (see docs/prometheus.md):

* ``autoopt`` — what :mod:`autoopt.client` exports: a latency histogram
  ``llm_request_duration_seconds`` (``le`` buckets, every request, failed ones labelled
  ``error="true"`` so the judge can read the successes' latencies alone), the
  counters ``llm_requests_total``, ``llm_request_errors_total``, ``llm_tokens_input_total``,
  ``llm_tokens_output_total``, ``llm_cost_usd_total`` and a quality histogram (or summary)
  ``llm_quality_score`` (0–100, its ``_sum`` and ``_count``); labels ``service``,
  ``version``, ``model``.
* ``otel-genai`` — the OpenTelemetry GenAI client metrics as the Collector's Prometheus
  exporter writes them: ``gen_ai_client_operation_duration_seconds`` (requests are its
  ``_count``; errors the ones with an ``error_type``), ``gen_ai_client_token_usage`` (its
  ``_sum`` by ``gen_ai_token_type``), model ``gen_ai_request_model``; service ``job`` (the
  exporter's name for ``service.name``) and version ``service_version`` (resource attributes
  as labels: ``resource_to_telemetry_conversion: {enabled: true}``). No cost metric: cost is
  priced from the tokens per model.

Every question becomes one query per quantity for all the services asked about:
``sum by (service, version[, model]) (increase(metric{service=~"a|b|…"}[Δ]))``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from autoopt.spec.prometheus import PromLayout

Matcher = tuple[str, str, str]  # label, operator, value


@dataclass(frozen=True)
class Series:
    """A counter-like series: a metric name and matchers of its own (besides the selector's)."""

    metric: str
    matchers: tuple[Matcher, ...] = ()


@dataclass(frozen=True)
class Layout:
    latency: str  # histogram base name (seconds)
    requests: Series
    errors: Series | None
    tokens_in: Series | None
    tokens_out: Series | None
    cost: Series | None
    quality: str | None  # histogram/summary base name: its _sum and _count
    service: str = "service"
    version: str = "version"
    model: str = "model"
    matchers: tuple[Matcher, ...] = ()
    preset: str = "autoopt"
    # what picks the successful requests' latency series (for the judge); a series without
    # the label matches too, so a histogram that does not tell them apart gives all requests
    success: tuple[Matcher, ...] = ()


AUTOOPT = Layout(
    latency="llm_request_duration_seconds",
    requests=Series("llm_requests_total"),
    errors=Series("llm_request_errors_total"),
    tokens_in=Series("llm_tokens_input_total"),
    tokens_out=Series("llm_tokens_output_total"),
    cost=Series("llm_cost_usd_total"),
    quality="llm_quality_score",
    success=(("error", "!=", "true"),),
)

_OTEL_DURATION = "gen_ai_client_operation_duration_seconds"
OTEL_GENAI = Layout(
    latency=_OTEL_DURATION,
    requests=Series(f"{_OTEL_DURATION}_count"),
    errors=Series(f"{_OTEL_DURATION}_count", (("error_type", "!=", ""),)),
    tokens_in=Series("gen_ai_client_token_usage_sum", (("gen_ai_token_type", "=", "input"),)),
    tokens_out=Series("gen_ai_client_token_usage_sum", (("gen_ai_token_type", "=", "output"),)),
    cost=None,
    quality=None,
    service="job",
    version="service_version",
    model="gen_ai_request_model",
    preset="otel-genai",
    success=(("error_type", "=", ""),),
)

PRESETS = {"autoopt": AUTOOPT, "otel-genai": OTEL_GENAI}


def resolve(settings: PromLayout) -> Layout:
    """The preset with the settings' overrides (an overridden quantity is a plain metric)."""
    layout = PRESETS[settings.preset]
    names = dict(settings.metrics)
    changes: dict[str, object] = {}
    for key in ("latency", "quality"):
        if key in names:
            changes[key] = names[key]
    for key in ("requests", "errors", "tokens_in", "tokens_out", "cost"):
        if key in names:
            changes[key] = Series(names[key])
    for key, label in (
        ("service", settings.service_label),
        ("version", settings.version_label),
        ("model", settings.model_label),
    ):
        if label:
            changes[key] = label
    changes["matchers"] = tuple((k, "=", v) for k, v in sorted(settings.matchers.items()))
    return replace(layout, **changes)  # type: ignore[arg-type]


def string(value: str) -> str:
    """A PromQL string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


_REGEX_META = re.compile(r"([\\.^$|?*+()\[\]{}])")


def alternatives(values: Sequence[str]) -> str:
    """An RE2 alternation matching exactly ``values`` (PromQL regexes are anchored)."""
    return "|".join(_REGEX_META.sub(r"\\\1", v) for v in sorted(set(values)))


def selector(layout: Layout, series: Series, services: Sequence[str]) -> str:
    """``metric{service=~"a|b", <matchers>}``."""
    parts = []
    if len(set(services)) == 1:
        parts.append(f"{layout.service}={string(services[0])}")
    elif services:
        parts.append(f"{layout.service}=~{string(alternatives(services))}")
    for label, op, value in (*layout.matchers, *series.matchers):
        parts.append(f"{label}{op}{string(value)}")
    return f"{series.metric}{{{', '.join(parts)}}}"


def seconds(value: float) -> str:
    """A PromQL duration (whole seconds)."""
    return f"{round(value)}s"


def increase(
    layout: Layout,
    series: Series,
    services: Sequence[str],
    span: float,
    *,
    by_model: bool = False,
    extra: Sequence[str] = (),
    shift: float = 0.0,
) -> str:
    """``sum by (service, version[, model][, extra]) (increase(sel[span] [offset]))``."""
    labels = [layout.service, layout.version, *([layout.model] if by_model else []), *extra]
    offset = f" offset {seconds(shift)}" if shift else ""
    inner = f"increase({selector(layout, series, services)}[{seconds(span)}]{offset})"
    return f"sum by ({', '.join(labels)}) ({inner})"


def buckets(
    layout: Layout,
    services: Sequence[str],
    span: float,
    *,
    shift: float = 0.0,
    successes: bool = False,
) -> str:
    """The latency histogram's bucket increases by (service, version, le) (of the
    successful requests only, when ``successes`` and the layout can tell)."""
    series = Series(f"{layout.latency}_bucket", layout.success if successes else ())
    return increase(layout, series, services, span, extra=("le",), shift=shift)


def presence(layout: Layout, series: Series, services: Sequence[str]) -> str:
    """Which (service, version) have the series at an instant (partial-range check)."""
    return f"count by ({layout.service}, {layout.version}) ({selector(layout, series, services)})"


def exists(metric: str) -> str:
    """Does the server hold ``metric`` at all (for the "no data" explanation)."""
    return f"count({{__name__={string(metric)}}})"

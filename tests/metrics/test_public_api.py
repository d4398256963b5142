from __future__ import annotations

from autoopt import metrics


def test_exported_members_are_pinned() -> None:
    assert sorted(metrics.__all__) == [
        "COLUMNS",
        "MetricsRead",
        "MetricsSource",
        "price_for",
        "profile_models",
        "read_metrics",
        "source_from_settings",
        "summarise",
    ]


def test_columns_are_the_simulators_columns_in_order() -> None:
    assert metrics.COLUMNS == (
        "timestamp", "service", "version", "variant", "model", "latency_ms", "ttft_ms",
        "tokens_in", "tokens_out", "cost_usd", "error", "quality", "truncated", "error_type",
    )  # fmt: skip

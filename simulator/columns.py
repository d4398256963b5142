"""The canonical metrics table's columns, in order (the contract with autoopt's metrics)."""

from __future__ import annotations

COLUMNS: tuple[str, ...] = (
    "timestamp",
    "service",
    "version",
    "variant",
    "model",
    "latency_ms",
    "ttft_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "error",
    "quality",
    "truncated",
    "error_type",
)

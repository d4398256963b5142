"""Metrics: sources → the canonical per-request table → per-candidate summaries.

The public surface is small and pinned by ``tests/metrics/test_public_api.py``.
"""

from __future__ import annotations

from autoopt.metrics.pricing import price_for
from autoopt.metrics.profile import profile_models
from autoopt.metrics.sources import MetricsRead, MetricsSource, read_metrics, source_from_settings
from autoopt.metrics.summary import summarise
from autoopt.metrics.table import COLUMNS

__all__ = [
    "COLUMNS",
    "MetricsRead",
    "MetricsSource",
    "price_for",
    "profile_models",
    "read_metrics",
    "source_from_settings",
    "summarise",
]

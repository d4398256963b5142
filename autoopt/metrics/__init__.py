"""Metrics: sources → the canonical per-request table → per-candidate summaries.

The public surface is small and pinned by ``tests/metrics/test_public_api.py``. Names load
on first use, so importing one light part (the source protocol) does not import pandas,
scipy or DuckDB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoopt.metrics.pricing import price_for
    from autoopt.metrics.profile import profile_models
    from autoopt.metrics.sources import (
        MetricsRead,
        MetricsSource,
        read_metrics,
        source_from_settings,
    )
    from autoopt.metrics.summary import summarise
    from autoopt.metrics.table import COLUMNS

_HOMES = {
    "COLUMNS": "autoopt.metrics.table",
    "MetricsRead": "autoopt.metrics.sources",
    "MetricsSource": "autoopt.metrics.sources",
    "price_for": "autoopt.metrics.pricing",
    "profile_models": "autoopt.metrics.profile",
    "read_metrics": "autoopt.metrics.sources",
    "source_from_settings": "autoopt.metrics.sources",
    "summarise": "autoopt.metrics.summary",
}

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


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'autoopt.metrics' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)

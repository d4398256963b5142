"""Durations as people write them in YAML: ``30s``, ``5m``, ``1h``, ``1d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from autoopt.errors import shorten

#: The longest duration anything may be (a stage, a window, a cooldown): 100 years. Longer
#: ones would overflow date arithmetic (``now - 99999999d``), so they are refused up front.
MAX_DURATION = timedelta(days=36500)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(text: str) -> timedelta:
    """Parse ``1h30m`` style text; raise ``ValueError`` with a helpful message otherwise."""
    raw = text.strip()
    pos, total = 0, 0.0
    for match in _PART.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not raw or pos != len(raw):
        raise ValueError(
            f"invalid duration {shorten(text)!r}: expected e.g. 30s, 5m, 1h, 1d or 1h30m"
        )
    if total > MAX_DURATION.total_seconds():
        raise ValueError(f"duration {shorten(text)!r} is too long (the limit is 36500d, 100 years)")
    value = timedelta(seconds=total)
    if not value:
        raise ValueError(f"duration {shorten(text)!r} must be positive")
    return value


def format_duration(value: timedelta) -> str:
    """The shortest ``1h30m`` style spelling of ``value`` (whole seconds)."""
    seconds = round(value.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _coerce(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError("expected a duration such as 30s, 5m, 1h or 1d")


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"}),
]

"""Pull-request bodies and comments, rendered from jinja2 templates shipped in the package.

Templates live in ``autoopt/templates/*.j2`` and are rendered with ``StrictUndefined``: a
missing variable is an error, never an empty string. The context is plain data (dicts, lists,
strings, numbers) built by the workflow; this module knows nothing about decisions.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

METADATA_MARKER = "autoopt:metadata"
_METADATA = re.compile(r"<!-- autoopt:metadata (\{.*?\}) -->", re.DOTALL)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("autoopt", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML; table cells are escaped by the `cell` filter
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=number, pct=percent, cell=cell, est=estimate)
    return env


def render(name: str, context: Mapping[str, Any]) -> str:
    """Render template ``name`` (e.g. ``pr_body.md.j2``) with ``context``."""
    try:
        return environment().get_template(name).render(**context)
    except jinja2.UndefinedError as exc:
        raise ValueError(f"template {name}: {exc.message}") from exc


def number(value: float | int | None, digits: int = 4) -> str:
    """A number for people: ``4`` significant digits, thousands separated, ``—`` if None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, int) or (
        math.isfinite(value) and float(value).is_integer() and abs(value) >= 1000
    ):
        return f"{int(value):,}"
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - magnitude, 0)
    return f"{value:,.{decimals}f}"


def percent(value: float | None, signed: bool = True) -> str:
    """``-0.4`` → ``−40.0%`` (typographic minus; ``+`` shown when ``signed``)."""
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{abs(value) * 100:.1f}%"
    if value < 0:
        return "−" + text
    return ("+" if signed and value > 0 else "") + text


def estimate(value: Mapping[str, float] | None) -> str:
    """``{"value", "low", "high"}`` → ``0.0123 [0.0120, 0.0126]``."""
    if value is None:
        return "—"
    point = number(value["value"])
    if value["low"] == value["high"] == value["value"]:
        return point
    return f"{point} [{number(value['low'])}, {number(value['high'])}]"


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def metadata_comment(data: Mapping[str, Any]) -> str:
    """Machine-readable metadata as an HTML comment (invisible on GitHub)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    safe = text.replace(">", "\\u003e")  # a JSON escape, so no "-->" can end the comment
    return f"<!-- {METADATA_MARKER} {safe} -->"


def read_metadata(body: str) -> dict[str, Any] | None:
    """The metadata a body carries, or None (a body edited by a person may have lost it)."""
    match = _METADATA.search(body)
    if match is None:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class ChartPoint:
    name: str
    x: float
    y: float


def _scale(values: Sequence[float]) -> list[float]:
    low, high = min(values), max(values)
    if high == low:
        return [0.5 for _ in values]
    return [round(0.05 + 0.9 * (v - low) / (high - low), 3) for v in values]


def mermaid_quadrant(
    points: Sequence[ChartPoint], *, title: str, x_label: str, y_label: str
) -> str | None:
    """A Mermaid ``quadrantChart`` of ``points`` (axes rescaled to 0..1), or None if < 2."""
    usable = [p for p in points if math.isfinite(p.x) and math.isfinite(p.y)]
    if len(usable) < 2:
        return None
    xs, ys = _scale([p.x for p in usable]), _scale([p.y for p in usable])
    lines = [
        "quadrantChart",
        f"    title {_label(title)}",
        f"    x-axis Low {_label(x_label)} --> High {_label(x_label)}",
        f"    y-axis Low {_label(y_label)} --> High {_label(y_label)}",
    ]
    lines += [f"    {_label(p.name)}: [{x}, {y}]" for p, x, y in zip(usable, xs, ys, strict=True)]
    return "\n".join(lines)


def _label(text: str) -> str:
    # mermaid's quadrant text: letters, digits, ._+ and spaces, '-' not first
    return re.sub(r"[^A-Za-z0-9 ._+-]", " ", text).strip().lstrip("-").strip() or "?"

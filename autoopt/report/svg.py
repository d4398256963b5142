"""Tiny SVG chart primitives: enough for a scatter, a band chart and a bar pair.

Everything is escaped; numbers are formatted with fixed precision so output is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 560, 300
MARGIN = (48, 16, 36, 64)  # top, right, bottom, left

PALETTE = {
    "stable": "#4c78a8",
    "canary": "#f58518",
    "chosen": "#e45756",
    "other": "#9d9d9d",
    "front": "#54a24b",
    "bound": "#b279a2",
}


@dataclass(frozen=True)
class Scale:
    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo or 1.0
        return self.start + (value - self.lo) / span * (self.end - self.start)


def nice_range(values: Sequence[float], pad: float = 0.08) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    if lo == hi:
        lo, hi = lo - abs(lo) * 0.1 - 1e-9, hi + abs(hi) * 0.1 + 1e-9
    span = hi - lo
    return lo - span * pad, hi + span * pad


def text(x: float, y: float, content: str, cls: str, anchor: str = "start") -> str:
    """An SVG text element; ``content`` must already be escaped."""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">{content}</text>'


def fmt(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 10_000:
        return f"{value:.3g}"
    return f"{value:.2e}"


class Canvas:
    """An SVG drawing with x/y scales and axes."""

    def __init__(
        self, title: str, x: tuple[float, float], y: tuple[float, float], x_label: str, y_label: str
    ) -> None:
        top, right, bottom, left = MARGIN
        self.x = Scale(x[0], x[1], left, WIDTH - right)
        self.y = Scale(y[0], y[1], HEIGHT - bottom, top)
        self.parts: list[str] = [text(WIDTH / 2, 20, escape(title), "title", "middle")]
        self._axes(x_label, y_label)

    def _axes(self, x_label: str, y_label: str) -> None:
        top, right, bottom, left = MARGIN
        base = HEIGHT - bottom
        self.parts.append(
            f'<line x1="{left}" y1="{base}" x2="{WIDTH - right}" y2="{base}" class="axis"/>'
        )
        self.parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" class="axis"/>')
        for i in range(5):
            xv = self.x.lo + (self.x.hi - self.x.lo) * i / 4
            yv = self.y.lo + (self.y.hi - self.y.lo) * i / 4
            self.parts.append(text(self.x(xv), base + 16, fmt(xv), "tick", "middle"))
            self.parts.append(text(left - 6, self.y(yv) + 4, fmt(yv), "tick", "end"))
        self.parts.append(
            f'<text x="{(left + WIDTH - right) / 2:.0f}" y="{HEIGHT - 4}" text-anchor="middle" '
            f'class="label">{escape(x_label)}</text>'
        )
        self.parts.append(
            f'<text x="14" y="{(top + base) / 2:.0f}" text-anchor="middle" class="label" '
            f'transform="rotate(-90 14 {(top + base) / 2:.0f})">{escape(y_label)}</text>'
        )

    def point(self, x: float, y: float, color: str, label: str = "", r: float = 5) -> None:
        self.parts.append(
            f'<circle cx="{self.x(x):.1f}" cy="{self.y(y):.1f}" r="{r}" fill="{color}">'
            f"<title>{escape(label)}</title></circle>"
        )
        if label:
            self.parts.append(text(self.x(x) + 7, self.y(y) - 7, escape(label), "tick"))

    def segment(
        self, x1: float, y1: float, x2: float, y2: float, color: str, dash: bool = False
    ) -> None:
        style = ' stroke-dasharray="5 4"' if dash else ""
        self.parts.append(
            f'<line x1="{self.x(x1):.1f}" y1="{self.y(y1):.1f}" x2="{self.x(x2):.1f}" '
            f'y2="{self.y(y2):.1f}" stroke="{color}" stroke-width="2"{style}/>'
        )

    def bar(self, x: float, width: float, y: float, color: str, label: str) -> None:
        left, right = self.x(x - width / 2), self.x(x + width / 2)
        top, base = self.y(y), self.y(max(self.y.lo, 0.0))
        self.parts.append(
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" '
            f'height="{base - top:.1f}" '
            f'fill="{color}"><title>{escape(label)}</title></rect>'
        )
        self.parts.append(text((left + right) / 2, top - 5, escape(label), "tick", "middle"))

    def legend(self, items: Sequence[tuple[str, str]]) -> None:
        x = MARGIN[3] + 8
        for name, color in items:
            self.parts.append(f'<rect x="{x}" y="30" width="10" height="10" fill="{color}"/>')
            self.parts.append(f'<text x="{x + 14}" y="39" class="tick">{escape(name)}</text>')
            x += 14 + 7 * len(name) + 16

    def render(self) -> str:
        body = "\n".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}" role="img">\n{body}\n</svg>'
        )

"""A cycle's results as text, JSON Lines and Markdown (the Actions step summary)."""

from __future__ import annotations

import json
from typing import Literal

from autoopt.cycle.events import CycleEvent, CycleSummary, alert_message

Level = Literal["notice", "warning", "error"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _detail(event: CycleEvent) -> str:
    if event.error is not None:
        return f"FAILED: {event.error}"
    parts = []
    if event.target is not None:
        parts.append(f"→ {event.target['version']}")
    if event.improvement is not None:
        confidence = "" if event.confidence is None else f", confidence {event.confidence:.0%}"
        parts.append(f"improvement {_pct(event.improvement.value)}{confidence}")
    if any(f.name == event.trigger for f in event.triggers):
        parts.append(f"trigger {event.trigger}")
    if event.pull_request is not None:
        url = f" {event.pull_request.url}" if event.pull_request.url else ""
        parts.append(f"#{event.pull_request.number}{url}")
    codes = ",".join(dict.fromkeys(r.code for r in event.reasons))
    if codes:
        parts.append(f"[{codes}]")
    return " ".join(parts)


def text(summary: CycleSummary) -> str:
    lines = []
    if summary.stop is not None:
        lines.append(summary.stop.line())
    rows = [("SERVICE", "POLICY", "DECISION", "ACTION", "DETAIL")]
    rows += [(e.service, e.policy or "—", e.decision, e.action, _detail(e)) for e in summary.events]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[4]
        )
    lines.append("")
    for event, alert in summary.alerts():
        lines.append(
            f"ALERT {event.service} {alert.name} ({alert.priority}): {alert_message(alert)}"
        )
    lines.append(summary.line())
    if summary.dashboard is not None:
        lines.append(f"dashboard: #{summary.dashboard.number} {summary.dashboard.url}".rstrip())
    if summary.dashboard_error is not None:
        lines.append(f"dashboard not updated: {summary.dashboard_error}")
    return "\n".join(lines)


def json_lines(summary: CycleSummary) -> str:
    """One JSON object per service, then the summary object: JSON Lines."""
    items = [e.as_dict() for e in summary.events] + [summary.as_dict()]
    return "\n".join(json.dumps(i, ensure_ascii=False, sort_keys=False) for i in items)


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(summary: CycleSummary) -> str:
    """The Markdown written to ``$GITHUB_STEP_SUMMARY``."""
    lines = ["### autoopt cycle", ""]
    if summary.stop is not None:
        lines += [f"> **Emergency stop**: {_cell(summary.stop.line())}", ""]
    lines += ["| service | policy | decision | action | detail |", "|---|---|---|---|---|"]
    for e in summary.events:
        lines.append(
            f"| `{e.service}` | {e.policy or '—'} | **{e.decision}** | {e.action} | "
            f"{_cell(_detail(e))} |"
        )
    if summary.alerts():
        lines += ["", "#### Alerts", ""]
        for event, alert in summary.alerts():
            lines.append(
                f"- **{alert.priority}** `{event.service}` {alert.name}: "
                f"{_cell(alert_message(alert))}"
            )
    lines += ["", summary.line(), ""]
    return "\n".join(lines)


def marks(summary: CycleSummary) -> list[tuple[Level, str, str]]:
    """(level, title, message) of what deserves a mark on the workflow run."""
    found: list[tuple[Level, str, str]] = []
    if summary.stop is not None:
        found.append(("warning", "autoopt: emergency stop", summary.stop.reason))
    if summary.dashboard_error is not None:
        found.append(("error", "autoopt dashboard", summary.dashboard_error))
    for e in summary.events:
        title = f"autoopt {e.service}"
        if e.error is not None:
            found.append(("error", title, e.error))
        elif e.decision == "rollback":
            found.append(("warning", title, f"rollback: {_detail(e)}"))
        elif e.action == "blocked":
            found.append(("warning", title, f"{e.decision} not acted on: {_detail(e)}"))
        for alert in e.alerts:
            level: Level = "error" if alert.priority == "critical" else "warning"
            found.append((level, f"{title}: {alert.name}", alert_message(alert)))
    return found

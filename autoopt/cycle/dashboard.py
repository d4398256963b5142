"""The dashboard issue: every service at a glance, kept up to date by every cycle.

Like Renovate's Dependency Dashboard: one issue, created once, found again by an invisible
marker (``<!-- autoopt:dashboard -->``) and edited in place, never duplicated. One row per
service — the stable version and params, the canary and its stage with the last verdict, the
open proposal, and why nothing is happening when nothing is — and the last cycle's time and
failures. The last cycle's per-service outcome travels inside the body as an invisible JSON
comment, so ``autoopt status --format markdown`` can print the same view between cycles.

Pure except :func:`post` and :func:`read_last` (the forge): rows are built from the repository
as read, the open pull requests and the last cycle's record; Markdown is rendered last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autoopt.cycle.core import Cycle
    from autoopt.cycle.events import CycleSummary
    from autoopt.gitops.forge import Forge, Issue, PullRequest
    from autoopt.rollout.state import RepoState
    from autoopt.rollout.stop import EmergencyStop

MARKER = "autoopt:dashboard"
TITLE = "autoopt dashboard"
LABELS = ("autoopt",)
_RECORD = "autoopt:last-cycle "  # <!-- autoopt:last-cycle {json} -->
_MAX_CELL = 160

#: reason code → the few words that say why nothing is happening
WHY = {
    "paused": "paused",
    "emergency_stop": "emergency stop",
    "cooldown": "cooldown",
    "rollback_cooldown": "cooldown",
    "insufficient_data": "not enough data",
    "current_is_best": "no improvement",
    "no_candidates": "no improvement",
    "improvement_below_threshold": "no improvement",
    "confidence_below_threshold": "not confident enough",
    "risk_above_threshold": "too risky",
    "rollout_active": "a rollout is active",
    "no_policy": "no policy",
    "error": "failed",
}


@dataclass(frozen=True)
class Outcome:
    """What the last cycle decided for one service (the part the dashboard shows)."""

    decision: str
    action: str
    reasons: tuple[tuple[str, str], ...] = ()  # (code, message)
    error: str | None = None


@dataclass(frozen=True)
class LastCycle:
    at: str  # ISO 8601
    summary: str
    services: Mapping[str, Outcome] = field(default_factory=dict)
    failed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "summary": self.summary,
            "failed": list(self.failed),
            "services": {
                name: {
                    "decision": o.decision,
                    "action": o.action,
                    "reasons": [list(r) for r in o.reasons],
                    "error": o.error,
                }
                for name, o in sorted(self.services.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LastCycle:
        services = {
            str(name): Outcome(
                str(o.get("decision", "")),
                str(o.get("action", "")),
                tuple((str(c), str(m)) for c, m in o.get("reasons", [])),
                None if o.get("error") is None else str(o["error"]),
            )
            for name, o in dict(data.get("services", {})).items()
        }
        failed = tuple(str(s) for s in data.get("failed", []))
        return cls(str(data["at"]), str(data.get("summary", "")), services, failed)


def last_cycle(summary: CycleSummary) -> LastCycle:
    """The record of a cycle run: per service, the outcome of its (first) settled turn."""
    services: dict[str, Outcome] = {}
    for event in summary.events:
        reasons = tuple((r.code, r.message[:300]) for r in event.reasons[:3])
        services.setdefault(
            event.service, Outcome(event.decision, event.action, reasons, event.error)
        )
    at = summary.now.isoformat().replace("+00:00", "Z")
    return LastCycle(at, summary.line(), services, tuple(e.service for e in summary.failed))


@dataclass(frozen=True)
class Row:
    service: str
    stable: str
    params: str
    canary: str  # "v8 — stage 2 of 4 (25%)", or "—"
    verdict: str  # the last verdict on the canary, or "—"
    proposal: str  # "#12 title", or "—"
    why: str  # why nothing is happening, or "—" when something is


@dataclass(frozen=True)
class Dashboard:
    rows: tuple[Row, ...]
    stop: EmergencyStop | None
    last: LastCycle | None


def _params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items()))


def _stage(state: RepoState, service: str) -> str:
    spec = state.repository.configs[service].document.spec
    if spec.canary is not None:
        c = spec.canary
        return f"`{c.version}` — stage {c.step + 1} of {len(c.steps)} ({c.weight}%)"
    if spec.previous is not None and spec.previous.watch_until is not None:
        until = spec.previous.watch_until.strftime("%Y-%m-%d %H:%M UTC")
        return f"watching `{spec.stable.version}` until {until} (`{spec.previous.version}` kept)"
    return "—"


def _verdict(outcome: Outcome | None) -> str:
    if outcome is None or outcome.decision not in ("promote", "hold", "rollback"):
        return "—"
    codes = ", ".join(dict.fromkeys(code for code, _ in outcome.reasons))
    acted = "" if outcome.action in ("advance", "promote", "revert", "restore") else " (not acted)"
    return f"**{outcome.decision}**{acted}" + (f" ({codes})" if codes else "")


def _why(state: RepoState, service: str, outcome: Outcome | None) -> str:
    """Why nothing is happening: a control first, then what the last cycle said."""
    from autoopt.controls import block_reason

    config = state.repository.configs[service].document
    blocked = block_reason(state.stop, config)
    if blocked is not None:
        return f"{WHY[blocked.code]}: {blocked.values.get('reason', '')}"
    if outcome is None:
        return "not judged by a cycle yet"
    if outcome.error is not None:
        return f"failed: {outcome.error}"
    if outcome.action == "cooldown":
        return f"cooldown: {outcome.reasons[0][1] if outcome.reasons else ''}".rstrip(": ")
    if outcome.decision in ("no_change", "skipped", "hold"):
        code, message = outcome.reasons[0] if outcome.reasons else ("", "")
        label = WHY.get(code, outcome.decision.replace("_", " "))
        return f"{label}: {message}" if message else label
    return "—"


def _proposal(service: str, prs: Sequence[PullRequest]) -> str:
    from autoopt.propose.applying import is_proposal

    mine = sorted((p for p in prs if is_proposal(p.head, service)), key=lambda p: p.number)
    return ", ".join(f"#{p.number} {p.title}" for p in mine) or "—"


def build(state: RepoState, prs: Sequence[PullRequest], last: LastCycle | None) -> Dashboard:
    rows = []
    for service in sorted(state.repository.configs):
        spec = state.repository.configs[service].document.spec
        outcome = last.services.get(service) if last is not None else None
        rows.append(
            Row(
                service,
                spec.stable.version,
                _params(spec.stable.params.flat()),
                _stage(state, service),
                _verdict(outcome),
                _proposal(service, prs),
                _why(state, service, outcome),
            )
        )
    return Dashboard(tuple(rows), state.stop, last)


def _cell(text: str) -> str:
    one = " ".join(text.split()).replace("|", "\\|")
    return one if len(one) <= _MAX_CELL else one[: _MAX_CELL - 1] + "…"


def markdown(board: Dashboard) -> str:
    """The dashboard issue's body (and ``autoopt status --format markdown``)."""
    lines = [
        "This issue lists every service autoopt manages. autoopt edits it at every cycle; "
        "comment `/autoopt help` here for the commands.",
        "",
    ]
    if board.stop is not None:
        lines += [f"> **Emergency stop**: {_cell(board.stop.line())}", ""]
    lines += [
        "| service | stable | canary | last verdict | open proposal | why nothing is happening |",
        "|---|---|---|---|---|---|",
    ]
    for r in board.rows:
        stable = f"`{r.stable}` ({r.params})" if r.params else f"`{r.stable}`"
        cells = (r.canary, r.verdict, r.proposal, r.why)
        lines.append(f"| `{r.service}` | {_cell(stable)} | " + " | ".join(map(_cell, cells)) + " |")
    lines.append("")
    if board.last is None:
        lines.append("Last cycle: none yet.")
    else:
        when = board.last.at.replace("T", " ").replace("Z", " UTC")
        lines.append(f"Last cycle: {when} — {_cell(board.last.summary)}")
        for name in board.last.failed:
            outcome = board.last.services.get(name)
            error = outcome.error if outcome is not None and outcome.error else "failed"
            lines.append(f"- **{name} failed**: {_cell(error)}")
    lines.append("")
    if board.last is not None:
        # every value is a string, so escaping "-" (JSON's \u002d) keeps "--" out of the comment
        record = json.dumps(board.last.as_dict(), sort_keys=True, ensure_ascii=True)
        escaped = record.replace("-", "\\u002d")
        lines.append(f"<!-- {_RECORD}{escaped} -->")
    return "\n".join(lines) + "\n"


def record_of(body: str) -> LastCycle | None:
    """The last cycle's record kept in a dashboard body (None when absent or unreadable)."""
    start = body.find(f"<!-- {_RECORD}")
    if start < 0:
        return None
    end = body.find(" -->", start)
    text = body[start + len(_RECORD) + 5 : end if end >= 0 else None]
    try:
        data = json.loads(text)
        return LastCycle.from_dict(data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def read_last(forge: Forge) -> tuple[Issue | None, LastCycle | None]:
    issue = forge.find_issue(MARKER)
    return issue, (record_of(issue.body) if issue is not None else None)


def post(forge: Forge, board: Dashboard) -> tuple[Issue, bool]:
    """Create the dashboard issue, or edit the one carrying the marker; True when created."""
    return forge.upsert_issue(TITLE, markdown(board), marker=MARKER, labels=LABELS)


def update(cycle: Cycle, summary: CycleSummary) -> CycleSummary:
    """Bring the dashboard issue up to date after a cycle; the summary says where it is, or
    why it could not be (the cycle's own work has landed either way)."""
    from dataclasses import replace

    from autoopt.cycle.events import PullRef
    from autoopt.errors import UserError

    try:
        forge = cycle.forge()
        board = build(cycle.state(), list(forge.list_prs(state="open")), last_cycle(summary))
        issue, _created = post(forge, board)
    except UserError as exc:
        return replace(summary, dashboard_error=str(exc))
    return replace(summary, dashboard=PullRef(issue.number, issue.url))

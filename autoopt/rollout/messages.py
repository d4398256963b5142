"""Commit messages of rollout steps: a subject, the reasons, and ``Autoopt-*`` trailers.

The trailers are the audit log ``autoopt history`` reads back from ``git log``:
``Autoopt-Service``, ``Autoopt-Policy``, ``Autoopt-Decision`` (promote | hold | rollback),
``Autoopt-Action``, ``Autoopt-Version``, ``Autoopt-Step``, ``Autoopt-Weight``,
``Autoopt-Verdict-Reasons`` (comma-separated codes) and ``Autoopt-Verdict-Values``
(the reasons' numbers as one line of JSON, keyed by code).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from autoopt.rollout.machine import Action
from autoopt.values import Reason

Trailers = tuple[tuple[str, str], ...]


def one_line(text: str) -> str:
    return " ".join(text.split())


def reason_trailers(reasons: Sequence[Reason]) -> Trailers:
    codes = ",".join(r.code for r in reasons) or "none"
    values = {r.code: dict(r.values) for r in reasons if r.values}
    out: list[tuple[str, str]] = [("Autoopt-Verdict-Reasons", codes)]
    if values:
        out.append(
            ("Autoopt-Verdict-Values", json.dumps(values, sort_keys=True, separators=(",", ":")))
        )
    return tuple(out)


def subject(action: Action, service: str, version: str, *, stable: str, weight: int | None) -> str:
    """One line that says what happened to whom."""
    if action is Action.ADVANCE:
        return f"autoopt: {service} {version} to {weight}% of traffic"
    if action is Action.PROMOTE:
        return f"autoopt: promote {service} {version} to stable (was {stable})"
    if action is Action.REVERT:
        return f"autoopt: roll back {service} {version}; {stable} stays stable"
    if action is Action.END_WATCH:
        return f"autoopt: {service} {version} passed its watch window"
    if action is Action.RESTORE:
        return f"autoopt: revert {service} {version} to {stable} (regression in the watch window)"
    return f"autoopt: {service} {version} unchanged"


def format_message(title: str, body: Sequence[str], trailers: Trailers) -> str:
    """``title``, a blank line, the body lines, a blank line and the trailers."""
    parts = [one_line(title), ""]
    if body:
        parts += [*body, ""]
    parts += [f"{key}: {one_line(value)}" for key, value in trailers]
    return "\n".join(parts) + "\n"


def reason_lines(reasons: Sequence[Reason]) -> list[str]:
    return [f"- {r.code}: {one_line(r.message)}" for r in reasons]

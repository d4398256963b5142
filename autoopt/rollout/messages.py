"""Commit messages of rollout steps: a subject, the reasons, and ``Autoopt-*`` trailers.

The trailers are the audit log ``autoopt history`` reads back from ``git log``
(:mod:`autoopt.gitops.trailers`): ``Autoopt-Service``, ``Autoopt-Policy``,
``Autoopt-Decision`` (promote | hold | rollback), ``Autoopt-Action`` (advance, promote,
revert, end_watch, restore, or a control), ``Autoopt-From`` (the stable version),
``Autoopt-Version`` (the version rolled out), ``Autoopt-Step`` and ``Autoopt-Weight`` (the
stage moved to), one ``Autoopt-Reason`` per reason code, ``Autoopt-Verdict-Reasons`` (the
codes, comma-separated) and ``Autoopt-Verdict-Values`` (the reasons' numbers as one line of
JSON: a list of objects, each the reason's code and its values).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from autoopt.gitops import trailers as tr
from autoopt.rollout.machine import Action
from autoopt.values import Reason

Trailers = tuple[tuple[str, str], ...]
ACTION = "Autoopt-Action"
WEIGHT = "Autoopt-Weight"
VERDICT_REASONS = "Autoopt-Verdict-Reasons"
VERDICT_VALUES = "Autoopt-Verdict-Values"


def one_line(text: str) -> str:
    return " ".join(text.split())


def reason_trailers(reasons: Sequence[Reason]) -> Trailers:
    codes = dict.fromkeys(r.code for r in reasons)  # each code once, in order
    out: list[tuple[str, str]] = [(tr.REASON, code) for code in codes]
    out.append((VERDICT_REASONS, ",".join(r.code for r in reasons) or "none"))
    values = [{"code": r.code, **dict(r.values)} for r in reasons if r.values]
    if values:
        out.append((VERDICT_VALUES, json.dumps(values, sort_keys=True, separators=(",", ":"))))
    return tuple(out)


def subject(action: Action, service: str, version: str, *, stable: str, weight: int | None) -> str:
    """One line that says what happened to whom."""
    titles = {
        Action.ADVANCE: f"autoopt: {service} {version} to {weight}% of traffic",
        Action.PROMOTE: f"autoopt: promote {service} {version} to stable (was {stable})",
        Action.REVERT: f"autoopt: roll back {service} {version}; {stable} stays stable",
        Action.END_WATCH: f"autoopt: {service} {version} passed its watch window",
        Action.RESTORE: f"autoopt: revert {service} {version} to {stable} "
        "(regression in the watch window)",
    }
    return titles.get(action, f"autoopt: {service} {version} unchanged")


def format_message(title: str, body: Sequence[str], trailers: Trailers) -> str:
    """``title``, a blank line, the body lines, a blank line and the trailers."""
    return tr.format_message(title, "\n".join(body), trailers)


def reason_lines(reasons: Sequence[Reason]) -> list[str]:
    return [f"- {r.code}: {one_line(r.message)}" for r in reasons]

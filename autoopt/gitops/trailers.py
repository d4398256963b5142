"""Commit trailers: the audit log autoopt writes into, and reads back from, ``git log``.

Pure functions on strings. A trailer block is the last paragraph of a message when every line
in it is ``Token: value`` (or a continuation line starting with whitespace), as git defines it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

POLICY = "Autoopt-Policy"
DECISION = "Autoopt-Decision"
VERSION = "Autoopt-Version"
SERVICE = "Autoopt-Service"
FROM_VERSION = "Autoopt-From"
REASON = "Autoopt-Reason"
STEP = "Autoopt-Step"
PROPOSAL = "Autoopt-Proposal"
ACTOR = "Autoopt-Actor"  # the person (or workflow actor) who asked for a control
ACTION = "Autoopt-Action"  # what a commit did (also in rollout.messages, which reads it)

_TOKEN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(.*)$")

Trailers = tuple[tuple[str, str], ...]


def _one_line(value: str) -> str:
    return " ".join(value.split())


def format_trailers(pairs: Iterable[tuple[str, str]]) -> str:
    """``Key: value`` lines; values are folded onto one line, empty values dropped."""
    lines = []
    for key, value in pairs:
        if not _TOKEN.match(f"{key}: x"):
            raise ValueError(f"not a trailer key: {key!r}")
        folded = _one_line(value)
        if folded:
            lines.append(f"{key}: {folded}")
    return "\n".join(lines)


def format_message(subject: str, body: str, pairs: Iterable[tuple[str, str]]) -> str:
    """A commit message: one-line subject, an optional body, then the trailer block."""
    parts = [_one_line(subject)]
    if body.strip():
        parts.append(body.strip("\n"))
    block = format_trailers(pairs)
    if block:
        parts.append(block)
    return "\n\n".join(parts) + "\n"


def parse_trailers(message: str) -> Trailers:
    """The trailers of a commit message, in order; ``()`` when there is no trailer block."""
    paragraphs = re.split(r"\n[ \t]*\n", message.strip("\n"))
    if len(paragraphs) < 2:
        return ()
    pairs: list[tuple[str, str]] = []
    for line in paragraphs[-1].split("\n"):
        if line[:1] in (" ", "\t") and pairs:
            key, value = pairs[-1]
            pairs[-1] = (key, f"{value} {line.strip()}".strip())
            continue
        match = _TOKEN.match(line)
        if match is None:
            return ()
        pairs.append((match.group(1), match.group(2).strip()))
    return tuple(pairs)


def values(trailers: Trailers, key: str) -> list[str]:
    """Every value of ``key`` (case-insensitive, as git compares trailer keys)."""
    wanted = key.lower()
    return [v for k, v in trailers if k.lower() == wanted]


def first(trailers: Trailers, key: str) -> str | None:
    found = values(trailers, key)
    return found[0] if found else None


@dataclass(frozen=True)
class AuditEntry:
    """One commit of the audit log, as ``autoopt history`` shows it."""

    sha: str
    committed_at: datetime
    author: str
    subject: str
    service: str | None
    policy: str | None
    decision: str | None
    version: str | None
    from_version: str | None
    step: str | None
    reasons: tuple[str, ...]
    action: str | None = None  # Autoopt-Action: pause, resume, emergency-stop, advance, …
    actor: str | None = None  # Autoopt-Actor: the person who asked for a control

    @property
    def is_autoopt(self) -> bool:
        return self.decision is not None or self.action is not None

    def as_dict(self) -> dict[str, object]:
        return {
            "sha": self.sha,
            "committed_at": self.committed_at.isoformat(),
            "author": self.author,
            "subject": self.subject,
            "service": self.service,
            "policy": self.policy,
            "decision": self.decision,
            "version": self.version,
            "from": self.from_version,
            "step": self.step,
            "reasons": list(self.reasons),
            "action": self.action,
            "actor": self.actor,
        }


def audit_entry(sha: str, committed_at: datetime, author: str, message: str) -> AuditEntry:
    """Read the autoopt trailers of one commit into an :class:`AuditEntry`."""
    trailers = parse_trailers(message)
    return AuditEntry(
        sha=sha,
        committed_at=committed_at,
        author=author,
        subject=message.split("\n", 1)[0],
        service=first(trailers, SERVICE),
        policy=first(trailers, POLICY),
        decision=first(trailers, DECISION),
        version=first(trailers, VERSION),
        from_version=first(trailers, FROM_VERSION),
        step=first(trailers, STEP),
        reasons=tuple(values(trailers, REASON)),
        action=first(trailers, ACTION),
        actor=first(trailers, ACTOR),
    )


def proposal_trailers(
    *,
    service: str,
    policy: str,
    decision: str,
    version: str,
    from_version: str,
    reasons: Sequence[str] = (),
    extra: Mapping[str, str] | None = None,
) -> Trailers:
    """The trailers of a proposal commit, in a fixed order."""
    pairs: list[tuple[str, str]] = [
        (SERVICE, service),
        (POLICY, policy),
        (DECISION, decision),
        (FROM_VERSION, from_version),
        (VERSION, version),
    ]
    pairs += [(REASON, r) for r in reasons]
    pairs += list((extra or {}).items())
    return tuple(pairs)


def rollout_trailers(
    *,
    service: str,
    policy: str | None,
    decision: str,
    version: str,
    step: int | None = None,
    reasons: Sequence[str] = (),
) -> Trailers:
    """The trailers of a reconciler commit (``promote``, ``hold``, ``rollback``, ``revert``)."""
    pairs: list[tuple[str, str]] = [(SERVICE, service)]
    if policy:
        pairs.append((POLICY, policy))
    pairs += [(DECISION, decision), (VERSION, version)]
    if step is not None:
        pairs.append((STEP, str(step)))
    pairs += [(REASON, r) for r in reasons]
    return tuple(pairs)

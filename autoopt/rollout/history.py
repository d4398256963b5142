"""What the audit log (commit trailers on the base branch) tells the reconciler.

Pure functions over ``(committed_at, message)`` records, newest first:

* :func:`stage_starts` — when each earlier stage of a service's current rollout started, so the
  sequential judge sees the whole rollout as one test (the current stage's start is always in
  the config itself);
* :func:`last_rollbacks` — each service's most recent rollback, for the recovery check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from autoopt.gitops import trailers as tr
from autoopt.rollout.messages import ACTION
from autoopt.spec.models import LLMConfig

Record = tuple[datetime, str]  # (committed_at, message)


@dataclass(frozen=True)
class Entry:
    at: datetime
    service: str
    decision: str
    action: str | None
    version: str | None
    from_version: str | None
    step: int | None
    proposal: str | None = None  # the pull request the rollout came from (Autoopt-Proposal)


def entries(records: Iterable[Record]) -> list[Entry]:
    """The autoopt commits among ``records`` (order kept)."""
    found = []
    for at, message in records:
        pairs = tr.parse_trailers(message)
        service, decision = tr.first(pairs, tr.SERVICE), tr.first(pairs, tr.DECISION)
        if service is None or decision is None:
            continue
        step = tr.first(pairs, tr.STEP)
        found.append(
            Entry(
                at=at,
                service=service,
                decision=decision,
                action=tr.first(pairs, ACTION),
                version=tr.first(pairs, tr.VERSION),
                from_version=tr.first(pairs, tr.FROM_VERSION),
                step=int(step) if step is not None and step.isdigit() else None,
                proposal=tr.first(pairs, tr.PROPOSAL),
            )
        )
    return found


def proposals(log: Sequence[Entry]) -> dict[tuple[str, str], str]:
    """(service, version) → the pull request its rollout came from, as the newest rollout
    commit of that version recorded it: after a full promotion the canary block that named the
    pull request is gone, so the watch window and the recovery check find it here."""
    found: dict[tuple[str, str], str] = {}
    for entry in log:  # newest first
        if entry.proposal and entry.version:
            found.setdefault((entry.service, entry.version), entry.proposal)
    return found


def stage_starts(
    log: Sequence[Entry], configs: Mapping[str, LLMConfig]
) -> dict[str, dict[int, datetime]]:
    """Per service in a rollout: the start of each earlier stage found in the log.

    Walking back from the current stage, stage ``k`` started with the newest commit that moved
    this version to step ``k`` before stage ``k + 1`` started; stage 0 with the proposal
    commit of this version. The walk stops at the first stage not found.
    """
    out: dict[str, dict[int, datetime]] = {}
    for name, config in configs.items():
        canary = config.spec.canary
        if canary is None or canary.step == 0:
            continue
        mine = [e for e in log if e.service == name and e.version == canary.version]
        starts: dict[int, datetime] = {}
        after = canary.step_started_at
        for stage in range(canary.step - 1, -1, -1):
            found = next((e.at for e in mine if _starts(e, stage) and e.at < after), None)
            if found is None:
                break
            starts[stage] = after = found
        if starts:
            out[name] = starts
    return out


def _starts(entry: Entry, stage: int) -> bool:
    if stage == 0:
        return entry.decision == "propose"
    return entry.action == "advance" and entry.step == stage


@dataclass(frozen=True)
class Rollback:
    at: datetime
    version: str  # the version that was rolled back
    stable: str  # the version that serves all traffic since
    proposal: str | None = None  # the rolled-back rollout's pull request, when recorded


def last_rollbacks(log: Sequence[Entry]) -> dict[str, Rollback]:
    """Each service's newest autoopt commit, when it was a rollback."""
    newest: dict[str, Entry] = {}
    for entry in log:  # newest first
        newest.setdefault(entry.service, entry)
    return {
        name: Rollback(entry.at, entry.version, entry.from_version, entry.proposal)
        for name, entry in newest.items()
        if entry.decision == "rollback" and entry.version and entry.from_version
    }

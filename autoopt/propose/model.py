"""The values of the propose workflow: its plan, its result, and the JSON contract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from autoopt.decide.decision import Decision, Proposal
from autoopt.gitops.forge import PRRequest, PullRequest
from autoopt.gitops.repo import Identity
from autoopt.spec.edit import NewCanary


@dataclass(frozen=True)
class WhatIfRow:
    metric: str
    stable: str
    canary: str


@dataclass(frozen=True)
class WhatIf:
    """A simulation result as plain text for the PR body (fed by ``autoopt simulate``)."""

    title: str
    rows: tuple[WhatIfRow, ...] = ()
    verdict: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProposalPlan:
    """Everything a proposal will do, computed without touching anything.

    ``request`` is None when there is nothing to propose (``decision.kind`` is not propose).
    """

    decision: Decision
    service: str
    policy: str
    config_path: str  # relative to the GitOps directory, posix
    base: str
    remote: str
    bot: Identity
    now: datetime
    cooldown: timedelta
    old_text: str
    new_text: str | None = None
    branch: str | None = None
    diff: str = ""
    commit_message: str = ""
    request: PRRequest | None = None
    fingerprint: Mapping[str, float] = field(default_factory=dict)
    canary: NewCanary | None = None  # the canary block the edit adds (for ``with_proposal``)

    @property
    def body(self) -> str:
        return self.request.body if self.request else ""


Action = Literal["no_change", "created", "updated", "recovered", "closed", "cooldown", "left_alone"]


@dataclass(frozen=True)
class ProposalResult:
    """What ``apply`` did."""

    action: Action
    message: str
    branch: str | None = None
    sha: str | None = None
    pushed: bool = False
    pr: PullRequest | None = None


def _candidate(version: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"version": version, "params": dict(params)}


def as_json(plan: ProposalPlan, result: ProposalResult | None = None) -> dict[str, Any]:
    """The stable JSON contract of ``autoopt propose --format json``."""
    decision = plan.decision
    proposal = decision.proposal
    data: dict[str, Any] = {
        "decision": decision.kind.value,
        "service": plan.service,
        "policy": plan.policy,
        "from": _candidate(decision.current.version, decision.current.params),
        "to": None,
        "predicted": {},
        "confidence": None,
        "risk": None,
        "reasons": [{"code": r.code, "message": r.message} for r in decision.reasons],
        "plan": None,
    }
    if proposal is not None and plan.request is not None:
        data["to"] = _candidate(proposal.target.version, proposal.target.params)
        data["predicted"] = {
            name: {**p.estimate.as_dict(), "delta": p.delta}
            for name, p in proposal.predicted.items()
        }
        data["confidence"] = proposal.confidence
        data["risk"] = proposal.risk_level
        data["plan"] = {
            "branch": plan.branch,
            "commit_message": plan.commit_message,
            "diff": plan.diff,
            "body": plan.body,
        }
    if result is not None:
        data["result"] = {
            "action": result.action,
            "message": result.message,
            "branch": result.branch,
            "sha": result.sha,
            "pushed": result.pushed,
            "pr": None if result.pr is None else {"number": result.pr.number, "url": result.pr.url},
        }
    return data


def fingerprint(decision: Decision, proposal: Proposal) -> dict[str, float]:
    """The numbers that say whether the evidence changed materially since a closed PR."""
    n = sum(s.n for s in decision.summaries) or sum(a.n for a in decision.assessments)
    return {"improvement": round(proposal.improvement.value, 6), "n": float(n)}


def materially_changed(old: Mapping[str, Any] | None, new: Mapping[str, float]) -> bool:
    """True when the improvement moved by 5 points or more, or the evidence doubled."""
    if not old:
        return True
    try:
        moved = abs(float(new["improvement"]) - float(old["improvement"])) >= 0.05
        doubled = float(new["n"]) >= 2 * max(float(old["n"]), 1.0)
    except (KeyError, TypeError, ValueError):
        return True
    return moved or doubled

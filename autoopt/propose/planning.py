"""``plan``: a decision and the repository's documents in, a :class:`ProposalPlan` out. Pure."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from autoopt.decide.decision import Decision, DecisionKind, Proposal
from autoopt.gitops import trailers
from autoopt.gitops.forge import PRRequest
from autoopt.gitops.repo import Identity
from autoopt.propose.body import describe_params, render_body, summary_line
from autoopt.propose.model import ProposalPlan, WhatIf, fingerprint
from autoopt.spec import edit
from autoopt.spec.repository import Repository


def branch_name(service: str, version: str) -> str:
    """``autoopt/<service>/<version>``: the same params always give the same branch."""
    return f"autoopt/{service}/{version}"


def canary_params(stable: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """The stable params with the target's changes on top (``extra.x`` keys go into extra)."""
    merged = {k: v for k, v in stable.items()}
    extra = dict(merged.get("extra", {}))
    for key, value in target.items():
        if key.startswith("extra."):
            extra[key.removeprefix("extra.")] = value
        else:
            merged[key] = value
    if extra:
        merged["extra"] = extra
    return merged


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(True), new.splitlines(True), fromfile=f"a/{path}", tofile=f"b/{path}"
    )
    return "".join(lines)


def plan(
    repo: Repository,
    policy: str,
    decision: Decision,
    *,
    now: datetime,
    simulation: WhatIf | None = None,
) -> ProposalPlan:
    """What proposing ``decision`` would do to ``repo``: edit, branch, commit, pull request."""
    document = repo.policy(policy).document
    config = repo.config_for(document)
    spec = repo.settings.spec
    base = ProposalPlan(
        decision=decision,
        service=document.spec.target.service,
        policy=document.metadata.name,
        config_path=Path(document.spec.target.config).as_posix(),
        base=spec.defaults.base_branch,
        remote=spec.defaults.remote,
        bot=Identity(spec.bot.name, spec.bot.email),
        now=now,
        cooldown=document.spec.guards.closed_pr_cooldown,
        old_text=config.text,
    )
    proposal = decision.proposal
    if decision.kind is not DecisionKind.PROPOSE or proposal is None:
        return base
    stable = config.document.spec.stable.params.flat()
    params = canary_params(stable, proposal.target.params)
    canary = _canary(proposal, params, base)
    new_text = edit.start_rollout(config.text, canary, now=base.now)
    branch = branch_name(base.service, proposal.target.version)
    body = render_body(
        base,
        proposal,
        policy=document,
        strategy=repo.strategy_for(document),
        branch=branch,
        simulation=simulation,
    )
    title = (
        f"autoopt({base.service}): {describe_params(stable, params)} [{proposal.target.version}]"
    )
    objectives = [o.metric for o in document.spec.objectives]
    return replace(
        base,
        new_text=new_text,
        branch=branch,
        diff=unified_diff(base.config_path, config.text, new_text),
        commit_message=commit_message(base, decision, proposal, stable, params, objectives),
        request=PRRequest(
            title=title,
            body=body,
            head=branch,
            base=base.base,
            labels=("autoopt", f"risk:{proposal.risk_level}"),
        ),
        fingerprint=fingerprint(decision, proposal),
        canary=canary,
    )


def _canary(proposal: Proposal, params: Mapping[str, Any], base: ProposalPlan) -> edit.NewCanary:
    """The canary block that starts the proposal's staged rollout."""
    rollout = proposal.rollout
    return edit.NewCanary(
        version=proposal.target.version,
        params=params,
        steps=list(rollout.steps),
        durations=list(rollout.durations),
        policy=base.policy,
        strategy=rollout.kind,
    )


def with_proposal(plan: ProposalPlan, reference: str) -> ProposalPlan:
    """The plan whose canary block names its pull request (``proposal: '#12'``), so the
    rollout after the merge knows where to report its progress."""
    if plan.canary is None or plan.canary.proposal == reference:
        return plan
    canary = replace(plan.canary, proposal=reference)
    text = edit.start_rollout(plan.old_text, canary, now=plan.now)
    return replace(
        plan, canary=canary, new_text=text, diff=unified_diff(plan.config_path, plan.old_text, text)
    )


def commit_message(
    base: ProposalPlan,
    decision: Decision,
    proposal: Proposal,
    stable: Mapping[str, Any],
    params: Mapping[str, Any],
    objectives: Sequence[str] = (),
) -> str:
    pairs = trailers.proposal_trailers(
        service=base.service,
        policy=base.policy,
        decision=decision.kind.value,
        version=proposal.target.version,
        from_version=decision.current.version,
        reasons=list(dict.fromkeys(r.code for r in decision.reasons)),
    )
    subject = f"autoopt: propose {proposal.target.version} for {base.service}"
    body = f"{summary_line(proposal, objectives)}\n\n{describe_params(stable, params)}"
    return trailers.format_message(subject, body, pairs)

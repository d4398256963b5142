"""The pull-request body: plain data built from a decision, rendered by ``gitops.render``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from autoopt.decide.decision import Assessment, Decision, Proposal
from autoopt.gitops import render
from autoopt.propose.model import ProposalPlan, WhatIf, fingerprint
from autoopt.spec.durations import format_duration
from autoopt.spec.models import Policy, Strategy
from autoopt.values import Estimate

MAX_ROWS = 8
_TRIGGERS = {
    "error_rate_increase": "error rate more than {pp} percentage points above stable's",
    "latency_p95_increase": "p95 latency more than {pct} above stable's",
    "quality_decrease": "mean quality more than {pct} below stable's",
    "cost_increase": "cost per request more than {pct} above stable's",
}


def params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in params.items()) or "—"


def _show(value: Any) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def _either(params: Mapping[str, Any], key: str) -> str:
    return _show(params[key]) if key in params else "(unset)"


def describe_params(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """``model gpt-4o → gpt-4o-mini, temperature 0.7 → 0.5``: the params that change."""
    changes = [
        f"{k} {_either(old, k)} → {_either(new, k)}"
        for k in dict.fromkeys([*old, *new])
        if old.get(k) != new.get(k)
    ]
    return ", ".join(changes) or "no parameter change"


def summary_line(proposal: Proposal, metrics: Sequence[str] = ()) -> str:
    """One sentence: the version, the effect on ``metrics`` (default: all predicted)."""
    names = [m for m in metrics if m in proposal.predicted] or list(proposal.predicted)
    effects = ", ".join(
        f"{name} {render.percent(proposal.predicted[name].delta)}" for name in names
    )
    return (
        f"Proposes `{proposal.target.version}` instead of `{proposal.current.version}`: "
        f"{effects or 'no predicted change'} (weighted improvement "
        f"{render.percent(proposal.improvement.value)}, confidence "
        f"{render.percent(proposal.confidence, signed=False)}, risk {proposal.risk_level})."
    )


def _columns(policy: Policy, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    wanted = [o.metric for o in policy.spec.objectives]
    wanted += [c.metric for c in policy.spec.constraints]
    present = {m for row in rows for m in row["metrics"]}
    return [m for m in dict.fromkeys(wanted) if m in present]


def _metrics(values: Mapping[str, Estimate]) -> dict[str, dict[str, float]]:
    return {name: est.as_dict() for name, est in values.items()}


def _evidence(decision: Decision, target: str) -> list[dict[str, Any]]:
    current = decision.current.version
    roles = {current: "stable", target: "proposed"}
    if decision.assessments:
        order = {current: 0, target: 1}
        ranked = sorted(
            decision.assessments,
            key=lambda a: (order.get(a.candidate.version, 2), -a.score, a.candidate.version),
        )
        return [
            {
                "version": a.candidate.version,
                "role": roles.get(a.candidate.version, "")
                + (" (predicted)" if a.predicted else ""),
                "n": a.n,
                "metrics": _metrics(a.metrics),
            }
            for a in ranked[:MAX_ROWS]
        ]
    return [
        {
            "version": s.version,
            "role": roles.get(s.version, ""),
            "n": s.n,
            "metrics": _metrics(s.metrics),
        }
        for s in decision.summaries[:MAX_ROWS]
    ]


def _front(decision: Decision, target: str) -> list[Assessment]:
    front = [a for a in decision.assessments if a.pareto_rank == 0 or a.candidate.version == target]
    return sorted(front, key=lambda a: (-a.score, a.candidate.version))[:10]


def _chart(policy: Policy, front: Sequence[Assessment], decision: Decision) -> str | None:
    objectives = [o.metric for o in policy.spec.objectives]
    if len(objectives) < 2:
        return None
    x_metric, y_metric = objectives[:2]
    versions = {a.candidate.version for a in front}
    shown = [*front]
    shown += [
        a
        for a in decision.assessments
        if a.candidate.version == decision.current.version and a.candidate.version not in versions
    ]
    points = [
        render.ChartPoint(a.candidate.version, a.metrics[x_metric].value, a.metrics[y_metric].value)
        for a in shown
        if x_metric in a.metrics and y_metric in a.metrics
    ]
    return render.mermaid_quadrant(
        points,
        title=f"Pareto front of {x_metric} and {y_metric}",
        x_label=x_metric,
        y_label=y_metric,
    )


def _triggers(values: Mapping[str, float]) -> list[str]:
    out = []
    for name, value in values.items():
        text = _TRIGGERS.get(name, name + ": {pct}")
        out.append(text.format(pp=format(value * 100, "g"), pct=render.percent(value, False)))
    return out


def _rollout(proposal: Proposal, strategy: Strategy) -> dict[str, Any]:
    plan = proposal.rollout
    holds = [format_duration(d) for d in plan.durations] + ["until the end (full promotion)"]
    return {
        "kind": plan.kind,
        "stages": [
            {"index": i + 1, "weight": w, "hold": h}
            for i, (w, h) in enumerate(zip(plan.steps, holds, strict=False))
        ],
        "max_stage_time": format_duration(plan.max_stage_time),
        "on_timeout": strategy.spec.rollout.on_timeout,
    }


def _window(decision: Decision) -> str:
    if not decision.summaries:
        return ""
    window = decision.summaries[0].window
    return f"{window.start:%Y-%m-%d %H:%M} → {window.end:%Y-%m-%d %H:%M} UTC"


def render_body(
    plan: ProposalPlan,
    proposal: Proposal,
    *,
    policy: Policy,
    strategy: Strategy,
    branch: str,
    simulation: WhatIf | None,
) -> str:
    context = {
        **_header(plan, proposal, policy, strategy, branch),
        **_evidence_context(plan.decision, proposal, policy),
        "simulation": None if simulation is None else asdict(simulation),
        "rollout": _rollout(proposal, strategy),
        "triggers": _triggers(proposal.triggers),
        "cooldown": format_duration(plan.cooldown),
        "reasons": [{"code": r.code, "message": r.message} for r in plan.decision.reasons],
        "degraded": list(plan.decision.degraded),
        "metadata": render.metadata_comment(_metadata(plan, proposal, branch)),
    }
    return render.render("pr_body.md.j2", context)


def _header(
    plan: ProposalPlan, proposal: Proposal, policy: Policy, strategy: Strategy, branch: str
) -> dict[str, Any]:
    """Summary, params before and after, expected effect and the gates."""
    return {
        "summary": summary_line(proposal, [o.metric for o in policy.spec.objectives]),
        "service": plan.service,
        "policy": plan.policy,
        "config_path": plan.config_path,
        "branch": branch,
        "current": {
            "version": proposal.current.version,
            "params_text": params_text(proposal.current.params),
        },
        "target": {
            "version": proposal.target.version,
            "params_text": params_text(proposal.target.params),
        },
        "changes": _changes(proposal.current.params, proposal.target.params),
        "predicted": [
            {"metric": m, "estimate": p.estimate.as_dict(), "delta": p.delta}
            for m, p in proposal.predicted.items()
        ],
        "improvement": proposal.improvement.as_dict(),
        "confidence": proposal.confidence,
        "risk": proposal.risk,
        "risk_level": proposal.risk_level,
        "thresholds": strategy.spec.thresholds.model_dump(),
    }


def _evidence_context(decision: Decision, proposal: Proposal, policy: Policy) -> dict[str, Any]:
    """The evidence table, the Pareto front with its weights, and the chart."""
    target = proposal.target.version
    front = _front(decision, target)
    weights = policy.spec.normalised_weights()
    evidence = _evidence(decision, target)
    return {
        "evidence": evidence,
        "columns": _columns(policy, evidence),
        "window": _window(decision),
        "weights": [
            {"metric": o.metric, "goal": o.goal, "weight": weights[o.metric]}
            for o in policy.spec.objectives
        ],
        "front": [
            {
                "version": a.candidate.version,
                "params_text": params_text(a.candidate.params),
                "score": a.score,
                "chosen": a.candidate.version == target,
                "predicted": a.predicted,
            }
            for a in front
        ],
        "rationale": [*proposal.rationale, *_alternatives(proposal)],
        "chart": _chart(policy, front, decision),
    }


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"name": k, "old": _show(old[k]) if k in old else "(unset)", "new": _show(new[k])}
        for k in new
        if old.get(k) != new[k]
    ]


def _alternatives(proposal: Proposal) -> list[str]:
    return [
        f"Alternative `{a.candidate.version}` (score {render.percent(a.score)}): {a.tradeoff}"
        for a in proposal.alternatives
    ]


def _metadata(plan: ProposalPlan, proposal: Proposal, branch: str) -> dict[str, Any]:
    return {
        "schema": 1,
        "service": plan.service,
        "policy": plan.policy,
        "branch": branch,
        "from": proposal.current.version,
        "to": proposal.target.version,
        "params": dict(proposal.target.params),
        "fingerprint": fingerprint(plan.decision, proposal),
        "generated_at": plan.now.isoformat(),
    }

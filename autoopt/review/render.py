"""A review as one Markdown comment, as JSON (a stable contract) or as plain text."""

from __future__ import annotations

import json
import math
from typing import Any

from autoopt.review.model import (
    ConfigReview,
    DecisionBrief,
    FieldChange,
    Outcome,
    PolicyReview,
    Review,
    Verdict,
)
from autoopt.review.policies import describe, main_reason
from autoopt.values import Estimate

#: The invisible tag of the sticky review comment (one per pull request).
MARKER = "autoopt:review"
MARK = {Outcome.SUCCESS: "✅", Outcome.NEUTRAL: "⚠️", Outcome.FAILURE: "❌"}
LABELS = {
    "cost_per_request": "cost per request",
    "daily_cost_usd": "cost per day",
    "latency_p50_ms": "latency p50",
    "latency_p95_ms": "latency p95",
    "error_rate": "error rate",
    "quality": "quality",
}


def headline(review: Review) -> str:
    """One line: how many changes and the worst verdict."""
    count = len(review.configs) + len(review.policies) + (1 if review.settings else 0)
    if not review.changed:
        return "no change to policies, configs or autoopt.yaml"
    outcome = review.outcome
    words = {
        Outcome.SUCCESS: "within policy",
        Outcome.NEUTRAL: "needs a look (cannot predict everything)",
        Outcome.FAILURE: "fails",
    }[outcome]
    if review.errors:
        words = f"invalid documents ({len(review.errors)} error(s))"
    elif outcome is Outcome.FAILURE:
        broken = [c for c in review.configs if c.verdict.code == "breaks_constraint"]
        words = f"breaks a hard constraint ({', '.join(c.service for c in broken)})"
    return f"{count} change(s): {words}"


# ------------------------------------------------------------------------------ markdown


def markdown(review: Review) -> str:
    lines = [f"## {MARK[review.outcome]} autoopt review: {headline(review)}", ""]
    lines.append(
        f"<sub>base `{review.base_sha[:12]}` → head `{review.head_sha[:12]}` · metrics: "
        f"{review.metrics or 'none'} · as of {review.now}</sub>"
    )
    if review.problems:
        lines += ["", "### Validation", ""]
        lines += [f"- **{p.severity}** `{p}`" for p in review.problems]
    for config in review.configs:
        lines += ["", *_config_md(config)]
    for policy in review.policies:
        lines += ["", *_policy_md(policy)]
    if review.settings is not None:
        lines += ["", f"### `{review.settings.path}`", "", *_fields_md(review.settings.fields)]
    lines += ["", f"<!-- {MARKER} -->"]
    return "\n".join(lines)


def _config_md(c: ConfigReview) -> list[str]:
    policy = f", policy `{c.policy}`" if c.policy else ", no policy"
    lines = [f"### `{c.path}` — {c.service}{policy}", ""]
    if c.mid_rollout:
        lines += [f"> [!WARNING]\n> {c.mid_rollout}", ""]
    lines += [_what_md(c), "", *_fields_md(c.fields)]
    if c.impacts:
        head = f"| metric | now ({c.stable_version}) | with this change ({c.candidate_version}) |"
        lines += ["", f"{head} delta [95% CI] |", "|---|---|---|---|"]
        for i in c.impacts:
            lines.append(
                f"| {LABELS.get(i.metric, i.metric)} | {value(i.metric, i.stable)} | "
                f"{value(i.metric, i.candidate)} | {delta(i.metric, i.delta)} |"
            )
    if c.constraints:
        lines += ["", "| hard constraint | predicted | P(broken) |", "|---|---|---|"]
        for r in c.constraints:
            p = "—" if r.probability is None else f"{r.probability:.1%}"
            lines.append(f"| {r.metric} {r.bound} | {value(r.metric, r.predicted)} | {p} |")
    if c.simulation:
        lines += ["", f"<sub>{c.simulation}</sub>"]
    lines += [f"- {n}" for n in c.notes]
    lines += ["", _verdict_md(c.verdict, c.strategy)]
    return lines


def _what_md(c: ConfigReview) -> str:
    if c.change == "canary":
        return f"Starts a rollout of **{c.candidate_version}** against stable {c.stable_version}."
    if c.change == "stable":
        return f"Switches the stable version {c.stable_version} to **{c.candidate_version}**."
    return {
        "added": "A new config.",
        "deleted": "The config is deleted.",
        "rollout_removed": "Removes the rollout in progress.",
    }.get(c.change, "Changes no params.")


def _fields_md(fields: tuple[FieldChange, ...]) -> list[str]:
    return [
        f"- `{f.field}`: {_json(f.old)} → {_json(f.new)} (line {f.location.line})" for f in fields
    ]


def _verdict_md(verdict: Verdict, strategy: str | None) -> str:
    by = f" (strategy {strategy})" if strategy else ""
    return f"**Verdict: {MARK[verdict.outcome]} {verdict.text}**{by}"


def _policy_md(p: PolicyReview) -> list[str]:
    lines = [f"### `{p.path}` — policy {p.name} ({p.change})", "", *_fields_md(p.fields)]
    lines += ["", "| what it decides today | old policy | new policy |", "|---|---|---|"]
    lines.append(f"| decision | {_brief(p.old)} | {_brief(p.new)} |")
    rows = (
        ("improvement", lambda b: _pct(b.improvement)),
        ("confidence", lambda b: _prob(b.confidence)),
        ("risk", lambda b: _prob(b.risk)),
        ("why", _why),
    )
    for name, get in rows:
        lines.append(f"| {name} | {_cell(p.old, get)} | {_cell(p.new, get)} |")
    lines += ["", _verdict_md(p.verdict, None)]
    return lines


def _why(brief: DecisionBrief) -> str:
    main = main_reason(brief)
    if brief.kind == "propose":
        main = next(((c, m) for c, m in brief.reasons if c == "proposed"), main)
    return "—" if main is None else main[1].replace("|", "\\|")


def _brief(brief: DecisionBrief | None) -> str:
    return "— (no policy)" if brief is None else describe(brief).replace("|", "\\|")


def _cell(brief: DecisionBrief | None, get: Any) -> str:
    return "—" if brief is None else str(get(brief))


def _pct(estimate: Estimate | None) -> str:
    if estimate is None:
        return "—"
    return f"{estimate.value:+.1%} [{estimate.low:+.1%}, {estimate.high:+.1%}]"


def _prob(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _json(value: Any) -> str:
    return "(absent)" if value is None else f"`{json.dumps(value)}`"


def value(metric: str, estimate: Estimate | None) -> str:
    if estimate is None:
        return "not predicted"
    low, high = _num(metric, estimate.low), _num(metric, estimate.high)
    return f"{_num(metric, estimate.value)} [{low}, {high}]"


def _num(metric: str, x: float) -> str:
    if not math.isfinite(x):
        return "∞" if x > 0 else "−∞"
    if metric == "error_rate":
        return f"{x:.2%}"
    if metric in ("cost_per_request", "daily_cost_usd"):
        return f"${x:.4g}"
    if metric.endswith("_ms"):
        return f"{x:.0f} ms"
    return f"{x:.4g}"


def delta(metric: str, estimate: Estimate | None) -> str:
    if estimate is None:
        return "—"
    unit, scale = ("pp", 100.0) if metric == "error_rate" else ("%", 100.0)

    def one(x: float) -> str:
        return ("+∞" if x > 0 else "−∞") if not math.isfinite(x) else f"{x * scale:+.1f}"

    return f"{one(estimate.value)}{unit} [{one(estimate.low)}, {one(estimate.high)}]"


# ------------------------------------------------------------------------------ text


def text(review: Review) -> str:
    lines = [f"autoopt review {review.base_sha[:12]}..{review.head_sha[:12]}: {headline(review)}"]
    lines += [f"{p.severity}: {p}" for p in review.problems]
    for c in review.configs:
        lines.append(f"{c.path} ({c.service}): {c.verdict.text}")
        if c.mid_rollout:
            lines.append(f"  warning: {c.mid_rollout}")
        for i in c.impacts:
            lines.append(
                f"  {LABELS.get(i.metric, i.metric)}: {value(i.metric, i.stable)} → "
                f"{value(i.metric, i.candidate)} ({delta(i.metric, i.delta)})"
            )
    for p in review.policies:
        lines.append(f"{p.path} (policy {p.name}): {p.verdict.text}")
        old = "— (no policy)" if p.old is None else describe(p.old)
        lines.append(f"  old policy decides {old}")
    if review.settings is not None:
        shown = ", ".join(f.field for f in review.settings.fields) or "formatting only"
        lines.append(f"{review.settings.path}: changes {shown}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ json


def as_json(review: Review) -> dict[str, Any]:
    """The stable JSON contract of ``autoopt review --format json``."""
    return {
        "base": {"ref": review.base, "sha": review.base_sha},
        "head": {"ref": review.head, "sha": review.head_sha},
        "conclusion": review.outcome.value,
        "headline": headline(review),
        "metrics": review.metrics,
        "now": review.now,
        "changed": list(review.changed),
        "problems": [_problem(p) for p in review.problems],
        "configs": [_config_json(c) for c in review.configs],
        "policies": [_policy_json(p) for p in review.policies],
        "settings": None
        if review.settings is None
        else {"path": review.settings.path, "fields": [_field(f) for f in review.settings.fields]},
    }


def _problem(p: Any) -> dict[str, Any]:
    where = p.location
    return {
        "file": where.path,
        "line": where.line,
        "col": where.col,
        "field": p.field,
        "message": p.message,
        "severity": p.severity,
    }


def _est(estimate: Estimate | None) -> dict[str, float | None] | None:
    if estimate is None:
        return None
    return {k: v if math.isfinite(v) else None for k, v in estimate.as_dict().items()}


def _field(f: FieldChange) -> dict[str, Any]:
    return {
        "field": f.field,
        "line": f.location.line,
        "col": f.location.col,
        "old": f.old,
        "new": f.new,
    }


def _verdict(v: Verdict) -> dict[str, str]:
    return {"conclusion": v.outcome.value, "code": v.code, "text": v.text}


def _config_json(c: ConfigReview) -> dict[str, Any]:
    return {
        "path": c.path,
        "service": c.service,
        "policy": c.policy,
        "change": c.change,
        "stable": {"version": c.stable_version, "params": dict(c.stable_params)},
        "candidate": {"version": c.candidate_version, "params": dict(c.candidate_params)},
        "fields": [_field(f) for f in c.fields],
        "impact": {
            i.metric: {
                "stable": _est(i.stable),
                "candidate": _est(i.candidate),
                "delta": _est(i.delta),
            }
            for i in c.impacts
        },
        "constraints": [
            {
                "metric": r.metric,
                "bound": r.bound,
                "predicted": _est(r.predicted),
                "probability": r.probability,
            }
            for r in c.constraints
        ],
        "risk": c.risk,
        "max_risk": c.max_risk,
        "strategy": c.strategy,
        "verdict": _verdict(c.verdict),
        "simulation": c.simulation,
        "mid_rollout": c.mid_rollout or None,
        "notes": list(c.notes),
    }


def _brief_json(b: DecisionBrief | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {
        "decision": b.kind,
        "to": None
        if b.target_version is None
        else {"version": b.target_version, "changes": dict(b.target_params)},
        "improvement": _est(b.improvement),
        "confidence": b.confidence,
        "risk": b.risk,
        "reasons": [{"code": code, "message": message} for code, message in b.reasons],
    }


def _policy_json(p: PolicyReview) -> dict[str, Any]:
    return {
        "path": p.path,
        "name": p.name,
        "service": p.service,
        "change": p.change,
        "fields": [_field(f) for f in p.fields],
        "old": _brief_json(p.old),
        "new": _brief_json(p.new),
        "verdict": _verdict(p.verdict),
    }

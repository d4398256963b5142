"""Priority-ordered rules over the current version's summary, and the operational guards.

Rules run safety first, then business, each group in the order the policy lists them. The
first ``rollback`` or ``block`` that fires decides; ``alert`` and ``require_approval`` are
collected and the decision goes on. Guards (changes per day, cooldowns, an active rollout)
stop the optimizer only: a safety rollback is never held back by a cooldown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from autoopt.decide.decision import DecisionKind
from autoopt.decide.expr import ExpressionError, Node, evaluate, parse
from autoopt.errors import Problem, UserError
from autoopt.spec.load import Loaded
from autoopt.spec.models import Guards, Policy, Rule
from autoopt.values import Reason, Summary


@dataclass(frozen=True)
class Context:
    """The facts guards need, gathered by the caller (git history, the config): no clock here.

    ``changes_today`` counts proposals merged or rollouts started since the caller's day
    boundary; ``closed_proposals`` maps a target version to when its pull request was closed
    without merging.
    """

    now: datetime
    rollout_active: bool = False
    changes_today: int = 0
    last_change_at: datetime | None = None
    last_rollback_at: datetime | None = None
    closed_proposals: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))


def rule_problems(loaded: Loaded[Policy]) -> list[Problem]:
    """Every rule condition of a loaded policy that does not parse, located in its file."""
    problems = []
    for index, rule in enumerate(loaded.document.spec.rules):
        try:
            parse(rule.when)
        except ExpressionError as exc:
            where = loaded.where("spec", "rules", index, "when")
            problems.append(Problem(where, f"spec.rules.{index}.when", str(exc)))
    return problems


class RuleError(UserError):
    """A rule's condition is not in the expression language."""


@dataclass(frozen=True)
class RuleOutcome:
    stop: DecisionKind | None  # ROLLBACK or BLOCK when a rule decided
    reasons: tuple[Reason, ...]
    require_approval: bool


_STOPS = {"rollback": DecisionKind.ROLLBACK, "block": DecisionKind.BLOCK}


def compile_rules(rules: Sequence[Rule]) -> list[tuple[Rule, Node]]:
    """Parse every condition, safety rules first; raise :class:`RuleError` for the first bad."""
    ordered = [r for r in rules if r.kind == "safety"] + [r for r in rules if r.kind != "safety"]
    compiled = []
    for rule in ordered:
        try:
            compiled.append((rule, parse(rule.when)))
        except ExpressionError as exc:
            raise RuleError(f"rule {rule.name!r}: when: {exc}") from None
    return compiled


def environment(summary: Summary) -> dict[str, float]:
    """The names a condition may read, from one summary (point estimates)."""
    env = {name: est.value for name, est in summary.metrics.items()}
    env["n"] = float(summary.n)
    env["errors"] = float(summary.errors)
    daily, cost = env.get("daily_cost_usd"), env.get("cost_per_request")
    if daily is not None and cost:
        env["requests_per_day"] = daily / cost
    return env


def apply_rules(rules: Sequence[Rule], summary: Summary) -> RuleOutcome:
    env = environment(summary)
    reasons: list[Reason] = []
    approval = False
    for rule, node in compile_rules(rules):
        fired = evaluate(node, env)
        values = {"rule": rule.name, "kind": rule.kind, "action": rule.action}
        text = rule.message or rule.when
        if fired is None:
            reasons.append(
                Reason("rule_unknown", f"rule {rule.name}: a metric it reads is missing", values)
            )
            continue
        if not fired:
            continue
        if rule.action in _STOPS:
            reasons.append(Reason(f"rule_{rule.action}", f"rule {rule.name}: {text}", values))
            return RuleOutcome(_STOPS[rule.action], tuple(reasons), approval)
        if rule.action == "alert":
            reasons.append(Reason("rule_alert", f"rule {rule.name}: {text}", values))
        else:
            approval = True
            reasons.append(Reason("rule_requires_approval", f"rule {rule.name}: {text}", values))
    return RuleOutcome(None, tuple(reasons), approval)


def check_guards(guards: Guards, context: Context) -> list[Reason]:
    """Reasons the optimizer may not propose now (empty when it may)."""
    reasons = []
    if context.rollout_active:
        reasons.append(Reason("rollout_active", "a rollout is active on this service"))
    if context.changes_today >= guards.max_changes_per_day:
        reasons.append(
            Reason(
                "max_changes_per_day",
                f"{context.changes_today} change(s) today; the limit is "
                f"{guards.max_changes_per_day}",
                {"changes_today": context.changes_today, "limit": guards.max_changes_per_day},
            )
        )
    waits = (
        ("cooldown", "the last change", context.last_change_at, guards.cooldown),
        (
            "rollback_cooldown",
            "the last rollback",
            context.last_rollback_at,
            guards.rollback_cooldown,
        ),
    )
    for code, what, since, period in waits:
        if since is not None and context.now < since + period:
            left = since + period - context.now
            reasons.append(
                Reason(
                    code,
                    f"{what} was {_hours(context.now - since)} ago; waiting "
                    f"{_hours(period)} (another {_hours(left)})",
                    {"seconds_left": round(left.total_seconds())},
                )
            )
    return reasons


def recently_closed(guards: Guards, context: Context, version: str) -> bool:
    closed = context.closed_proposals.get(version)
    return closed is not None and context.now < closed + guards.closed_pr_cooldown


def _hours(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds // 60}m"

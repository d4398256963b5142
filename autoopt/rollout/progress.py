"""The rollout's progress on its pull request: one sticky comment, every stage and its verdict.

Pure: the base branch's audit log (``(committed_at, message)``, newest first) and the current
verdict in, the rows and the Markdown out. Past stages are read back from the rollout's own
commits (``Autoopt-Service`` / ``Autoopt-Version`` / ``Autoopt-Step``, the reason lines in
their bodies), so the comment can be rebuilt at any time and is the same on every machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from autoopt.errors import ForgeError
from autoopt.gitops import render
from autoopt.gitops import trailers as tr
from autoopt.gitops.forge import Forge
from autoopt.rollout.machine import Action
from autoopt.rollout.messages import ACTION, one_line, reason_lines
from autoopt.rollout.plans import ServicePlan, ServiceResult
from autoopt.rollout.state import pr_number
from autoopt.values import Reason

STAGE_ACTIONS = frozenset({"advance", "promote", "revert"})


@dataclass(frozen=True)
class StageRow:
    index: int  # 1-based, as people count stages
    weight: int
    verdict: str  # promote | hold | rollback | "" (not reached)
    reasons: tuple[str, ...]
    at: datetime | None  # when the verdict was acted on (None: the current look, or not yet)
    current: bool = False


def progress_marker(service: str) -> str:
    return f"autoopt:progress:{service}"


def outcome_marker(service: str, version: str) -> str:
    return f"autoopt:outcome:{service}:{version}"


def after_marker(service: str, version: str) -> str:
    """The sticky comment of what follows a rollout: its watch window, or the recovery check."""
    return f"autoopt:after:{service}:{version}"


def _body_reasons(message: str) -> tuple[str, ...]:
    lines = message.split("\n\n", 1)[1] if "\n\n" in message else ""
    return tuple(line[2:] for line in lines.splitlines() if line.startswith("- "))


def past_verdicts(
    records: Iterable[tuple[datetime, str]], service: str, version: str
) -> dict[int, tuple[str, tuple[str, ...], datetime]]:
    """Stage index (0-based) → (verdict, reason lines, when) of the stages already judged."""
    found: dict[int, tuple[str, tuple[str, ...], datetime]] = {}
    for at, message in records:
        pairs = tr.parse_trailers(message)
        if tr.first(pairs, tr.SERVICE) != service or tr.first(pairs, tr.VERSION) != version:
            continue
        action = tr.first(pairs, ACTION)
        if action not in STAGE_ACTIONS:
            if action == "propose" or tr.first(pairs, tr.DECISION) == "propose":
                break  # the rollout started here; older commits belong to another one
            continue
        step = tr.first(pairs, tr.STEP)
        ended = int(step) - 1 if action == "advance" and step and step.isdigit() else None
        if ended is None:
            continue  # promote/revert end the current stage: shown from the plan
        found.setdefault(
            ended, (tr.first(pairs, tr.DECISION) or "promote", _body_reasons(message), at)
        )
    return found


def stage_rows(
    steps: Sequence[int],
    step: int,
    verdict: str,
    reasons: Sequence[Reason],
    past: dict[int, tuple[str, tuple[str, ...], datetime]],
    *,
    acted_at: datetime | None,
) -> list[StageRow]:
    """Every stage of the plan: judged ones with their verdicts, the current one, the rest."""
    rows = []
    for index, weight in enumerate(steps):
        if index < step:
            found = past.get(index)
            if found is None:
                rows.append(StageRow(index + 1, weight, "promote", (), None))
            else:
                rows.append(StageRow(index + 1, weight, found[0], found[1], found[2]))
        elif index == step:
            lines = tuple(f"{r.code}: {one_line(r.message)}" for r in reasons)
            rows.append(StageRow(index + 1, weight, verdict, lines, acted_at, current=True))
        else:
            rows.append(StageRow(index + 1, weight, "", (), None))
    return rows


def progress_comment(
    *,
    service: str,
    version: str,
    stable: str,
    rows: Sequence[StageRow],
    status: str,
    now: datetime,
    alerts: Sequence[str] = (),
) -> str:
    return render.render(
        "progress.md.j2",
        {
            "service": service,
            "version": version,
            "stable": stable,
            "rows": [
                {
                    "index": r.index,
                    "weight": r.weight,
                    "verdict": r.verdict,
                    "reasons": list(r.reasons),
                    "at": "" if r.at is None else r.at.strftime("%Y-%m-%d %H:%M UTC"),
                    "current": r.current,
                }
                for r in rows
            ],
            "status": status,
            "now": now.strftime("%Y-%m-%d %H:%M UTC"),
            "alerts": list(alerts),
        },
    )


def _status(plan: ServicePlan, result: ServiceResult) -> str:
    version, stable = f"`{plan.canary}`", f"`{plan.stable}`"
    stage = (plan.step or 0) + 1
    if plan.blocked is not None:
        why = _why(plan.blocked)
        return f"Judged **{plan.verdict}** at stage {stage}, not acted on because of {why}."
    if not result.applied:
        return f"Holding at stage {stage} of {len(plan.steps)} ({plan.weight}% of traffic)."
    if plan.action is Action.PROMOTE:
        return f"**Promoted**: {version} is the stable version now (was {stable})."
    if plan.action is Action.REVERT:
        return f"**Rolled back**: {stable} stays stable."
    if plan.via == "pr":
        return f"Stage {stage} passed; the next step waits for review in {result.pull_request}."
    nxt = plan.steps[stage] if stage < len(plan.steps) else 100
    return f"Stage {stage} passed: {version} now gets {nxt}% of traffic (stage {stage + 1})."


def _outcome(plan: ServicePlan, result: ServiceResult) -> str | None:
    if not result.applied or plan.action not in (Action.PROMOTE, Action.REVERT):
        return None
    commit = (result.commit or "")[:12]
    if plan.action is Action.PROMOTE:
        head = (
            f"**autoopt promoted `{plan.service}` {plan.canary}** in {commit}: it is the stable "
            f"version now (was {plan.stable}), after {len(plan.steps)} stage(s)."
        )
    else:
        head = (
            f"**autoopt rolled back `{plan.service}` {plan.canary}** in {commit}; "
            f"{plan.stable} stays stable."
        )
    return "\n".join([head, "", *reason_lines(plan.reasons)])


def post(
    result: ServiceResult,
    history: Sequence[tuple[datetime, str]],
    forge: Forge,
    now: datetime,
) -> ServiceResult:
    """Update the rollout's sticky progress comment on its pull request, and post the outcome
    when the rollout ended. A forge that fails is reported in the result, never raised: the
    rollout's commit has landed already, and the next look rebuilds the comment."""
    plan = result.plan
    number = pr_number(plan.proposal or "")
    if number is None or plan.canary is None:
        return result
    if plan.phase != "rollout":
        return _post_after(result, number, forge, now)
    past = past_verdicts(history, plan.service, plan.canary)
    acted = now if result.applied else None
    rows = stage_rows(plan.steps, plan.step or 0, plan.verdict, plan.reasons, past, acted_at=acted)
    body = progress_comment(
        service=plan.service,
        version=plan.canary,
        stable=plan.stable,
        rows=rows,
        status=_status(plan, result),
        now=now,
        alerts=plan.alerts,
    )
    notes = list(result.notes)
    try:
        forge.comment(number, body, marker=progress_marker(plan.service))
        notes.append(f"progress updated on pull request #{number}")
        outcome = _outcome(plan, result)
        if outcome is not None:
            forge.comment(number, outcome, marker=outcome_marker(plan.service, plan.canary))
            notes.append(f"commented on pull request #{number}")
    except ForgeError as exc:
        return replace(result, notes=(*notes, f"pull request #{number}: {exc}"), error=str(exc))
    return replace(result, notes=tuple(notes))


def _why(blocked: str) -> str:
    return "the emergency stop" if blocked == "emergency_stop" else "the pause"


def _recovery_status(plan: ServicePlan) -> str:
    codes = {r.code for r in plan.reasons}
    if "not_recovered" in codes:
        return (
            f"**Not recovered** since `{plan.canary}` was rolled back: `{plan.stable}` is still "
            "worse than before the rollout — the cause may be elsewhere."
        )
    if "recovered" in codes:
        return f"**Recovered**: `{plan.stable}` is back to its level before the rollout."
    return f"Checking that `{plan.stable}` recovers after the rollback: not enough data yet."


def _after_status(plan: ServicePlan, result: ServiceResult) -> str:
    """One line: where the watch window (or the recovery check after a rollback) stands."""
    version, commit = f"`{plan.canary}`", (result.commit or "")[:12]
    previous = f"`{plan.previous or plan.stable}`"
    if plan.phase == "recovery":
        return _recovery_status(plan)
    if plan.blocked is not None:
        return (
            f"Judged **{plan.verdict}** in the watch window, not acted on because of "
            f"{_why(plan.blocked)}."
        )
    if result.applied and plan.action is Action.RESTORE:
        return f"**Rolled back in the watch window** in {commit}: {previous} is stable again."
    if result.applied and plan.action is Action.END_WATCH:
        return f"**Watch window passed**: {version} stays stable; {previous} is no longer kept."
    return (
        f"Watching {version} (the stable version since its promotion) against {previous} "
        f"before it: **{plan.verdict}**."
    )


def after_comment(plan: ServicePlan, result: ServiceResult, now: datetime) -> str:
    """The sticky comment of the watch window or the recovery check, with the judge's reasons."""
    what = "watch window" if plan.phase == "watch" else "recovery check after the rollback"
    lines = [
        f"### autoopt {what}: `{plan.service}` {plan.canary}",
        "",
        _after_status(plan, result),
        "",
        *reason_lines(plan.reasons),
        "",
        f"_Updated {now.strftime('%Y-%m-%d %H:%M UTC')}._",
    ]
    return "\n".join(lines)


def _post_after(result: ServiceResult, number: int, forge: Forge, now: datetime) -> ServiceResult:
    plan = result.plan
    assert plan.canary is not None
    notes = list(result.notes)
    try:
        marker = after_marker(plan.service, plan.canary)
        forge.comment(number, after_comment(plan, result, now), marker=marker)
        notes.append(f"{plan.phase} updated on pull request #{number}")
        if result.applied and plan.action is Action.RESTORE:
            body = (
                f"**autoopt rolled back `{plan.service}` {plan.canary}** in "
                f"{(result.commit or '')[:12]} during its watch window; "
                f"{plan.previous or plan.stable} is stable again.\n\n"
                + "\n".join(reason_lines(plan.reasons))
            )
            forge.comment(number, body, marker=f"{outcome_marker(plan.service, plan.canary)}:watch")
            notes.append(f"commented on pull request #{number}")
    except ForgeError as exc:
        return replace(result, notes=(*notes, f"pull request #{number}: {exc}"), error=str(exc))
    return replace(result, notes=tuple(notes))

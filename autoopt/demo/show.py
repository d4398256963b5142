"""What the demo shows: the timeline, the config diff, the git log and the HTML report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from autoopt.demo.loop import Moment, Outcome
from autoopt.demo.setup import CONFIG
from autoopt.report.charts import FrontPoint, Interval, StageBand
from autoopt.report.html import Report, TimelineEntry, render
from autoopt.values import Estimate, Summary

if TYPE_CHECKING:
    import pandas as pd

    from autoopt.decide.decision import Decision
    from autoopt.spec.models import Triggers

#: Stage charts: metric, trigger field, direction of harm.
STAGE_METRICS = (
    ("latency_p95_ms", "latency_p95_increase", "up"),
    ("quality", "quality_decrease", "down"),
    ("error_rate", "error_rate_increase", "abs"),
)


def timeline_lines(timeline: Sequence[Moment]) -> list[str]:
    lines = []
    for moment in timeline:
        verdict = f" → {moment.verdict}" if moment.verdict else ""
        lines.append(f"  {moment.at:%Y-%m-%d %H:%M}  {moment.what}{verdict}")
        lines.extend(f"        · {reason}" for reason in moment.reasons)
    return lines


def config_diff(outcome: Outcome) -> str:
    return outcome.repo.git.diff(outcome.repo.base, "HEAD", CONFIG)


def git_log(outcome: Outcome) -> str:
    lines = []
    for commit in outcome.repo.git.log(max_count=30):
        lines.append(f"{commit.sha[:9]} {commit.committed_at:%H:%M} {commit.author_name}")
        lines.extend(f"    {line}" for line in commit.message.rstrip().splitlines())
    return "\n".join(lines)


def front_points(decision: Decision) -> list[FrontPoint]:
    chosen = decision.proposal.target.version if decision.proposal else None
    points = []
    for item in decision.assessments:
        cost, quality = item.metrics.get("cost_per_request"), item.metrics.get("quality")
        if cost is None or quality is None:
            continue
        version = item.candidate.version
        label = version if not item.predicted or version == chosen else ""
        points.append(
            FrontPoint(
                label=label,
                cost=cost.value,
                quality=quality.value,
                feasible=item.feasible,
                on_front=item.pareto_rank == 0,
                chosen=version == chosen,
                current=version == decision.current.version,
            )
        )
    return points


def stage_bands(
    frames: dict[int, pd.DataFrame],
    steps: Sequence[int],
    triggers: Triggers,
    verdicts: dict[int, str],
) -> list[list[StageBand]]:
    from autoopt.simulate.whatif import summarise_frame

    charts: list[list[StageBand]] = []
    for metric, trigger, harm in STAGE_METRICS:
        bands = []
        for step, frame in sorted(frames.items()):
            if frame.empty or steps[step] >= 100:
                continue
            start = frame["timestamp"].min().floor("s").to_pydatetime()
            seconds = (frame["timestamp"].max() - frame["timestamp"].min()).total_seconds() + 1
            by_version = {
                s.version: s for s in summarise_frame(frame, "chat-service", start, seconds)
            }
            arms = _arms(frame, by_version)
            if arms is None:
                continue
            stable, canary = arms
            s, c = stable.get(metric), canary.get(metric)
            if s is None or c is None:
                continue
            size = float(getattr(triggers, trigger))
            limit = (
                s.value + size
                if harm == "abs"
                else s.value * (1 + size if harm == "up" else 1 - size)
            )
            bands.append(
                StageBand(
                    f"{steps[step]}%",
                    metric,
                    _interval(s),
                    _interval(c),
                    limit,
                    verdicts.get(step, "hold"),
                )
            )
        charts.append(bands)
    return charts


def _arms(frame: pd.DataFrame, by_version: dict[str, Summary]) -> tuple[Summary, Summary] | None:
    roles = frame.groupby("variant")["version"].first().to_dict()
    if "stable" not in roles or "canary" not in roles:
        return None
    return by_version[str(roles["stable"])], by_version[str(roles["canary"])]


def _interval(estimate: Estimate) -> Interval:
    return Interval(estimate.value, estimate.low, estimate.high)


def daily_costs(decision: Decision, promoted: bool) -> tuple[float, float]:
    current = next(
        a for a in decision.assessments if a.candidate.version == decision.current.version
    )
    before = current.metrics["daily_cost_usd"].value
    if not promoted or decision.proposal is None:
        return before, before
    predicted = decision.proposal.predicted.get("daily_cost_usd")
    return before, predicted.estimate.value if predicted else before


def report(
    outcome: Outcome, *, seed: int, scenario: str, triggers: Triggers, steps: Sequence[int]
) -> str:
    decision = outcome.decision
    # the last verdict of each stage (a moment's step is the stage it judged)
    verdicts = {m.step: m.verdict for m in outcome.timeline if m.step is not None}
    before, after = daily_costs(decision, outcome.result == "promoted")
    facts = [
        ("scenario", scenario),
        ("seed", str(seed)),
        ("outcome", outcome.result.replace("_", " ")),
        ("history", f"{outcome.history_rows:,} simulated requests"),
        ("repository", str(outcome.repo.root)),
    ]
    if decision.proposal is not None:
        p = decision.proposal
        facts.append(
            (
                "proposal",
                f"{p.current.version} → {p.target.version} ({p.target.params.get('model')})",
            )
        )
        facts.append(
            (
                "improvement",
                f"{p.improvement.value:+.1%} (confidence {p.confidence:.0%}, risk {p.risk_level})",
            )
        )
    return render(
        Report(
            title=f"autoopt demo — {scenario}",
            facts=facts,
            front=front_points(decision),
            stages=stage_bands(outcome.stage_frames, steps, triggers, verdicts),
            cost_before=before,
            cost_after=after,
            timeline=[
                TimelineEntry(f"{m.at:%H:%M}", m.what, m.verdict, m.reasons)
                for m in outcome.timeline
            ],
            diff=config_diff(outcome),
            log=git_log(outcome),
        )
    )

"""The demo's loop: history → propose → merge → reconcile, each through the real workflows.

Time is simulated: every workflow gets ``now`` from the simulated clock, so a seed gives the
same commits (same shas), the same pull request and the same verdicts on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autoopt.demo import world
from autoopt.demo.setup import CONFIG, DemoRepo, build
from autoopt.errors import UserError
from autoopt.spec.models import LLMConfig

if TYPE_CHECKING:
    import pandas as pd

    import simulator
    from autoopt.decide.decision import Decision
    from autoopt.propose import ProposalResult
    from autoopt.reconcile import ServiceResult

Scenario = Literal["improve", "regression"]
POLICY = "chat-cost"
START = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # the simulated clock starts here
NO_ENV: dict[str, str] = {}  # the demo's forge is local: no token, no environment


@dataclass(frozen=True)
class Options:
    directory: Path
    seed: int = 7
    scenario: Scenario = "improve"
    quick: bool = False  # shorter history and rollout (for CI)

    @property
    def era(self) -> timedelta:
        return timedelta(hours=1 if self.quick else 3)

    @property
    def rollout_length(self) -> timedelta:
        return timedelta(minutes=75 if self.quick else 120)


@dataclass(frozen=True)
class Moment:
    """One line of the timeline: when, what happened, the verdict and its reasons."""

    at: datetime
    what: str
    verdict: str = ""
    reasons: tuple[str, ...] = ()
    step: int | None = None
    weight: int | None = None


@dataclass
class Outcome:
    repo: DemoRepo
    history_rows: int
    decision: Decision
    proposal: ProposalResult | None = None
    merged: str | None = None
    timeline: list[Moment] = field(default_factory=list)
    stage_frames: dict[int, pd.DataFrame] = field(default_factory=dict)
    result: str = "no_change"  # promoted | rolled_back | no_change | in_progress


Progress = Callable[[str], None]


def run(options: Options, progress: Progress) -> Outcome:
    v7_at = START + options.era
    now = v7_at + options.era
    repo = build(options.directory, v6_at=START - timedelta(minutes=1), v7_at=v7_at)
    progress("simulating production history")
    rows = _history(repo, options, v7_at)
    progress("evaluating and deciding")
    outcome = Outcome(repo=repo, history_rows=rows, decision=_decide(repo.root, now, options.seed))
    outcome.timeline.append(
        Moment(now, "decision", outcome.decision.kind.value, _codes(outcome.decision))
    )
    if outcome.decision.proposal is None:
        return outcome
    progress("proposing (local forge)")
    outcome.proposal = _propose(repo.root, outcome.decision, now, options.seed)
    pr = outcome.proposal.pr
    assert pr is not None
    outcome.timeline.append(Moment(now, f"pull request #{pr.number} opened: {pr.title}"))
    progress(f"merging pull request #{pr.number}")
    outcome.merged = _merge(repo.root, pr.number, now)
    outcome.timeline.append(Moment(now, f"pull request #{pr.number} merged by a reviewer"))
    progress("rolling out, stage by stage")
    _rollout(outcome, options, now, progress)
    return outcome


def _codes(decision: Decision) -> tuple[str, ...]:
    return tuple(f"{r.code}: {r.message}" for r in decision.reasons)


def _history(repo: DemoRepo, options: Options, v7_at: datetime) -> int:
    texts = {v.sha: v.text for v in repo.git.file_versions(CONFIG)}
    eras = []
    for (_sha, text), start in zip(texts.items(), (START, v7_at), strict=True):
        config = LLMConfig.model_validate(_yaml(text))
        stable = config.spec.stable
        eras.append(world.Era(stable.version, stable.params, start, options.era))
    frame = world.history(eras, rate=20.0, seed=options.seed)
    world.write_frame(frame, repo.root / "metrics" / "history.parquet")
    return len(frame)


def _yaml(text: str) -> object:
    from autoopt.spec.yamlio import load_text, to_plain

    return to_plain(load_text(text))


def _decide(root: Path, now: datetime, seed: int) -> Decision:
    from autoopt import propose
    from autoopt.spec.repository import load_repository

    return propose.decide_for(load_repository(root), POLICY, metrics_src=None, now=now, seed=seed)


def _propose(root: Path, decision: Decision, now: datetime, seed: int) -> ProposalResult:
    from autoopt import propose
    from autoopt.gitops.forges import make_forge
    from autoopt.gitops.repo import GitRepo
    from autoopt.spec.repository import load_repository

    documents = load_repository(root)
    simulation = propose.simulation_for(root, POLICY, decision, metrics_src=None, seed=seed)
    plan = propose.plan(documents, POLICY, decision, now=now, simulation=simulation)
    git = GitRepo(root)
    forge = make_forge(documents.settings, git, env=NO_ENV, now=now)
    result = propose.apply(plan, git, forge)
    if result.pr is None:
        raise UserError(f"the demo expected a pull request, got {result.action}: {result.message}")
    return result


def _merge(root: Path, number: int, now: datetime) -> str:
    from autoopt.demo.setup import PERSON
    from autoopt.gitops.local import LocalForge, merge
    from autoopt.gitops.repo import GitRepo

    forge = LocalForge(GitRepo(root), now=now, author=PERSON.name)
    merged = merge(forge, number, remote="origin")
    return merged.head


def _rollout(outcome: Outcome, options: Options, now: datetime, progress: Progress) -> None:
    import simulator
    from autoopt.spec.load import load_document

    config = load_document(outcome.repo.root / CONFIG).document
    canary = config.spec.canary
    assert canary is not None, "the merged proposal starts a rollout"
    regression_at = timedelta(minutes=12) if options.scenario == "regression" else None
    scenario = world.rollout_scenario(
        stable=(config.spec.stable.version, config.spec.stable.params),
        canary=(canary.version, canary.params),
        steps=list(canary.steps),
        start=now,
        length=options.rollout_length,
        rate=20.0,
        regression_at=regression_at,
    )
    judge = RealReconciler(outcome, progress)
    simulator.run_scenario(scenario, seed=options.seed + 100, judge=judge)
    if outcome.result == "no_change":
        outcome.result = "in_progress"


class RealReconciler:
    """The simulator's judge: write what production measured, run a real reconcile round."""

    def __init__(self, outcome: Outcome, progress: Progress) -> None:
        self.outcome, self.progress = outcome, progress
        self.last: tuple[str, tuple[str, ...]] | None = None

    def __call__(self, ctx: simulator.StageContext) -> str:
        from autoopt.reconcile import run_once

        if self.outcome.result in ("promoted", "rolled_back"):
            return "hold"
        root = self.outcome.repo.root
        self.outcome.stage_frames[ctx.step] = ctx.frame
        world.write_frame(ctx.frame, root / "metrics" / "rollout" / f"step-{ctx.step}.parquet")
        result, _read = run_once(
            root, str(root / "metrics" / "rollout"), dry_run=False, now=ctx.now, env=NO_ENV
        )
        [service] = result.services
        return self._record(service, ctx)

    def _record(self, service: ServiceResult, ctx: simulator.StageContext) -> str:
        plan = service.plan
        codes = tuple(f"{r.code}: {r.message}" for r in plan.reasons)
        verdict = str(plan.verdict)
        key = (verdict, tuple(r.code for r in plan.reasons))
        if verdict != "hold" or key != self.last:
            what = (
                f"stage {ctx.step + 1} ({plan.weight}%)" if plan.weight is not None else "rollout"
            )
            self.outcome.timeline.append(
                Moment(ctx.now, what, verdict, codes, plan.step, plan.weight)
            )
            self.progress(f"{ctx.now:%H:%M} {what}: {verdict}")
        self.last = key
        action = str(plan.action)
        if verdict == "rollback":
            self.outcome.result = "rolled_back"
            return "rollback"
        if verdict == "promote":
            if action == "promote":  # the end of the rollout: canary → stable
                self.outcome.result = "promoted"
            return "promote"
        return "hold"

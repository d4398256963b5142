"""The reconcile workflow: read the repository → judge every active rollout → plan → apply.

``plan(state, metrics, now=...)`` is pure given its inputs: per service with an active rollout
(or a watch window) it holds the judge's verdict with its reasons, the new file text and the
commit message with ``Autoopt-*`` trailers. ``apply(plan, git, forge)`` carries it out: one
commit per changed service, pushed with the expected old head; when another reconciler moved
the branch first (:class:`StaleHead`) it re-reads, re-judges and retries, so two runs never
promote the same stage twice. Holds change nothing; a paused config or the emergency stop
makes the plan observe and report only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoopt.errors import StaleHead
from autoopt.gitops import trailers as tr
from autoopt.gitops.forge import Forge, PRRequest
from autoopt.rollout import messages, progress
from autoopt.rollout.machine import Action, Evidence, Phase, Transition, phase_of, transition
from autoopt.rollout.observe import evidence_for, recovery, split_by_service
from autoopt.rollout.plans import (
    Blocked,
    ReconcilePlan,
    ReconcileResult,
    ServicePlan,
    ServiceResult,
    Via,
)
from autoopt.rollout.ports import RolloutGit
from autoopt.rollout.state import RepoState, pr_number, read_state
from autoopt.spec.load import Loaded
from autoopt.spec.models import LLMConfig, Policy, Strategy
from autoopt.spec.repository import Repository

if TYPE_CHECKING:
    from autoopt.metrics import MetricsRead
    from autoopt.rollout.gitport import BaseBranch
    from autoopt.spec.models import Settings

MAX_ATTEMPTS = 5
__all__ = [
    "ReconcilePlan",
    "ReconcileResult",
    "RepoState",
    "ServicePlan",
    "ServiceResult",
    "apply",
    "plan",
    "pr_number",
    "preview",
    "read_state",
    "run_once",
]


def active(state: RepoState) -> bool:
    """True when some service has a rollout, a watch window or a recent rollback to judge."""
    configs = state.repository.configs.values()
    return bool(state.rollbacks) or any(phase_of(c.document) is not None for c in configs)


def plan(state: RepoState, metrics: Any, *, now: datetime) -> ReconcilePlan:
    """Judge every active rollout and watch window of ``state`` at ``now``."""
    frames = metrics if isinstance(metrics, dict) else split_by_service(metrics)
    repo = state.repository
    services = []
    for name in sorted(repo.configs):
        planned = plan_service(state, repo.configs[name], frames.get(name), now=now)
        if planned is not None:
            services.append(planned)
    base = repo.settings.spec.defaults.base_branch
    return ReconcilePlan(now, state.head, state.stop, tuple(services), base, frames)


def policy_for(repo: Repository, config: LLMConfig) -> tuple[Policy | None, Strategy]:
    """The policy the rollout names (or the one targeting the service) and its strategy."""
    name = config.spec.canary.policy if config.spec.canary is not None else None
    loaded = repo.policies.get(name) if name else None
    if loaded is None:
        service = config.metadata.name
        loaded = next(
            (p for p in repo.policies.values() if p.document.spec.target.service == service),
            None,
        )
    if loaded is None:
        return None, repo.strategies["balanced"]
    return loaded.document, repo.strategy_for(loaded.document)


def plan_service(
    state: RepoState, loaded: Loaded[LLMConfig], frame: Any, *, now: datetime
) -> ServicePlan | None:
    """Judge one service and plan its next state; None when it has nothing to judge."""
    repo, stop, config = state.repository, state.stop, loaded.document
    phase = phase_of(config)
    if phase is None:
        return _recovery(state, loaded, frame, now=now)
    policy, strategy = policy_for(repo, config)
    starts = state.stages.get(config.metadata.name)
    found: Evidence = evidence_for(frame, config, strategy, now=now, starts=starts)
    moved = transition(
        loaded.text, config, found, strategy=strategy, policy=policy, now=now, tree=loaded.tree
    )
    blocked: Blocked | None = (
        "emergency_stop" if stop is not None else "paused" if config.spec.paused else None
    )
    via: Via | None = None
    if moved.new_text is not None and moved.new_text != loaded.text and blocked is None:
        pr_mode = policy is not None and policy.spec.promotion == "pr"
        via = "pr" if pr_mode and moved.action in (Action.ADVANCE, Action.PROMOTE) else "commit"
    canary = config.spec.canary
    proposal = (
        canary.proposal
        if canary is not None
        else state.proposals.get((config.metadata.name, config.spec.stable.version))
    )
    planned = _service_plan(repo, loaded, phase, policy, moved, via, blocked, proposal)
    return replace(planned, alerts=_alerts_during(state, config))


def _alerts_during(state: RepoState, config: LLMConfig) -> tuple[str, ...]:
    """The triggers' alerts since the rollout began (its first known stage start)."""
    canary = config.spec.canary
    if canary is None:
        return ()
    starts = state.stages.get(config.metadata.name, {})
    began = min([canary.step_started_at, *starts.values()])
    return tuple(
        f"{a.at.strftime('%Y-%m-%d %H:%M UTC')} {a.trigger} ({a.priority}): {a.message}"
        for a in state.alerts.get(config.metadata.name, ())
        if a.at >= began
    )


def _recovery(
    state: RepoState, loaded: Loaded[LLMConfig], frame: Any, *, now: datetime
) -> ServicePlan | None:
    """After a rollback, within the watch window (or the maximum stage time): did it recover?

    Reported only (phase ``recovery``, verdict hold); nothing is changed.
    """
    config = loaded.document
    rollback = state.rollbacks.get(config.metadata.name)
    if rollback is None or rollback.stable != config.spec.stable.version:
        return None
    policy, strategy = policy_for(state.repository, config)
    window = strategy.spec.rollout.watch or strategy.spec.rollout.max_stage_time
    if not rollback.at <= now < rollback.at + window:
        return None
    reasons = recovery(
        frame,
        strategy,
        service=config.metadata.name,
        rolled_back=rollback.version,
        stable=rollback.stable,
        at=rollback.at,
        now=now,
    )
    return ServicePlan(
        service=config.metadata.name,
        path=_relative(state.repository.root, loaded.path),
        phase="recovery",
        stable=config.spec.stable.version,
        canary=rollback.version,
        step=None,
        weight=None,
        verdict="hold",
        action=Action.NONE,
        reasons=reasons,
        policy=policy.metadata.name if policy is not None else None,
        proposal=rollback.proposal,
        new_text=None,
        message="",
        via=None,
    )


def _service_plan(
    repo: Repository,
    loaded: Loaded[LLMConfig],
    phase: Phase,
    policy: Policy | None,
    moved: Transition,
    via: Via | None,
    blocked: Blocked | None,
    proposal: str | None,
) -> ServicePlan:
    spec = loaded.document.spec
    canary = spec.canary
    version = canary.version if canary is not None else spec.stable.version
    stable = spec.stable.version if canary is not None else _previous_version(loaded.document)
    step = canary.step + 1 if canary is not None and moved.action is Action.ADVANCE else None
    weight = canary.steps[step] if canary is not None and step is not None else None
    trailers: messages.Trailers = (
        (tr.SERVICE, loaded.document.metadata.name),
        (tr.POLICY, policy.metadata.name if policy is not None else "none"),
        (tr.DECISION, moved.verdict),
        (messages.ACTION, str(moved.action)),
        (tr.FROM_VERSION, stable),
        (tr.VERSION, version),
        *(((tr.STEP, str(step)), (messages.WEIGHT, str(weight))) if step else ()),
        *(((tr.PROPOSAL, proposal),) if proposal else ()),
        *messages.reason_trailers(moved.reasons),
    )
    title = messages.subject(
        moved.action, loaded.document.metadata.name, version, stable=stable, weight=weight
    )
    return ServicePlan(
        service=loaded.document.metadata.name,
        path=_relative(repo.root, loaded.path),
        phase=phase,
        stable=spec.stable.version,
        canary=version,
        step=canary.step if canary is not None else None,
        weight=canary.weight if canary is not None else None,
        verdict=moved.verdict,
        action=moved.action,
        reasons=moved.reasons,
        policy=policy.metadata.name if policy is not None else None,
        proposal=proposal,
        new_text=moved.new_text if via is not None else None,
        message=messages.format_message(title, messages.reason_lines(moved.reasons), trailers),
        via=via,
        blocked=blocked if moved.new_text is not None else None,
        promotion=policy.spec.promotion if policy is not None else "auto",
        steps=tuple(canary.steps) if canary is not None else (),
        previous=stable if phase == "watch" else None,
    )


def _previous_version(config: LLMConfig) -> str:
    previous = config.spec.previous
    return previous.version if previous is not None else config.spec.stable.version


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# --------------------------------------------------------------------------- apply


def preview(plan_: ReconcilePlan) -> ReconcileResult:
    """The result of a dry run: the plan, nothing applied."""
    services = tuple(ServiceResult(s, applied=False) for s in plan_.services)
    return ReconcileResult(plan_.now, plan_.stop, services, attempts=0, head=plan_.head)


def apply(
    plan_: ReconcilePlan, git: RolloutGit, forge: Forge | None, *, attempts: int = MAX_ATTEMPTS
) -> ReconcileResult:
    """Carry out ``plan_``; on StaleHead re-read, re-judge and retry (at most ``attempts``)."""
    current = plan_
    for attempt in range(1, attempts + 1):
        try:
            committed, head = _commit_all(current, git)
        except StaleHead:
            head = git.sync()
            state = read_state(git.root, head, git.history(), git.landed_at)
            current = plan(state, plan_.metrics, now=plan_.now)
            continue
        results = [
            _finish(s, committed.get(s.service), current.base, git, forge) for s in current.services
        ]
        if forge is not None and current.wants_forge:
            history = git.history()
            results = [progress.post(r, history, forge, current.now) for r in results]
        return ReconcileResult(current.now, current.stop, tuple(results), attempt, head)
    raise StaleHead(
        f"the base branch kept moving: gave up after {attempts} attempts; run reconcile again"
    )


def _commit_all(plan_: ReconcilePlan, git: RolloutGit) -> tuple[dict[str, str], str | None]:
    """Commit every direct change on the base branch and push them in one go."""
    direct = [s for s in plan_.changes if s.via == "commit"]
    shas = git.commit_all([({s.path: s.new_text}, s.message) for s in direct])
    committed = {s.service: sha for s, sha in zip(direct, shas, strict=True)}
    if committed:
        git.push(expected=plan_.head)
    head = next(reversed(committed.values()), plan_.head) if committed else plan_.head
    return committed, head


def _finish(
    service: ServicePlan, commit: str | None, base: str, git: RolloutGit, forge: Forge | None
) -> ServiceResult:
    if service.via == "pr":
        if forge is None:
            return ServiceResult(service, applied=False, notes=("no forge to open the PR",))
        return _open_step_pr(service, base, git, forge)
    if commit is None:
        return ServiceResult(service, applied=False)
    notes: tuple[str, ...] = ()
    if service.verdict == "rollback" and service.proposal and forge is None:
        notes = ("no forge: the pull request was not commented",)
    if service.verdict == "rollback" and service.promotion == "pr" and forge is not None:
        notes += _comment_step_prs(service, commit, forge)
    return ServiceResult(service, applied=True, commit=commit, notes=notes)


def _comment_step_prs(service: ServicePlan, commit: str, forge: Forge) -> tuple[str, ...]:
    """Open step pull requests of a rolled-back version are superseded: say so on each."""
    prefix = f"autoopt/{service.service}/{service.canary}/"
    notes = []
    for pr in forge.list_prs(state="open"):
        if pr.head.startswith(prefix):
            body = (
                f"`{service.service}` {service.canary} was rolled back in {commit[:12]}; this "
                "step is superseded — close this pull request (merging it would conflict)."
            )
            forge.comment(pr.number, body, marker=f"autoopt-superseded-{service.service}")
            notes.append(f"commented on superseded step pull request #{pr.number}")
    return tuple(notes)


def _open_step_pr(service: ServicePlan, base: str, git: RolloutGit, forge: Forge) -> ServiceResult:
    suffix = "promote" if service.action is Action.PROMOTE else f"step-{(service.step or 0) + 1}"
    branch = f"autoopt/{service.service}/{service.canary}/{suffix}"
    existing = forge.find_pr(branch)
    if existing is not None:
        note = f"pull request #{existing.number} for this step is waiting for review"
        return ServiceResult(service, True, existing.head_sha or None, existing.url, (note,))
    sha = git.push_branch(branch, {service.path: service.new_text}, service.message)
    title, _, body = service.message.partition("\n")
    pr, _created = forge.upsert_pr(
        PRRequest(title=title, body=body.strip(), head=branch, base=base, labels=("autoopt",))
    )
    return ServiceResult(service, applied=True, commit=sha, pull_request=pr.url)


# --------------------------------------------------------------------------- one round


def run_once(
    repo: Path,
    metrics_src: str | None,
    *,
    dry_run: bool,
    now: datetime,
    env: Mapping[str, str],
) -> tuple[ReconcileResult, MetricsRead | None]:
    """One round: read (and for real runs sync) the repository, judge, apply or preview."""
    from autoopt.rollout.runner import base_branch, forge_for, read_metrics
    from autoopt.rollout.state import read_settings

    settings = read_settings(repo)
    git = None if dry_run else base_branch(repo, settings, now)
    if git is not None:
        head = git.sync()
        state = read_state(repo, head, git.history(), git.landed_at)
    else:
        seen = _read_only(repo, settings, now)
        history, landed = (seen.history(), seen.landed_at) if seen else ([], None)
        state = read_state(repo, None, history, landed)
    read = read_metrics(repo, settings, metrics_src) if active(state) else None
    planned = plan(state, read.frame if read is not None else None, now=now)
    if git is None:
        return preview(planned), read
    forge = forge_for(git, settings, env) if planned.needs_forge else None
    if forge is None and planned.wants_forge:
        forge = soft_forge(lambda: forge_for(git, settings, env))
    return apply(planned, git, forge), read


def soft_forge(make: Callable[[], Forge]) -> Forge | None:
    """The forge for what is best effort (progress comments): None when it cannot be made
    (no token on a laptop); the rollout's commits do not wait for it."""
    from autoopt.errors import ForgeError

    try:
        return make()
    except ForgeError:
        return None


def _read_only(repo: Path, settings: Settings, now: datetime) -> BaseBranch | None:
    """The base branch for a dry run, read without syncing; None outside a git clone."""
    from autoopt.errors import GitOpsError
    from autoopt.rollout.runner import base_branch

    try:
        return base_branch(repo, settings, now)
    except GitOpsError:
        return None

"""``decide_for``: read the metrics and run the decision engine for one policy.

The composition metrics → summaries → ``decide.choose`` lives here so the CLI calls one
function: read the source ``autoopt.yaml`` names (or ``--metrics``), learn every version's
params from the config's git history, summarise the window ending at ``now``, fit model
profiles, look up prices, gather the guard facts from commit trailers, and choose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from autoopt.decide.decision import Decision
from autoopt.errors import GitOpsError
from autoopt.gitops import trailers
from autoopt.gitops.repo import GitRepo
from autoopt.spec.repository import Repository
from autoopt.values import Candidate, Price, Reason

if TYPE_CHECKING:
    from pathlib import Path

    from autoopt.decide.rules import Context
    from autoopt.propose.model import WhatIf
    from autoopt.spec.load import Loaded
    from autoopt.spec.models import LLMConfig, Policy

CHANGES = frozenset({"propose", "promote", "rollback", "revert"})
ROLLBACKS = frozenset({"rollback", "revert"})


def decide_for(
    repo: Repository,
    policy_name: str,
    *,
    metrics_src: str | None,
    now: datetime,
    seed: int,
    cheaper: bool = False,
    source: Any = None,
    env: Mapping[str, str] | None = None,
) -> Decision:
    """The decision for ``policy_name`` from the metrics ``metrics_src`` (or the settings').

    ``cheaper`` (a budget trigger fired): the candidate is chosen for cost per request alone,
    within every constraint of the policy (see :func:`cheaper_policy`). ``source``: a metrics
    source already open (the cycle shares one across its policies). ``env``: the secrets the
    settings name (a Prometheus token)."""
    from dataclasses import replace

    from autoopt.evaluate import measure

    found = measure(
        repo, policy_name, metrics_src, since=None, until=None, now=now, source=source, env=env
    )
    policy = found.policy
    if cheaper:
        decided = decide_for_policy(found, cheaper_policy(policy), repo, now, seed)
        return replace(decided, reasons=(CHEAPER, *decided.reasons))
    return decide_for_policy(found, policy, repo, now, seed)


CHEAPER = Reason(
    "cheaper_asked",
    "a budget trigger asked for a cheaper configuration: candidates are ranked by cost per "
    "request alone, within every constraint of the policy",
)


def cheaper_policy(policy: Policy) -> Policy:
    """``policy`` with one objective, cost per request (minimised): the strategy's gates then
    ask for a cut of at least ``minImprovement`` in cost, with its confidence, while the hard
    constraints (quality floors, latency and error ceilings) and their risk still hold."""
    from autoopt.spec.models import Objective

    objective = Objective(metric="cost_per_request", goal="minimize", weight=1.0)
    spec = policy.spec.model_copy(update={"objectives": [objective]})
    return policy.model_copy(update={"spec": spec})


def decide_for_policy(
    found: Any, policy: Policy, repo: Repository, now: datetime, seed: int
) -> Decision:
    """``choose`` on what :func:`autoopt.evaluate.measure` found, under ``policy``."""
    from types import MappingProxyType

    from autoopt.decide.choose import choose

    config, summaries = found.config, found.summaries
    service = policy.spec.target.service
    profiles = found.source.profiles(service)
    git = _git(repo)
    stable = config.document.spec.stable
    current = Candidate(service, stable.version, MappingProxyType(stable.params.flat()))
    return choose(
        summaries,
        policy,
        repo.strategy_for(policy),
        current=current,
        context=_context(git, repo, config, now),
        profiles=profiles,
        prices=_prices(repo, policy, profiles, now),
        seed=seed,
    )


def _git(repo: Repository) -> GitRepo | None:
    try:
        return GitRepo(repo.root)
    except GitOpsError:
        return None


def _relpath(repo: Repository, config: Loaded[LLMConfig]) -> str:
    return config.path.resolve().relative_to(repo.root.resolve()).as_posix()


def _prices(
    repo: Repository, policy: Policy, seen: Iterable[Any], now: datetime
) -> dict[str, Price]:
    from autoopt.metrics import price_for

    models = {str(m) for m in seen}
    dimension = policy.spec.search_space.get("model")
    if isinstance(dimension, list):
        models |= {str(m) for m in dimension}
    prices = {}
    for model in sorted(models):
        price = price_for(model, overrides=repo.settings.spec.prices, at=now)
        if price is not None:
            prices[model] = price
    return prices


def guard_facts(entries: Sequence[trailers.AuditEntry], now: datetime) -> dict[str, Any]:
    """Changes today, the last change and the last rollback, from the audit log (pure)."""
    changes = [e for e in entries if e.decision in CHANGES]
    rollbacks = [e for e in changes if e.decision in ROLLBACKS]
    today = now.date()
    return {
        "changes_today": sum(
            1 for e in changes if e.decision == "propose" and e.committed_at.date() == today
        ),
        "last_change_at": max((e.committed_at for e in changes), default=None),
        "last_rollback_at": max((e.committed_at for e in rollbacks), default=None),
    }


def _context(
    git: GitRepo | None, repo: Repository, config: Loaded[LLMConfig], now: datetime
) -> Context:
    from autoopt.decide.rules import Context

    entries: list[trailers.AuditEntry] = []
    if git is not None:
        commits = git.log(["HEAD"], [_relpath(repo, config)], max_count=200)
        entries = [
            trailers.audit_entry(c.sha, c.committed_at, c.author_name, c.message) for c in commits
        ]
    facts: Mapping[str, Any] = guard_facts(entries, now)
    return Context(now=now, rollout_active=config.document.spec.canary is not None, **facts)


def simulation_for(
    repo: Path, policy: str, decision: Decision, *, metrics_src: str | None, seed: int
) -> WhatIf | None:
    """The proposal simulated on traffic calibrated from the metrics, for the PR body.

    A proposal that cannot be simulated still goes ahead: its body says why in one line.
    """
    from autoopt.errors import SimulationError
    from autoopt.propose.model import WhatIf, WhatIfRow
    from autoopt.simulate.evidence import for_proposal

    target = decision.proposal.target if decision.proposal is not None else None
    if target is None:
        return None
    try:
        found = for_proposal(
            repo, policy, target.version, target.params, metrics_src=metrics_src, seed=seed
        )
    except SimulationError as exc:
        return WhatIf(title=f"Not simulated: {exc}")
    return WhatIf(found.title, tuple(WhatIfRow(*row) for row in found.rows), notes=found.notes)

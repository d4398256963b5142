"""One reconcile round, composed from its parts: settings, base branch, forge, metrics.

The CLI (``autoopt reconcile``) and the demo both run rounds through :func:`run_once`, so the
demo exercises exactly the code paths of production use.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autoopt.gitops.forge import Forge
    from autoopt.metrics import MetricsRead
    from autoopt.reconcile import ReconcileResult
    from autoopt.rollout.gitport import BaseBranch
    from autoopt.spec.models import Settings


def base_branch(root: Path, settings: Settings, now: datetime) -> BaseBranch:
    from autoopt.gitops.repo import Identity
    from autoopt.rollout.gitport import BaseBranch

    defaults, bot = settings.spec.defaults, settings.spec.bot
    identity = Identity(bot.name, bot.email)
    return BaseBranch(
        root, base=defaults.base_branch, remote=defaults.remote, identity=identity, now=now
    )


def forge_for(git: BaseBranch, settings: Settings, env: Mapping[str, str]) -> Forge:
    """The forge of ``autoopt.yaml`` (the token, for GitHub, from the environment)."""
    from autoopt.gitops.forges import make_forge

    return make_forge(settings, git.repo, env=env, now=git.now)


def read_metrics(root: Path, settings: Settings, src: str | None) -> MetricsRead:
    """The canonical metrics table from ``--metrics SRC`` or the settings' source."""
    from autoopt.metrics import read_metrics as read
    from autoopt.metrics import source_from_settings

    return read(source_from_settings(settings.spec, root, override=src))


def run_once(
    repo: Path,
    metrics_src: str | None,
    *,
    dry_run: bool,
    now: datetime,
    env: Mapping[str, str],
) -> tuple[ReconcileResult, MetricsRead | None]:
    """One round: read (and for real runs sync) the repository, judge, apply or preview."""
    from autoopt import reconcile
    from autoopt.rollout.state import read_settings

    settings = read_settings(repo)
    git = None if dry_run else base_branch(repo, settings, now)
    if git is not None:
        head = git.sync()
        state = reconcile.read_state(repo, head, git.history(), git.landed_at)
    else:
        seen = _read_only(repo, settings, now)
        history, landed = (seen.history(), seen.landed_at) if seen else ([], None)
        state = reconcile.read_state(repo, None, history, landed)
    read = read_metrics(repo, settings, metrics_src) if reconcile.active(state) else None
    plan = reconcile.plan(state, read.frame if read is not None else None, now=now)
    if git is None:
        return reconcile.preview(plan), read
    forge = forge_for(git, settings, env) if plan.needs_forge else None
    return reconcile.apply(plan, git, forge), read


def _read_only(repo: Path, settings: Settings, now: datetime) -> BaseBranch | None:
    """The base branch for a dry run, read without syncing; None outside a git clone."""
    from autoopt.errors import GitOpsError

    try:
        return base_branch(repo, settings, now)
    except GitOpsError:
        return None

"""The parts a reconcile round (and a cycle) is composed of: the base branch, the forge of
``autoopt.yaml`` and the metrics table. :func:`autoopt.reconcile.run_once` puts them together;
this module sits below the workflow and names nothing above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autoopt.gitops.forge import Forge
    from autoopt.gitops.repo import Identity
    from autoopt.metrics import MetricsRead
    from autoopt.rollout.gitport import BaseBranch
    from autoopt.spec.models import Settings


def base_branch(
    root: Path, settings: Settings, now: datetime, *, author: Identity | None = None
) -> BaseBranch:
    """The base branch, committed to by the bot; ``author`` is the person a control is made
    for (the bot stays the committer)."""
    from autoopt.gitops.repo import Identity
    from autoopt.rollout.gitport import BaseBranch

    defaults, bot = settings.spec.defaults, settings.spec.bot
    identity = Identity(bot.name, bot.email)
    return BaseBranch(
        root,
        base=defaults.base_branch,
        remote=defaults.remote,
        identity=identity,
        now=now,
        author=author,
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

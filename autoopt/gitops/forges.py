"""The forge registry: ``forge.type`` of ``autoopt.yaml`` → a :class:`Forge`.

A plain dict of factories. Types are checked when ``autoopt.yaml`` is validated, so an unknown
type here is a bug, not a user error. The GitHub forge is imported lazily (it pulls in requests).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from autoopt.errors import ForgeError
from autoopt.gitops.forge import Forge
from autoopt.gitops.local import LocalForge
from autoopt.gitops.repo import GitRepo
from autoopt.spec.models import ForgeSettings, GitHubForge, Settings
from autoopt.spec.models import LocalForge as LocalSettings

Factory = Callable[[Any, GitRepo, Mapping[str, str], Any, datetime, Settings], Forge]


def _local(
    spec: LocalSettings,
    repo: GitRepo,
    env: Mapping[str, str],
    session: Any,
    now: datetime,
    settings: Settings,
) -> Forge:
    return LocalForge(repo, now=now, author=settings.spec.bot.name)


def _github(
    spec: GitHubForge,
    repo: GitRepo,
    env: Mapping[str, str],
    session: Any,
    now: datetime,
    settings: Settings,
) -> Forge:
    token = env.get(spec.token_env, "")
    if not token:
        raise ForgeError(
            f"forge github: the environment variable {spec.token_env} (forge.token_env) is not set"
        )
    # imported by name: the module (requests) loads only when a GitHub forge is used
    github = importlib.import_module("autoopt.gitops.github")
    forge: Forge = github.GitHubForge(spec.api_url, spec.repository, token, session)
    return forge


FORGES: dict[str, Factory] = {"local": _local, "github": _github}


def forge_settings(settings: Settings, override: str | None) -> ForgeSettings:
    """The forge to use: ``--forge`` when given, else ``autoopt.yaml``'s ``forge``."""
    configured = settings.spec.forge
    if override is None or override == configured.type:
        return configured
    if override == "local":
        return LocalSettings(type="local")
    raise ForgeError(
        f"--forge {override} needs forge: {{type: {override}, repository: OWNER/NAME}} "
        "in autoopt.yaml"
    )


def make_forge(
    settings: Settings,
    repo: GitRepo,
    *,
    env: Mapping[str, str],
    session: Any = None,
    now: datetime | None = None,
    override: str | None = None,
) -> Forge:
    """The forge ``autoopt.yaml`` (or ``override``) asks for.

    ``now`` stamps what the local forge records; the CLI passes its clock reading. Without
    it the current time is used (only composition roots call this).
    """
    spec = forge_settings(settings, override)
    stamp = now if now is not None else datetime.now(UTC)
    return FORGES[spec.type](spec, repo, env, session, stamp, settings)

"""Putting a simulation together from the command line's choices.

The scenario comes from ``--scenario`` (a file or a library name) or, with ``--policy``, is
calibrated on the policy's service in the metrics source with the config's stable params;
the candidate from ``--candidate VERSION`` (the config and its git history), ``--set``, or the
rollout in progress; the strategy from the policy or ``--strategy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import simulator
from autoopt.errors import SimulationError, UserError
from autoopt.simulate.inputs import merged, release_params
from autoopt.simulate.scenarios import (
    autoopt_params,
    beyond,
    calibrated,
    require_models,
    resolve_scenario,
    sim_params,
    with_window,
)
from autoopt.spec.load import Loaded
from autoopt.spec.models import LLMConfig, Params, Policy, StrategySpec
from autoopt.spec.repository import Repository, load_repository, presets
from autoopt.values import version_id


@dataclass(frozen=True)
class Setup:
    """The scenario to simulate and where it came from."""

    scenario: simulator.Scenario
    stable: Params  # the stable version's params, as autoopt's
    source: str  # for the output: "library scenario steady", "calibrated on …"
    calibrated: bool = False
    repo: Repository | None = None
    policy: Policy | None = None
    config: Loaded[LLMConfig] | None = None


@dataclass(frozen=True)
class Candidate:
    version: str
    params: simulator.Params
    source: str  # "--set", "config history", "the config's canary", "the scenario's canary"


def prepare(
    *,
    scenario_ref: str | None,
    repo_root: Path,
    policy_ref: str | None,
    metrics_src: str | None,
    duration: timedelta | None,
) -> Setup:
    """The scenario of this run (``--duration`` applied)."""
    if scenario_ref is None and policy_ref is None:
        raise UserError("give --scenario FILE|NAME, or --policy NAME to calibrate on its metrics")
    repo = policy = config = None
    if policy_ref is not None:
        repo = load_repository(repo_root)
        policy = repo.policy(policy_ref).document
        config = repo.config_for(policy)
    if scenario_ref is not None:
        scenario = resolve_scenario(scenario_ref)
        stable = autoopt_params(scenario.spec.variants.stable.params)
        kind = "library scenario" if not Path(scenario_ref).is_file() else "scenario file"
        setup = Setup(scenario, stable, f"{kind} {scenario_ref}", False, repo, policy, config)
    else:
        assert repo is not None and policy is not None and config is not None
        setup = _calibrated(repo, policy, config, metrics_src)
    scenario = with_window(setup.scenario, duration)
    return Setup(scenario, *_rest(setup))


def _rest(setup: Setup) -> tuple[Any, ...]:
    return (setup.stable, setup.source, setup.calibrated, setup.repo, setup.policy, setup.config)


def _calibrated(
    repo: Repository, policy: Policy, config: Loaded[LLMConfig], metrics_src: str | None
) -> Setup:
    from autoopt.metrics import read_metrics, source_from_settings

    service = policy.spec.target.service
    source = source_from_settings(repo.settings.spec, repo.root, metrics_src)
    read = read_metrics(source, service)
    stable = config.document.spec.stable
    scenario = calibrated(
        read.frame, service=service, stable_version=stable.version, stable=stable.params
    )
    n = int((read.frame["service"] == service).sum())
    text = f"calibrated on {n} rows of {service} ({source.description})"
    return Setup(scenario, stable.params, text, True, repo, policy, config)


def pick_candidate(
    setup: Setup, version: str | None, sets: Mapping[str, Any], *, canary: bool = False
) -> Candidate | None:
    """The candidate to compare (or, with ``canary``, to roll out: then the rollout in
    progress when neither ``version`` nor ``sets`` is given); None for a plain run."""
    base = setup.scenario.spec.variants.stable.params
    if version is None and not sets:
        return _current_canary(setup) if canary else None
    params, source = setup.stable, "--set"
    if version is not None:
        params, source = _release(setup, version), "config history"
    params = merged(params, sets)
    if params == setup.stable:
        raise UserError("the candidate's params are the stable version's: nothing to compare")
    require_models(setup.scenario, [params], "the candidate")
    if version is None or sets:
        version = version_id(params.flat())
    stable_version = setup.scenario.spec.variants.stable.version
    if version == stable_version:
        raise UserError(f"the candidate is the stable version {stable_version!r}")
    simulated = beyond(params, setup.stable) if setup.calibrated else params
    return Candidate(version, sim_params(simulated, base), source)


def _release(setup: Setup, version: str) -> Params:
    if setup.config is None or setup.repo is None:
        raise UserError("--candidate VERSION needs --policy (the config holds the versions)")
    found = release_params(setup.repo.root, setup.config.path, setup.config.text)
    if version not in found:
        known = ", ".join(sorted(found)) or "none"
        raise UserError(
            f"--candidate {version!r}: no such version in {setup.config.display} or its git "
            f"history (known: {known})"
        )
    return found[version]


def _current_canary(setup: Setup) -> Candidate | None:
    base = setup.scenario.spec.variants.stable.params
    canary = setup.config.document.spec.canary if setup.config is not None else None
    if canary is not None:
        require_models(setup.scenario, [canary.params], "the config's canary")
        params = beyond(canary.params, setup.stable) if setup.calibrated else canary.params
        return Candidate(canary.version, sim_params(params, base), "the config's canary")
    scenario_canary = setup.scenario.spec.variants.canary
    if scenario_canary is not None:
        return Candidate(scenario_canary.version, scenario_canary.params, "the scenario's canary")
    return None


def pick_strategy(setup: Setup, name: str | None) -> tuple[str, StrategySpec]:
    """``--strategy NAME``, else the policy's resolved strategy, else ``balanced``."""
    strategies = setup.repo.strategies if setup.repo is not None else presets()
    if name is not None:
        if name not in strategies:
            known = ", ".join(sorted(strategies))
            raise UserError(f"--strategy {name!r}: no such strategy (known: {known})")
        return name, strategies[name].spec
    if setup.policy is not None and setup.repo is not None:
        strategy = setup.repo.strategy_for(setup.policy)
        return strategy.metadata.name, strategy.spec
    return "balanced", strategies["balanced"].spec


def require_canary(candidate: Candidate | None) -> Candidate:
    if candidate is None:
        raise SimulationError(
            "--rollout needs a candidate: --candidate VERSION, --set KEY=VALUE, a config "
            "with a canary, or a scenario with a canary variant"
        )
    return candidate

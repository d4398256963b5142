"""Scenarios for ``autoopt simulate``: a file, a library name, or one calibrated on metrics.

Also the conversions between autoopt's :class:`~autoopt.spec.models.Params` (what a config
holds) and the simulator's params (what changes simulated behaviour).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

import simulator
from autoopt.errors import Location, Problem, SimulationError, SpecError
from autoopt.spec.models import Params


def sim_fields(params: Params) -> dict[str, Any]:
    """The fields of ``params`` that the simulator models, in the simulator's names."""
    data: dict[str, Any] = {"model": params.model}
    if params.max_tokens is not None:
        data["max_tokens"] = params.max_tokens
    if params.retries is not None:
        data["retries"] = params.retries
    if params.timeout is not None:
        data["timeout_s"] = params.timeout.total_seconds()
    if params.fallbacks is not None:
        data["fallbacks"] = tuple(params.fallbacks)
    if params.temperature is not None:
        data["temperature"] = params.temperature
    return data


def sim_params(params: Params, base: simulator.Params | None = None) -> simulator.Params:
    """autoopt's ``params`` as the simulator's, over ``base`` (whose backoff, jitter and
    unset fields are kept)."""
    data = base.model_dump() if base is not None else {}
    data.update(sim_fields(params))
    return simulator.Params.model_validate(data)


def autoopt_params(params: simulator.Params) -> Params:
    """A scenario variant's params as autoopt's (for ``--set`` to merge over)."""
    data: dict[str, Any] = {"model": params.model, "max_tokens": params.max_tokens}
    if params.retries:
        data["retries"] = params.retries
    if params.timeout_s is not None:
        data["timeout"] = timedelta(seconds=params.timeout_s)
    if params.fallbacks:
        data["fallbacks"] = list(params.fallbacks)
    if params.temperature is not None:
        data["temperature"] = params.temperature
    return Params.model_validate(data)


def load_scenario(path: Path) -> simulator.Scenario:
    """Load a scenario file; its located errors become autoopt's :class:`SpecError`."""
    try:
        return simulator.load_scenario(path)
    except simulator.ScenarioError as exc:
        raise SpecError(
            [Problem(Location(p.path, p.line, p.col), p.field, p.message) for p in exc.problems]
        ) from None


def resolve_scenario(ref: str) -> simulator.Scenario:
    """``--scenario REF``: an existing file, else a name from the shipped library."""
    path = Path(ref)
    if path.is_file():
        return load_scenario(path)
    known = simulator.list_scenarios()
    if ref in known:
        return load_scenario(simulator.scenario_path(ref))
    raise SimulationError(
        f"--scenario {ref!r}: no such file, and no library scenario of that name "
        f"(library: {', '.join(known)})"
    )


def for_calibration(rows: pd.DataFrame) -> pd.DataFrame:
    """Canonical rows as the simulator's calibration reads them: unknown ``truncated`` is
    False, and integer token counts."""
    out = rows.copy()
    out["truncated"] = out["truncated"].astype("boolean").fillna(False).astype(bool)
    for column in ("tokens_in", "tokens_out"):
        out[column] = out[column].fillna(0).round().astype("int64")
    return out


def calibrated(
    frame: pd.DataFrame, *, service: str, stable_version: str, stable: Params
) -> simulator.Scenario:
    """A scenario fitted to ``service``'s metrics (traffic, token shapes, per-model latency,
    errors, quality and prices), served by the config's stable version only."""
    rows = frame.loc[frame["service"] == service]
    if len(rows) < 2:
        raise SimulationError(
            f"need metrics rows of service {service!r} to calibrate from, found {len(rows)}"
        )
    fitted = simulator.calibrate(for_calibration(rows), service=service)
    require_models(fitted, [stable], "the config's stable version")
    base = fitted.spec.variants.stable.params
    return with_stable(fitted, sim_params(beyond(stable, stable), base), stable_version)


def beyond(params: Params, stable: Params) -> Params:
    """``params`` for a calibrated scenario, whose error rates were measured *after* the
    stable version's retries: only retries beyond the stable's are simulated."""
    extra = max((params.retries or 0) - (stable.retries or 0), 0)
    return params.model_copy(update={"retries": extra})


def with_stable(
    scenario: simulator.Scenario, params: simulator.Params, version: str
) -> simulator.Scenario:
    return replace_spec(
        scenario,
        variants={"stable": {"version": version, "params": params.model_dump()}},
        rollout=None,
        faults=[
            f for f in scenario.model_dump()["spec"]["faults"] if f["target"]["variant"] != "canary"
        ],
    )


def replace_spec(scenario: simulator.Scenario, **changes: Any) -> simulator.Scenario:
    """A copy of ``scenario`` with top-level ``spec`` fields replaced (validated again)."""
    data = scenario.model_dump()
    data["spec"].update(changes)
    try:
        out = simulator.Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        name = scenario.metadata.name
        raise SimulationError(f"scenario {name}: {where}: {first['msg']}") from None
    out._base_dir = scenario._base_dir
    return out


def with_window(
    scenario: simulator.Scenario, duration: timedelta | None, start: datetime | None = None
) -> simulator.Scenario:
    """``--duration``: a shorter or longer run (faults and bursts past the end are dropped)."""
    if duration is None and start is None:
        return scenario
    changes: dict[str, Any] = {}
    if start is not None:
        changes["start"] = start
    if duration is not None:
        seconds = duration.total_seconds()
        spec = scenario.model_dump()["spec"]
        changes["duration"] = seconds
        changes["faults"] = [f for f in spec["faults"] if f["start"] + f["duration"] <= seconds]
        traffic = spec["traffic"]
        traffic["bursts"] = [b for b in traffic["bursts"] if b["at"] + b["duration"] <= seconds]
        changes["traffic"] = traffic
    return replace_spec(scenario, **changes)


def require_models(scenario: simulator.Scenario, params: Sequence[Params], what: str) -> None:
    """Every model ``params`` call must have a behaviour in the scenario."""
    known = scenario.spec.models
    for p in params:
        for model in (p.model, *(p.fallbacks or ())):
            if model not in known:
                raise SimulationError(
                    f"{what}: model {model!r} has no behaviour in scenario "
                    f"{scenario.metadata.name} (models: {', '.join(sorted(known))}); "
                    "give a --scenario FILE that describes it"
                )

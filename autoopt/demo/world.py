"""The demo's simulated production: history before the proposal, and the rollout after it."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoopt.simulate.scenarios import load_scenario, replace_spec, sim_params
from autoopt.spec.files import write_atomic
from autoopt.spec.models import Params

if TYPE_CHECKING:
    import pandas as pd

    import simulator

SERVICE = "chat-service"

#: What the injected regression does to the canary in ``--scenario regression``.
REGRESSION = {"type": "latency_spike", "magnitude": 1.6}


@dataclass(frozen=True)
class Era:
    """A stretch of production history on one version."""

    version: str
    params: Params
    start: datetime
    length: timedelta


def world() -> simulator.Scenario:
    resource = importlib.resources.files("autoopt.demo") / "world.yaml"
    with importlib.resources.as_file(resource) as path:
        return load_scenario(Path(path))


def _variant(version: str, params: Params) -> dict[str, Any]:
    return {"version": version, "params": sim_params(params).model_dump()}


def history(eras: list[Era], *, rate: float, seed: int) -> pd.DataFrame:
    """Simulated production metrics of each era, one after the other."""
    import pandas as pd

    import simulator

    base = world()
    frames = []
    for index, era in enumerate(eras):
        variants = {**base.spec.variants.model_dump(), "stable": _variant(era.version, era.params)}
        scenario = replace_spec(
            base,
            start=era.start,
            duration=era.length.total_seconds(),
            traffic={"rate": rate},
            variants=variants,
        )
        frames.append(simulator.run_scenario(scenario, seed=seed + index).frame)
    return pd.concat(frames, ignore_index=True)


def rollout_scenario(
    *,
    stable: tuple[str, Params],
    canary: tuple[str, Params],
    steps: list[int],
    start: datetime,
    length: timedelta,
    rate: float,
    regression_at: timedelta | None,
) -> simulator.Scenario:
    """Stable and canary under a rollout driven by a judge every simulated minute."""
    base = world()
    variants = {
        **base.spec.variants.model_dump(),
        "stable": _variant(*stable),
        "canary": {**_variant(*canary), "weight": steps[0]},
    }
    faults = []
    if regression_at is not None:
        faults.append(
            {
                **REGRESSION,
                "target": {"variant": "canary"},
                "start": regression_at.total_seconds(),
                "duration": (length - regression_at).total_seconds(),
            }
        )
    return replace_spec(
        base,
        start=start,
        duration=length.total_seconds(),
        traffic={"rate": rate},
        variants=variants,
        faults=faults,
        rollout={"steps": steps, "check_every": 60.0},
    )


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write metrics as Parquet, atomically (a reader never sees half a file)."""
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_atomic(path, buffer.getvalue())

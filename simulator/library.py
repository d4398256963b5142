"""The scenario library shipped in ``simulator/scenarios/`` and its checked summaries.

``python -m simulator.library --regen`` re-runs every scenario with the recorded seed and
rewrites ``summaries.json`` (review the diff: it is the library's expected behaviour).
"""

from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path
from typing import Any

SEED = 42
_PACKAGE = "simulator.scenarios"


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios (file names without ``.yaml``), sorted."""
    files = resources.files(_PACKAGE).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def scenario_path(name: str) -> Path:
    """The file of a shipped scenario; ``KeyError`` names the known ones."""
    if name not in list_scenarios():
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(list_scenarios())}")
    return Path(str(resources.files(_PACKAGE).joinpath(f"{name}.yaml")))


def summaries_path() -> Path:
    return Path(str(resources.files(_PACKAGE).joinpath("summaries.json")))


def summarize(name: str, seed: int = SEED) -> dict[str, Any]:
    """Key numbers of one run of a shipped scenario (no judge)."""
    import numpy as np

    from simulator.loading import load_scenario
    from simulator.run import run_scenario

    f = run_scenario(load_scenario(scenario_path(name)), seed=seed).frame
    latency = f["latency_ms"].to_numpy()
    return {
        "seed": seed,
        "n": len(f),
        "error_rate": float(f["error"].mean()),
        "latency_p50_ms": float(np.percentile(latency, 50)),
        "latency_p95_ms": float(np.percentile(latency, 95)),
        "mean_cost_usd": float(f["cost_usd"].mean()),
        "mean_quality": float(f["quality"].mean()),
        "canary_share": float((f["variant"] == "canary").mean()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regen", action="store_true", help="rewrite summaries.json")
    args = parser.parse_args(argv)
    table = {name: summarize(name) for name in list_scenarios()}
    text = json.dumps(table, indent=2, sort_keys=True) + "\n"
    if args.regen:
        summaries_path().write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()

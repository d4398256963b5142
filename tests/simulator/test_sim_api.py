"""The simulator's public API, pinned; and its import hygiene."""

from __future__ import annotations

import inspect
import subprocess
import sys

import simulator

PUBLIC = {
    "COLUMNS", "Event", "Judge", "Params", "Problem", "Scenario", "ScenarioError", "SimResult",
    "StageContext", "calibrate", "list_scenarios", "load_scenario", "parse_scenario",
    "run_paired", "run_scenario", "scenario_path", "with_stable",
}  # fmt: skip


def test_exported_members() -> None:
    assert set(simulator.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(simulator, name) is not None


def test_the_canonical_columns() -> None:
    assert simulator.COLUMNS == (
        "timestamp", "service", "version", "variant", "model", "latency_ms", "ttft_ms",
        "tokens_in", "tokens_out", "cost_usd", "error", "quality", "truncated", "error_type",
    )  # fmt: skip


def test_signatures() -> None:
    run = inspect.signature(simulator.run_scenario)
    assert list(run.parameters) == ["scenario", "seed", "judge", "progress"]
    assert run.parameters["seed"].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(inspect.signature(simulator.calibrate).parameters) == ["frame", "service"]
    assert list(inspect.signature(simulator.run_paired).parameters) == [
        "scenario", "candidate", "seed", "version",
    ]  # fmt: skip


def test_import_is_light_and_never_touches_autoopt() -> None:
    code = (
        "import sys, simulator; "
        "heavy = {'pandas', 'numpy', 'simpy', 'scipy', 'pydantic'} & set(sys.modules); "
        "assert not heavy, heavy; "
        "simulator.run_scenario; "
        "assert not any(m == 'autoopt' or m.startswith('autoopt.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=".")

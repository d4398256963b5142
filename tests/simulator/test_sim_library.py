"""The shipped scenario library: every file loads, runs, and matches its recorded summary.

Regenerate the record after an intended change with ``python -m simulator.library --regen``.
"""

from __future__ import annotations

import json

import pytest

from simulator import list_scenarios, load_scenario, scenario_path
from simulator.library import summaries_path, summarize

EXPECTED = {
    "steady", "diurnal", "burst", "provider-outage", "rate-limited",
    "canary-latency-regression", "canary-quality-drop",
}  # fmt: skip
RECORDED = json.loads(summaries_path().read_text())


def test_the_library_lists_its_scenarios() -> None:
    assert set(list_scenarios()) == EXPECTED
    assert set(RECORDED) == EXPECTED
    with pytest.raises(KeyError, match="unknown scenario 'nope'; known: burst, "):
        scenario_path("nope")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_scenario_matches_its_recorded_summary(name: str) -> None:
    scenario = load_scenario(scenario_path(name))
    assert scenario.metadata.name == name
    got, want = summarize(name, seed=RECORDED[name]["seed"]), RECORDED[name]
    assert got["n"] == want["n"]
    for key in ("error_rate", "latency_p50_ms", "latency_p95_ms", "mean_cost_usd", "mean_quality"):
        assert got[key] == pytest.approx(want[key], rel=1e-9), key


def test_every_scenario_is_annotated() -> None:
    for name in EXPECTED:
        lines = scenario_path(name).read_text().splitlines()
        assert lines[0].startswith(f"# {name} — ")
        assert sum("#" in line for line in lines) >= 2

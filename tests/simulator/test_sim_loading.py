"""Scenario documents: valid files load; invalid ones fail with every problem, located."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import ScenarioError, load_scenario
from simulator.scenario import format_duration, parse_duration

GOOD = """\
apiVersion: autoopt/v1
kind: Scenario
metadata: {name: good}
spec:
  start: 2026-11-25T00:00:00Z
  duration: 1h
  traffic:
    rate: 3
    bursts:
      - {at: 10m, duration: 5m, multiplier: 3}
  requests:
    tokens_in: {dist: constant, value: 100}
    tokens_out: {dist: empirical, values: [10, 20, 30]}
  variants:
    stable: {version: v1, params: {model: a, fallbacks: [b]}}
  models:
    a:
      ttft_ms: {dist: constant, value: 100}
      quality: {dist: normal, mean: 80, sd: 5}
    b:
      ttft_ms: {dist: exponential, mean: 100}
      quality: {dist: beta, a: 8, b: 2}
  faults:
    - {type: outage, target: {model: a}, start: 50m, duration: 10m}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def errors(tmp_path: Path, text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    return str(info.value)


def test_a_good_file_loads(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, GOOD))
    assert s.spec.duration == 3600.0
    assert s.spec.traffic.bursts[0].at == 600.0
    assert s.spec.start.isoformat() == "2026-11-25T00:00:00+00:00"


def test_field_errors_are_all_reported_with_their_position(tmp_path: Path) -> None:
    text = (
        GOOD.replace("rate: 3", "rate: -3\n    profile: [1, 1, 1]")
        .replace(
            "{dist: constant, value: 100}\n    tokens_out",
            "{dist: lognormal, median: 0, sigma: 1}\n    tokens_out",
        )
        .replace("fallbacks: [b]}", "fallbacks: [b], colour: red}")
    )
    path = tmp_path / "scenario.yaml"
    assert errors(tmp_path, text) == "\n".join(
        [
            f"{path}:8:5: spec.traffic.rate: Input should be greater than 0",
            f"{path}:9:5: spec.traffic.profile: "
            "Tuple should have at least 24 items after validation, not 3",
            f"{path}:13:34: spec.requests.tokens_in.median: Input should be greater than 0",
            f"{path}:16:62: spec.variants.stable.params.colour: Extra inputs are not permitted",
        ]
    )


def test_cross_field_errors_are_located(tmp_path: Path) -> None:
    text = GOOD.replace("model: a, fallbacks: [b]", "model: gpt-5, fallbacks: [b, c]").replace(
        "start: 50m, duration: 10m", "start: 50m, duration: 20m"
    )
    path = tmp_path / "scenario.yaml"
    assert errors(tmp_path, text) == "\n".join(
        [
            f"{path}:15:36: spec.variants.stable.params.model: unknown model 'gpt-5'; models: a, b",
            f"{path}:15:65: spec.variants.stable.params.fallbacks.1: "
            "unknown model 'c'; models: a, b",
            f"{path}:24:42: spec.faults.0.start: "
            "fault [50m, 1h10m) ends after the scenario's duration 1h",
        ]
    )


def test_missing_fields_point_at_their_parent(tmp_path: Path) -> None:
    text = GOOD.replace("    rate: 3\n", "").replace(
        "    tokens_out: {dist: empirical, values: [10, 20, 30]}\n", ""
    )
    path = tmp_path / "scenario.yaml"
    # Field errors come first; cross-field checks run once the fields are valid.
    assert errors(tmp_path, text) == f"{path}:10:3: spec.requests.tokens_out: Field required"
    text = GOOD.replace("    rate: 3\n", "")
    assert (
        errors(tmp_path, text) == f"{path}:7:3: spec.traffic.rate: Field required (or give replay)"
    )


def test_bad_durations_and_yaml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    assert errors(tmp_path, GOOD.replace("duration: 1h", "duration: 1 hour")) == (
        f"{path}:6:3: spec.duration: invalid duration '1 hour'; expected e.g. 30s, 5m, 1h, 1d"
    )
    assert errors(tmp_path, GOOD.replace("rate: 3", "rate: [3")) == (
        f"{path}:9:11: expected ',' or ']', but got ':'"
    )


def test_error_objects_carry_their_parts(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, GOOD.replace("rate: 3", "rate: 0")))
    (problem,) = info.value.problems
    assert (problem.line, problem.col, problem.field) == (8, 5, "spec.traffic.rate")
    assert problem.message == "Input should be greater than 0"
    assert problem.path == str(tmp_path / "scenario.yaml")


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("1d", 86400), ("250ms", 0.25)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds

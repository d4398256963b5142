"""--set and --inject: parsed as data (never evaluated), every mistake one line."""

from __future__ import annotations

from datetime import timedelta

import pytest

import simulator
from autoopt.errors import UserError
from autoopt.simulate.inputs import (
    Injection,
    canary_faults,
    merged,
    parse_inject,
    parse_sets,
    quality_mean,
    split_items,
)
from autoopt.simulate.scenarios import autoopt_params, sim_params
from autoopt.spec.models import Params


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("model=gpt-4o-mini,max_tokens=512", ["model=gpt-4o-mini", "max_tokens=512"]),
        ("fallbacks=[a, b],retries=2", ["fallbacks=[a, b]", "retries=2"]),
        ("stop='a,b', temperature=0.5", ["stop='a,b'", "temperature=0.5"]),
        ("model=x,", ["model=x"]),
    ],
)
def test_items_split_on_top_level_commas(text: str, items: list[str]) -> None:
    assert split_items(text) == items


def test_values_are_yaml_scalars() -> None:
    found = parse_sets(["model=gpt-4o-mini,max_tokens=512", "temperature=0.5,timeout=45s"])
    assert found == {
        "model": "gpt-4o-mini",
        "max_tokens": 512,
        "temperature": 0.5,
        "timeout": "45s",
    }
    assert parse_sets(["fallbacks=[a, b]"]) == {"fallbacks": ["a", "b"]}
    assert parse_sets(["model=__import__('os').system('x')"]) == {
        "model": "__import__('os').system('x')"
    }
    assert parse_sets(["max_tokens=256", "max_tokens=128"]) == {"max_tokens": 128}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model", "--set 'model': expected KEY=VALUE, e.g. model=gpt-4o-mini"),
        ("Model=x", "--set 'Model=x': expected KEY=VALUE, e.g. model=gpt-4o-mini"),
        ("=x", "--set '=x': expected KEY=VALUE, e.g. model=gpt-4o-mini"),
        (
            "colour=red",
            "--set 'colour=red': unknown parameter 'colour' (known: model, provider, "
            "temperature, top_p, top_k, max_tokens, stop, presence_penalty, frequency_penalty, "
            "system_prompt, prompt_template, retries, timeout, fallbacks)",
        ),
        ("model=[a", "--set 'model=[a': the value is not valid YAML"),
        ("model={a: 1}", "--set 'model={a: 1}': expected a scalar or a [list], got a mapping"),
    ],
)
def test_bad_set_syntax_is_one_line(text: str, message: str) -> None:
    with pytest.raises(UserError) as info:
        parse_sets([text])
    assert str(info.value) == message


def test_merged_params_are_validated_and_errors_name_the_parameter() -> None:
    base = Params(model="gpt-4o", max_tokens=1024, temperature=0.7)
    assert merged(base, {"model": "gpt-4o-mini"}) == Params(
        model="gpt-4o-mini", max_tokens=1024, temperature=0.7
    )
    with pytest.raises(UserError) as info:
        merged(base, {"max_tokens": 0, "temperature": 9})
    assert str(info.value) == (
        "--set: temperature=9: Input should be less than or equal to 2; "
        "max_tokens=0: Input should be greater than 0"
    )
    with pytest.raises(UserError) as info:
        merged(base, {"timeout": "soon"})
    assert str(info.value).startswith("--set: timeout='soon': invalid duration 'soon'")


def test_params_convert_both_ways_and_keep_the_scenario_s_backoff() -> None:
    base = simulator.Params(model="a", max_tokens=100, retries=1, backoff_s=2.0, jitter=0.1)
    ours = autoopt_params(base)
    assert ours == Params(model="a", max_tokens=100, retries=1)
    changed = sim_params(merged(ours, {"max_tokens": 50, "timeout": "10s"}), base)
    assert changed == base.model_copy(update={"max_tokens": 50, "timeout_s": 10.0})


@pytest.mark.parametrize(
    ("text", "kind", "magnitude", "relative"),
    [
        ("latency=+30%", "latency_spike", 1.3, False),
        ("latency=x2", "latency_spike", 2.0, False),
        ("latency=-20%", "latency_spike", 0.8, False),
        ("error=+5pp", "error_burst", 0.05, False),
        ("error=+0.05", "error_burst", 0.05, False),
        ("quality=-10%", "quality_drop", 0.10, True),
        ("quality=-8pts", "quality_drop", 8.0, False),
    ],
)
def test_injections(text: str, kind: str, magnitude: float, relative: bool) -> None:
    found = parse_inject(text)
    assert (found.kind, found.relative) == (kind, relative)
    assert found.magnitude == pytest.approx(magnitude)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("latency=+30", "--inject 'latency=+30': write latency as +30% or x1.3"),
        (
            "error=+5%",
            "--inject 'error=+5%': the error rate changes in absolute terms; write +5pp or +0.05",
        ),
        ("error=-0.01", "--inject 'error=-0.01': expected an increase of the error rate in (0, 1]"),
        ("quality=+5%", "--inject 'quality=+5%': only a quality drop can be injected, e.g. -10%"),
        ("latency=-100%", "--inject 'latency=-100%': latency cannot shrink to zero or less"),
        (
            "outage",
            "--inject 'outage': expected latency=+30%, latency=x2, error=+5pp, error=+0.05, "
            "quality=-10% or quality=-8pts",
        ),
    ],
)
def test_bad_injections_are_one_line(text: str, message: str) -> None:
    with pytest.raises(UserError) as info:
        parse_inject(text)
    assert str(info.value) == message


def test_a_relative_quality_drop_is_a_share_of_the_model_s_mean_quality() -> None:
    scenario = simulator.load_scenario(simulator.scenario_path("steady"))
    model = scenario.spec.models["gpt-4o"]
    assert quality_mean(model.quality) == pytest.approx(85.0)  # beta(17, 3) × 100
    faults = canary_faults(
        [parse_inject("quality=-10%"), Injection("x", "latency_spike", 1.3)], scenario, "gpt-4o"
    )
    assert faults[0] == {
        "type": "quality_drop",
        "target": {"variant": "canary"},
        "start": 0.0,
        "duration": timedelta(hours=1).total_seconds(),
        "magnitude": pytest.approx(8.5),
    }
    assert faults[1]["magnitude"] == 1.3

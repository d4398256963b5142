"""Scenario builders for the simulator's tests: a small base document, merged with overrides."""

from __future__ import annotations

import copy
from typing import Any

from simulator.scenario import Scenario


def base_data() -> dict[str, Any]:
    return {
        "apiVersion": "autoopt/v1",
        "kind": "Scenario",
        "metadata": {"name": "test"},
        "spec": {
            "service": "chat",
            "start": "2026-11-25T00:00:00Z",
            "duration": "10m",
            "traffic": {"rate": 5},
            "requests": {
                "tokens_in": {"dist": "lognormal", "median": 300, "sigma": 0.5},
                "tokens_out": {"dist": "lognormal", "median": 100, "sigma": 0.5},
            },
            "variants": {"stable": {"version": "v1", "params": {"model": "big"}}},
            "models": {
                "big": {
                    "ttft_ms": {"dist": "lognormal", "median": 300, "sigma": 0.3},
                    "per_token_ms": 10,
                    "quality": {"dist": "beta", "a": 18, "b": 3},
                    "price": {"input_per_1k": 0.0025, "output_per_1k": 0.01},
                },
                "small": {
                    "ttft_ms": {"dist": "lognormal", "median": 150, "sigma": 0.3},
                    "per_token_ms": 4,
                    "quality": {"dist": "beta", "a": 12, "b": 4},
                    "price": {"input_per_1k": 0.00015, "output_per_1k": 0.0006},
                },
            },
        },
    }


def merge(data: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``patch`` into a copy of ``data`` (``None`` deletes a key; distributions are
    replaced whole)."""
    out = copy.deepcopy(data)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and "dist" not in value:
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def make(spec: dict[str, Any] | None = None) -> Scenario:
    """The base scenario with ``spec`` overrides deep-merged in."""
    return Scenario.model_validate(merge(base_data(), {"spec": spec or {}}))

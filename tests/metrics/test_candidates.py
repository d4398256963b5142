from __future__ import annotations

from autoopt.metrics.candidates import candidates_from_texts

V6 = """apiVersion: autoopt/v1
kind: LLMConfig
metadata: {name: chat-service}
spec:
  stable:
    version: v6
    params: {model: gpt-4o-mini, temperature: 0.5, max_tokens: 1024}
"""
V7_CANARY = (
    V6
    + """  canary:
    version: v7
    params: {model: gpt-4o, temperature: 0.7, max_tokens: 1024}
    steps: [5, 100]
    durations: [5m]
    step_started_at: 2026-11-23T20:00:00Z
"""
)
V7 = V6.replace("v6", "v7").replace("gpt-4o-mini, temperature: 0.5", "gpt-4o, temperature: 0.7")


def test_every_version_that_ever_appeared_is_a_candidate() -> None:
    found = candidates_from_texts([V6, V7_CANARY, V7])
    assert {v: p.flat() for v, p in found.items()} == {
        "v6": {"model": "gpt-4o-mini", "temperature": 0.5, "max_tokens": 1024},
        "v7": {"model": "gpt-4o", "temperature": 0.7, "max_tokens": 1024},
    }


def test_newest_text_wins_and_broken_texts_are_skipped() -> None:
    changed = V6.replace("temperature: 0.5", "temperature: 0.2")
    broken = "kind: LLMConfig\nspec: [unclosed"
    wrong_kind = V6.replace("LLMConfig", "Policy")
    bad_params = V6.replace("model: gpt-4o-mini, ", "")
    found = candidates_from_texts([V6, broken, wrong_kind, bad_params, changed])
    assert found["v6"].temperature == 0.2
    assert candidates_from_texts([broken, bad_params]) == {}

"""The rollout state machine with literal evidence: every transition, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autoopt.rollout.machine import Action, Evidence, phase_of, transition
from autoopt.spec.load import load_string
from autoopt.spec.models import LLMConfig, Policy, Strategy
from autoopt.spec.repository import presets
from autoopt.values import Reason
from tests.reconcile.helpers import STABLE_ONLY, WATCH, canary

NOW = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)
OK = (Reason("non_inferior", "canary is not worse"),)
BAD = (Reason("error_rate_increase", "errors +8 pp", {"delta": 0.08}),)


def _config(text: str) -> LLMConfig:
    document = load_string(text, path=Path("configs/chat-service.yaml")).document
    assert isinstance(document, LLMConfig)
    return document


def _policy() -> Policy:
    path = Path(__file__).resolve().parents[2] / "examples/quickstart/policies/chat-cost.yaml"
    document = load_string(path.read_text(encoding="utf-8"), path=path).document
    assert isinstance(document, Policy)
    return document


BALANCED: Strategy = presets()["balanced"]


def _run(text: str, evidence: Evidence, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return transition(text, _config(text), evidence, strategy=BALANCED, policy=_policy(), now=now)


def test_hold_changes_nothing() -> None:
    moved = _run(canary(0), Evidence("hold", (Reason("insufficient_data", "n < 100"),)))
    assert (moved.verdict, moved.action, moved.new_text) == ("hold", Action.NONE, None)
    assert [r.code for r in moved.reasons] == ["insufficient_data"]


def test_promote_advances_one_step_and_restarts_the_clock() -> None:
    moved = _run(canary(1), Evidence("promote", OK))
    assert moved.action is Action.ADVANCE
    expected = canary(2).replace(
        "step_started_at: 2026-11-25T10:00:00Z", "step_started_at: 2026-11-25T10:20:00Z"
    )
    assert moved.new_text == expected


def test_rollback_drops_the_canary_block_only() -> None:
    moved = _run(canary(2), Evidence("rollback", BAD))
    assert (moved.verdict, moved.action) == ("rollback", Action.REVERT)
    assert moved.new_text == STABLE_ONLY
    assert moved.reasons == BAD


def test_promote_at_the_last_step_ends_the_rollout_with_a_watch_window() -> None:
    moved = _run(canary(3), Evidence("promote", OK))
    assert moved.action is Action.PROMOTE
    assert moved.new_text is not None
    after = _config(moved.new_text).spec
    assert after.canary is None
    assert (after.stable.version, after.stable.params.model) == ("v8", "gpt-4o-mini")
    assert after.previous is not None
    assert (after.previous.version, after.previous.params.model) == ("v7", "gpt-4o")
    assert after.previous.promoted_at == NOW
    assert after.previous.watch_until == NOW + timedelta(minutes=30)  # balanced: watch 30m
    assert moved.new_text.startswith("# the chat service\n")
    assert moved.new_text.endswith("  paused: false  # reconcile observes only when true\n")


def test_blue_green_switches_to_full_traffic_on_the_first_promote() -> None:
    text = canary(0, strategy="blue-green", steps="[5, 100]", durations="[10m]")
    moved = _run(text, Evidence("promote", OK))
    assert moved.action is Action.PROMOTE
    assert moved.new_text is not None
    assert _config(moved.new_text).spec.stable.version == "v8"


def test_blue_green_rollback_keeps_the_old_version() -> None:
    text = canary(0, strategy="blue-green", steps="[5, 100]", durations="[10m]")
    moved = _run(text, Evidence("rollback", BAD))
    assert moved.action is Action.REVERT
    assert moved.new_text is not None
    assert _config(moved.new_text).spec.stable.version == "v7"


AB = canary(0, strategy="ab", steps="[50, 100]", durations="[1h]")
CHEAP = {"n": 500.0, "cost_per_request": 0.002, "quality": 88.0}
DEAR = {"n": 500.0, "cost_per_request": 0.010, "quality": 90.0}


@pytest.mark.parametrize(
    ("stable", "canary_arm", "now", "action", "code"),
    [
        # too few requests and the duration not over: keep the fixed split
        ({"n": 50.0}, {"n": 60.0}, NOW, Action.NONE, "ab_collecting"),
        # the canary is much cheaper for a little quality: the policy's weights pick it
        (DEAR, CHEAP, NOW, Action.PROMOTE, "ab_canary_wins"),
        # the canary is dearer: the stable is kept (the canary dropped)
        (CHEAP, DEAR, NOW, Action.REVERT, "ab_stable_kept"),
        # few requests, but the stage duration (1h) is over: decide on what there is
        (
            {"n": 50.0, "cost_per_request": 0.01},
            {"n": 40.0, "cost_per_request": 0.005},
            NOW + timedelta(hours=1),
            Action.PROMOTE,
            "ab_canary_wins",
        ),
        # no objective measured in both arms
        ({"n": 500.0}, {"n": 500.0}, NOW, Action.NONE, "ab_no_objective_data"),
    ],
)
def test_ab_fixed_split_then_the_winner_by_the_objectives(
    stable: dict[str, float], canary_arm: dict[str, float], now: datetime, action: Action, code: str
) -> None:
    moved = _run(AB, Evidence("promote", OK, stable, canary_arm), now)
    assert moved.action is action
    assert [r.code for r in moved.reasons] == [code]


def test_ab_score_is_the_weighted_relative_improvement() -> None:
    moved = _run(AB, Evidence("hold", (), DEAR, CHEAP))
    values = moved.reasons[0].values
    # cost −80% at weight 0.6, quality −2.22% at weight 0.4
    assert values["cost_per_request"] == pytest.approx(0.8)
    assert values["quality"] == pytest.approx(-2 / 90, abs=1e-6)
    assert values["score"] == pytest.approx(0.6 * 0.8 - 0.4 * 2 / 90, abs=1e-6)


def test_ab_safety_rollback_wins_over_the_split() -> None:
    moved = _run(AB, Evidence("rollback", BAD, {"n": 10.0}, {"n": 10.0}))
    assert (moved.action, moved.reasons) == (Action.REVERT, BAD)


def test_watch_window_holds_restores_or_ends() -> None:
    assert phase_of(_config(WATCH)) == "watch"
    held = _run(WATCH, Evidence("hold", OK))
    assert (held.action, held.new_text) == (Action.NONE, None)
    restored = _run(WATCH, Evidence("rollback", BAD))
    assert restored.action is Action.RESTORE
    assert restored.new_text == STABLE_ONLY
    ended = _run(WATCH, Evidence("hold", OK), NOW + timedelta(minutes=10))
    assert ended.action is Action.END_WATCH
    assert ended.verdict == "promote"
    assert ended.reasons[-1].code == "watch_passed"
    assert ended.new_text == STABLE_ONLY.replace("v7", "v8").replace(
        "gpt-4o\n", "gpt-4o-mini\n"
    ).replace("temperature: 0.7", "temperature: 0.5")


def test_no_phase_without_canary_or_watch() -> None:
    assert phase_of(_config(STABLE_ONLY)) is None

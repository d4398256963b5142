"""The rollout edits: the in-place advance gives the same bytes as spec.edit's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from autoopt.rollout import edits
from autoopt.spec import edit
from autoopt.spec.load import load_string
from tests.reconcile.helpers import STABLE_ONLY, WATCH, canary

NOW = datetime(2026, 11, 25, 11, 7, 30, tzinfo=UTC)

VARIANTS = [
    canary(0),
    canary(2),
    canary(0).replace("    step: 0\n", "    step: 0          # index into steps\n"),
    canary(1).replace(
        "    step_started_at: 2026-11-25T10:00:00Z\n",
        "    step_started_at: 2026-11-25T10:00:00Z # set by autoopt\n",
    ),
    canary(0).replace("2026-11-25T10:00:00Z", "'2026-11-25T10:00:00Z'"),  # quoted: full edit
    canary(0).replace("    step: 0\n", ""),  # no step key (default 0): full edit
    canary(0).replace("2026-11-25T10:00:00Z", "2026-11-25 10:00:00+00:00"),  # spaces: full edit
]


@pytest.mark.parametrize("text", VARIANTS)
def test_in_place_advance_equals_the_full_edit(text: str) -> None:
    tree = load_string(text, path=Path("c.yaml")).tree
    assert edits.advance_step(text, now=NOW, tree=tree) == edit.advance_step(text, now=NOW)


def test_restore_previous_and_set_stable() -> None:
    assert edits.restore_previous(WATCH) == STABLE_ONLY
    params = {"model": "gpt-4o", "temperature": 0.7}
    assert edits.set_stable(WATCH, version="v7", params=params) == STABLE_ONLY
    assert edits.set_stable(canary(1), version="v7", params=params) == STABLE_ONLY


REVERTS = [
    canary(1),
    canary(1).replace("  paused: false", "  # a comment between blocks\n\n  paused: false"),
    canary(1).replace("    proposal: '#12'\n", "    proposal: '#12'\n    # inside the block\n"),
    canary(1).replace("  paused: false  # reconcile observes only when true\n", ""),  # last key
]


@pytest.mark.parametrize("text", REVERTS)
def test_in_place_revert_equals_the_full_edit(text: str) -> None:
    tree = load_string(text, path=Path("c.yaml")).tree
    assert edits.drop_canary(text, tree=tree) == edit.revert(text)

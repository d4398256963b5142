"""spec/edit.py: byte-exact edits, round-trips of every shipped document, a hypothesis property."""

from __future__ import annotations

import difflib
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoopt.errors import SpecError
from autoopt.spec import edit
from autoopt.spec.load import load_string
from autoopt.spec.yamlio import dump_text, load_text
from tests.conftest import ROOT

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

BASE = """\
# The chat service.
apiVersion: autoopt/v1
kind: LLMConfig
metadata:
  name: chat-service    # the service
spec:
  stable:               # what everyone gets
    version: v7         # the version tag
    params:
      model: gpt-4o     # the model
      temperature: 0.7
      max_tokens: 1024

  # Set to true to freeze the rollout.
  paused: false         # see docs
"""

CANARY = """\
  canary:
    version: v-1a2b3c4d
    params:
      model: gpt-4o-mini
      temperature: 0.5
      max_tokens: 1024
    steps: [5, 25, 50, 100]
    durations: [5m, 10m, 15m]
    step: 0
    step_started_at: 2026-11-25T10:00:00Z
    policy: chat-cost
"""

ROLLING = BASE.replace("      max_tokens: 1024\n\n", "      max_tokens: 1024\n" + CANARY + "\n")


def _start(text: str = BASE) -> str:
    canary = edit.NewCanary(
        version="v-1a2b3c4d",
        params={"model": "gpt-4o-mini", "temperature": 0.5, "max_tokens": 1024},
        steps=[5, 25, 50, 100],
        durations=[timedelta(minutes=5), "10m", "15m"],
        policy="chat-cost",
    )
    return edit.start_rollout(text, canary, now=NOW)


def _changed(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [ln for ln in diff if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def test_start_rollout_inserts_the_canary_after_stable_and_nothing_else() -> None:
    assert _start() == ROLLING


def test_start_rollout_twice_is_refused() -> None:
    with pytest.raises(edit.EditError, match="already active"):
        _start(ROLLING)


def test_advance_step_changes_two_lines_and_keeps_comments() -> None:
    text = ROLLING.replace("    step: 0\n", "    step: 0             # stage index\n")
    after = edit.advance_step(text, now=NOW + timedelta(minutes=6))
    assert _changed(text, after) == [
        "-    step: 0             # stage index",
        "-    step_started_at: 2026-11-25T10:00:00Z",
        "+    step: 1             # stage index",
        "+    step_started_at: 2026-11-25T10:06:00Z",
    ]


def test_advance_past_the_last_step_is_refused() -> None:
    with pytest.raises(edit.EditError, match=r"step 4 is out of range \(0..3\)"):
        edit.advance_step(ROLLING, now=NOW, step=4)
    with pytest.raises(edit.EditError, match="no rollout is active"):
        edit.advance_step(BASE, now=NOW)


def test_promote_moves_canary_to_stable_and_keeps_previous() -> None:
    after = edit.promote(ROLLING, now=NOW + timedelta(hours=1), watch=timedelta(minutes=30))
    assert after == (
        "# The chat service.\n"
        "apiVersion: autoopt/v1\n"
        "kind: LLMConfig\n"
        "metadata:\n"
        "  name: chat-service    # the service\n"
        "spec:\n"
        "  stable:               # what everyone gets\n"
        "    version: v-1a2b3c4d # the version tag\n"
        "    params:\n"
        "      model: gpt-4o-mini\n"
        "      temperature: 0.5\n"
        "      max_tokens: 1024\n"
        "  previous:\n"
        "    version: v7\n"
        "    params:\n"
        "      model: gpt-4o     # the model\n"
        "      temperature: 0.7\n"
        "      max_tokens: 1024\n"
        "    promoted_at: 2026-11-25T11:00:00Z\n"
        "    watch_until: 2026-11-25T11:30:00Z\n"
        "\n"
        "  # Set to true to freeze the rollout.\n"
        "  paused: false         # see docs\n"
    )
    again = edit.promote(
        edit.start_rollout(
            after, edit.NewCanary("v-99", {"model": "gpt-4o"}, [50, 100], ["1m"]), now=NOW
        ),
        now=NOW + timedelta(hours=2),
    )
    assert again.count("previous:") == 1
    assert "    version: v-1a2b3c4d\n    params:\n      model: gpt-4o-mini\n" in again


def test_revert_drops_the_canary_byte_for_byte() -> None:
    assert edit.revert(ROLLING) == BASE
    assert edit.end_rollout(ROLLING, "revert", now=NOW) == BASE


def test_pause_and_resume() -> None:
    paused = edit.pause(BASE, reason="incident\n42")
    assert _changed(BASE, paused) == [
        "-  paused: false         # see docs",
        "+  paused: true          # see docs",
        "+  pause_reason: incident 42",
    ]
    assert edit.resume(paused) == BASE
    no_key = BASE.replace(
        "\n  # Set to true to freeze the rollout.\n  paused: false         # see docs\n", ""
    )
    assert edit.pause(no_key) == no_key + "  paused: true\n"


def test_clear_previous() -> None:
    promoted = edit.promote(ROLLING, now=NOW)
    assert "previous:" not in edit.clear_previous(promoted)
    assert edit.clear_previous(BASE) == BASE


def test_an_edit_that_would_break_the_config_raises() -> None:
    with pytest.raises(SpecError, match="step"):
        edit.start_rollout(BASE, edit.NewCanary("v-x", {"model": "m"}, [5, 25], []), now=NOW)


def test_quoted_values_and_flow_params_are_handled() -> None:
    text = BASE.replace("    version: v7         # the version tag", "    version: 'v7'  # tag")
    text = text.replace(
        "    params:\n      model: gpt-4o     # the model\n      temperature: 0.7\n"
        "      max_tokens: 1024\n",
        "    params: {model: gpt-4o, temperature: 0.7}\n",
    )
    promoted = edit.promote(_start(text), now=NOW)
    assert "    version: v-1a2b3c4d # tag\n" in promoted
    assert (
        "  previous:\n    version: v7\n    params: {model: gpt-4o, temperature: 0.7}\n" in promoted
    )


def _shipped() -> list[Path]:
    roots = [ROOT / "examples", ROOT / "policies"]
    return sorted(p for r in roots for p in r.rglob("*") if p.suffix in (".yaml", ".yml"))


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_document_round_trips_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert dump_text(load_text(text)) == text


# --------------------------------------------------------------------------- property

_words = st.text(alphabet=string.ascii_lowercase + " ", min_size=1, max_size=20).map(str.strip)
_comment = st.one_of(st.just(""), _words.filter(bool).map(lambda w: f"  # {w}"))
_model = st.sampled_from(["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", "o1-mini"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """LLMConfig texts with comments, blank lines and optional keys in varying places."""
    lines = []
    if draw(st.booleans()):
        lines.append(f"# {draw(_words)}\n")
    lines += ["apiVersion: autoopt/v1\n", "kind: LLMConfig\n", "metadata:\n"]
    lines.append(f"  name: svc{draw(_comment)}\n")
    lines.append(f"spec:{draw(_comment)}\n")
    lines.append(f"  stable:{draw(_comment)}\n")
    lines.append(f"    version: v{draw(st.integers(0, 999))}{draw(_comment)}\n")
    if draw(st.booleans()):
        quote = draw(st.sampled_from(["", "'", '"']))
        lines.append(f"    params: {{model: {quote}{draw(_model)}{quote}}}{draw(_comment)}\n")
    else:
        lines.append(f"    params:{draw(_comment)}\n")
        lines.append(f"      model: {draw(_model)}{draw(_comment)}\n")
        if draw(st.booleans()):
            lines.append(f"      # {draw(_words)}\n")
        if draw(st.booleans()):
            lines.append(f"      temperature: {draw(st.integers(0, 20)) / 10}{draw(_comment)}\n")
        if draw(st.booleans()):
            lines.append(f"      max_tokens: {draw(st.sampled_from([256, 512, 1024]))}\n")
    if draw(st.booleans()):
        lines.append("\n")
    if draw(st.booleans()):
        lines.append(f"  # {draw(_words)}\n")
        lines.append(f"  paused: {draw(st.sampled_from(['false', 'true']))}{draw(_comment)}\n")
    return "".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.sampled_from([[100], [10, 100], [5, 25, 50, 100]]))
def test_property_edits_are_minimal_and_reversible(text: str, steps: list[int]) -> None:
    assert dump_text(load_text(text)) == text
    canary = edit.NewCanary(
        "v-feedf00d", {"model": "gpt-4o-mini", "temperature": 0.3}, steps, ["5m"] * (len(steps) - 1)
    )
    started = edit.start_rollout(text, canary, now=NOW)
    assert all(ln.startswith("+") for ln in _changed(text, started))
    assert edit.revert(started) == text
    if len(steps) > 1:
        advanced = edit.advance_step(started, now=NOW + timedelta(minutes=5))
        assert len(_changed(started, advanced)) == 4
    promoted = edit.promote(started, now=NOW)
    assert promoted.startswith(text.split("spec:", maxsplit=1)[0])  # nothing above spec moves
    before = load_string(text, path=Path("x"), kind="LLMConfig").document.spec
    after = load_string(promoted, path=Path("x"), kind="LLMConfig").document.spec
    assert after.stable.version == "v-feedf00d" and after.canary is None
    assert after.stable.params.flat() == {"model": "gpt-4o-mini", "temperature": 0.3}
    assert after.previous is not None and after.previous.version == before.stable.version
    assert after.previous.params == before.stable.params
    assert after.paused == before.paused
    paused = edit.pause(text)
    assert edit.pause(paused) == paused
    if "paused: false" in text:
        assert edit.resume(paused) == text

"""PR body rendering: a snapshot of the whole body, and the helpers it is made of.

Regenerate the snapshot with ``AUTOOPT_UPDATE_SNAPSHOTS=1 pytest tests/gitops/test_render.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from autoopt.gitops import render
from autoopt.propose import WhatIf, plan
from autoopt.propose.model import WhatIfRow
from autoopt.spec.repository import load_repository
from tests.conftest import QUICKSTART
from tests.gitops import decisions

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("AUTOOPT_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {name}; run with AUTOOPT_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8")


def test_pr_body_snapshot() -> None:
    repo = load_repository(QUICKSTART)
    simulation = WhatIf(
        title="Scenario `steady-day` (seed 7), 24 h of simulated traffic:",
        rows=(
            WhatIfRow("cost_per_request", "0.0060", "0.0024"),
            WhatIfRow("latency_p95_ms", "1,450", "1,212"),
        ),
        verdict="promoted through 4 stages in 42m",
        notes=("No rollback trigger fired.",),
    )
    body = plan(
        repo, "chat-cost", decisions.propose(), now=decisions.NOW, simulation=simulation
    ).body
    _check_snapshot("pr_body.md", body)
    without = plan(repo, "chat-cost", decisions.propose(), now=decisions.NOW).body
    _check_snapshot("pr_body_no_simulation.md", without)


def test_body_sections_and_metadata() -> None:
    repo = load_repository(QUICKSTART)
    proposal_plan = plan(repo, "chat-cost", decisions.propose(), now=decisions.NOW)
    body = proposal_plan.body
    for heading in (
        "### Expected effect",
        "### Evidence",
        "### Pareto front and why this point",
        "### Simulation",
        "### Rollout plan",
        "### Automatic rollback",
        "### How to override",
    ):
        assert heading in body
    assert "```mermaid\nquadrantChart\n" in body
    meta = render.read_metadata(body)
    assert meta is not None
    assert meta["to"] == proposal_plan.decision.proposal.target.version  # type: ignore[union-attr]
    assert meta["fingerprint"] == {"improvement": 0.352, "n": 5000.0}


def test_metadata_comment_cannot_be_closed_early() -> None:
    comment = render.metadata_comment({"note": "a --> b"})
    assert comment.count("-->") == 1
    assert render.read_metadata(f"text\n{comment}\n") == {"note": "a --> b"}
    assert render.read_metadata("no metadata here") is None


def test_strict_undefined_fails_loudly() -> None:
    with pytest.raises(ValueError, match=r"superseded\.md\.j2"):
        render.render("superseded.md.j2", {"version": "v-1"})


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0024, "0.002400"), (1450.0, "1,450"), (87.2, "87.20"), (12, "12"), (None, "—"), (0.0, "0")],
)
def test_number(value: float | None, text: str) -> None:
    assert render.number(value) == text


def test_percent_and_estimate() -> None:
    assert render.percent(-0.6) == "−60.0%"
    assert render.percent(0.352) == "+35.2%"
    assert render.percent(0.1, signed=False) == "10.0%"
    assert render.estimate({"value": 2.0, "low": 1.5, "high": 2.5}) == "2.000 [1.500, 2.500]"
    assert render.estimate({"value": 3.0, "low": 3.0, "high": 3.0}) == "3.000"
    assert render.cell("a|b\nc") == "a\\|b c"


def test_mermaid_quadrant_scales_to_the_unit_square() -> None:
    points = [render.ChartPoint("v7", 6.0, 89.0), render.ChartPoint("v-1: x", 2.0, 85.0)]
    chart = render.mermaid_quadrant(points, title="t: x", x_label="cost", y_label="quality")
    assert chart == (
        "quadrantChart\n"
        "    title t  x\n"
        "    x-axis Low cost --> High cost\n"
        "    y-axis Low quality --> High quality\n"
        "    v7: [0.95, 0.95]\n"
        "    v-1  x: [0.05, 0.05]"
    )
    assert render.mermaid_quadrant(points[:1], title="t", x_label="a", y_label="b") is None


def test_mermaid_points_follow_the_quadrant_grammar() -> None:
    """mermaid's lexer takes coordinates ``1`` or ``0(.digits)`` only, names not starting '-'."""
    points = [render.ChartPoint(f"-v{i}", i * 0.37, (i * 7919) % 13) for i in range(12)]
    chart = render.mermaid_quadrant(points, title="t", x_label="a", y_label="b")
    assert chart is not None
    coordinate = r"(1|0(\.\d+)?)"
    for line in chart.splitlines()[4:]:
        assert re.fullmatch(
            rf"    [A-Za-z0-9._+][A-Za-z0-9 ._+-]*: \[{coordinate}, {coordinate}\]", line
        )

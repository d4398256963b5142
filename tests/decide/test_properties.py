"""Properties of choose() on generated candidates (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from autoopt.decide.choose import choose
from autoopt.decide.decision import DecisionKind
from autoopt.decide.pareto import dominates
from autoopt.values import Summary
from tests.decide.helpers import CURRENT, context, est, policy_doc, strategy, summary

MODELS = [f"m{i}" for i in range(8)]
POLICY = policy_doc(
    objectives=[
        {"metric": "cost_per_request", "goal": "minimize", "weight": 0.5},
        {"metric": "quality", "goal": "maximize", "weight": 0.3},
        {"metric": "latency_p95_ms", "goal": "minimize", "weight": 0.2},
    ],
    constraints=[
        {"metric": "quality", "min": 80},
        {"metric": "latency_p95_ms", "max": 2000},
        {"metric": "error_rate", "max": 0.05, "hard": False, "penalty": 2.0},
    ],
    search_space={"model": ["gpt-4o", *MODELS]},
)
SIGNS = {"cost_per_request": 1.0, "quality": -1.0, "latency_p95_ms": 1.0}


@st.composite
def candidates(draw: st.DrawFn) -> list[Summary]:
    rows = [
        summary(
            "v7",
            params=dict(CURRENT.params),
            cost_per_request=0.01,
            quality=85.0,
            latency_p95_ms=1500.0,
            error_rate=0.01,
        )
    ]
    chosen = draw(st.lists(st.sampled_from(MODELS), min_size=1, max_size=8, unique=True))
    for i, model in enumerate(chosen):
        rows.append(
            summary(
                f"v{8 + i}",
                params={"model": model},
                cost_per_request=est(
                    draw(st.sampled_from([0.002, 0.004, 0.006, 0.012])),
                    draw(st.sampled_from([0.0, 0.0005])),
                ),
                quality=est(
                    draw(st.sampled_from([75.0, 81.0, 85.0, 90.0])),
                    draw(st.sampled_from([0.0, 0.3, 2.0])),
                ),
                latency_p95_ms=draw(st.sampled_from([800.0, 1500.0, 2500.0])),
                error_rate=draw(st.sampled_from([0.0, 0.03, 0.08])),
            )
        )
    return rows


def objectives(metrics: object) -> list[float]:
    return [s * metrics[m].value for m, s in SIGNS.items()]  # type: ignore[index]


@given(candidates(), st.randoms(use_true_random=False))
@settings(max_examples=120, deadline=None)
def test_proposal_is_feasible_undominated_and_order_free(rows: list[Summary], rnd: object) -> None:
    decision = choose(rows, POLICY, strategy(), current=CURRENT, context=context(), seed=0)
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = choose(shuffled, POLICY, strategy(), current=CURRENT, context=context(), seed=0)
    assert (again.kind, again.proposal, again.reasons) == (
        decision.kind,
        decision.proposal,
        decision.reasons,
    )
    if decision.kind is not DecisionKind.PROPOSE:
        return
    assert decision.proposal is not None
    target = decision.proposal.target
    (chosen,) = [a for a in decision.assessments if a.candidate.params == target.params]
    assert chosen.feasible
    assert chosen.metrics["quality"].value >= 80
    assert chosen.metrics["latency_p95_ms"].value <= 2000
    for other in decision.assessments:
        if other.feasible:
            assert not dominates(objectives(other.metrics), objectives(chosen.metrics))

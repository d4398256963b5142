"""Triggers: priority order, critical short-circuit, cooldowns and each kind's condition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter

from autoopt.analyze.anomaly import Anomaly
from autoopt.analyze.budget import BudgetState, Rate
from autoopt.analyze.drift import Drift, DriftTrack
from autoopt.analyze.triggers import Observed, Signals, evaluate
from autoopt.spec.models import TriggerSpec

NOW = datetime(2026, 11, 25, 14, 7, tzinfo=UTC)
ADAPTER: TypeAdapter[Any] = TypeAdapter(list[TriggerSpec])


def _triggers(*items: dict[str, Any]) -> list[Any]:
    return ADAPTER.validate_python(list(items))


STABLE_ERRORS = {
    "name": "stable-errors",
    "type": "threshold",
    "metric": "error_rate",
    "above": 0.15,
    "window": "1m",
    "priority": "critical",
    "action": "rollback",
}
NIGHTLY = {"name": "nightly", "type": "schedule", "cron": "0 3 * * *", "priority": "low"}


def _budget(spent: float, projected: float) -> BudgetState:
    return BudgetState(
        "daily", 100.0, 0, 86400, spent, None, Rate(1, 1, 1), projected, projected, projected,
        None, None, None, None, None,
    )  # fmt: skip


def test_a_critical_trigger_short_circuits_the_rest() -> None:
    triggers = _triggers(
        NIGHTLY, STABLE_ERRORS, {"name": "spend", "type": "manual", "priority": "high"}
    )
    signals = Signals(
        thresholds={"stable-errors": Observed(0.22, 300)},
        manual=frozenset({"spend"}),
        in_watch=True,
    )
    outcome = evaluate(triggers, signals, now=NOW)
    assert [(f.name, f.status) for f in outcome.evaluated] == [
        ("stable-errors", "fired"),
        ("spend", "skipped"),
        ("nightly", "skipped"),
    ]
    chosen = outcome.chosen
    assert chosen is not None and chosen.action == "rollback"
    assert chosen.reasons[0].code == "trigger_threshold"
    assert chosen.reasons[0].values["value"] == 0.22
    assert outcome.evaluated[1].reasons[0].code == "short_circuit"


def test_rollback_outside_the_watch_window_alerts_instead() -> None:
    outcome = evaluate(
        _triggers(STABLE_ERRORS), Signals(thresholds={"stable-errors": Observed(0.3, 100)}), now=NOW
    )
    chosen = outcome.chosen
    assert chosen is not None and chosen.action == "alert"
    assert [r.code for r in chosen.reasons] == ["trigger_threshold", "no_watch_window"]


def test_below_the_threshold_or_without_data_nothing_fires() -> None:
    triggers = _triggers({**STABLE_ERRORS, "min_sample": 50})
    quiet = evaluate(triggers, Signals(thresholds={"stable-errors": Observed(0.1, 100)}), now=NOW)
    empty = evaluate(triggers, Signals(thresholds={"stable-errors": Observed(0.5, 10)}), now=NOW)
    assert [f.status for f in quiet.evaluated] == ["quiet"]
    assert [f.status for f in empty.evaluated] == ["no_data"]
    assert quiet.chosen is None and empty.chosen is None


def test_cooldown_holds_a_trigger_back() -> None:
    triggers = _triggers({**STABLE_ERRORS, "cooldown": "2h", "action": "alert"})
    signals = Signals(thresholds={"stable-errors": Observed(0.3, 100)})
    recent = evaluate(
        triggers, signals, now=NOW, last_fired={"stable-errors": NOW - timedelta(hours=1)}
    )
    later = evaluate(
        triggers, signals, now=NOW, last_fired={"stable-errors": NOW - timedelta(hours=3)}
    )
    assert recent.evaluated[0].status == "cooldown"
    assert later.evaluated[0].status == "fired"


def test_schedule_fires_once_per_scheduled_time() -> None:
    triggers = _triggers({**NIGHTLY, "cron": "0 14 * * *"})
    first = evaluate(triggers, Signals(), now=NOW)
    again = evaluate(
        triggers, Signals(), now=NOW, last_fired={"nightly": NOW - timedelta(minutes=5)}
    )
    tomorrow = evaluate(
        triggers, Signals(), now=NOW + timedelta(days=1), last_fired={"nightly": NOW}
    )
    assert [f.status for f in (first.evaluated[0], again.evaluated[0], tomorrow.evaluated[0])] == [
        "fired",
        "quiet",
        "fired",
    ]
    assert first.evaluated[0].action == "propose"


def test_a_schedule_long_past_does_not_fire_on_a_fresh_repository() -> None:
    assert evaluate(_triggers(NIGHTLY), Signals(), now=NOW).chosen is None  # 03:00 was 11h ago


def _anomaly(metric: str, side: str, severity_score: float) -> Anomaly:
    return Anomaly(metric, 0.0, 2100.0, 300, "mad", severity_score, 3.5, 1400.0, 1600.0, side)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("anomaly", "fires"),
    [
        (_anomaly("latency_p95_ms", "above", 12.0), True),  # worse, critical
        (_anomaly("latency_p95_ms", "below", 12.0), False),  # faster is not worse
        (_anomaly("latency_p95_ms", "above", 4.0), False),  # minor (< 1.5×)
        (_anomaly("quality", "below", 12.0), False),  # another metric
    ],
)
def test_anomaly_trigger(anomaly: Anomaly, fires: bool) -> None:
    triggers = _triggers({"name": "slow", "type": "anomaly", "metric": "latency_p95_ms"})
    outcome = evaluate(triggers, Signals(anomalies=(anomaly,)), now=NOW)
    assert outcome.evaluated[0].fired is fires


def test_drift_trigger_by_state() -> None:
    track = DriftTrack("model_share:gpt-4o", "adwin", "warning", (), (), 1.2, np.nan, np.nan)
    warning = Drift("model_share:gpt-4o", "warning", (track,))
    triggers = _triggers({"name": "mix", "type": "drift", "features": ["model_share"]})
    lax = _triggers({"name": "mix", "type": "drift", "state": "warning"})
    assert (
        evaluate(triggers, Signals(drift={"model_share:gpt-4o": warning}), now=NOW).chosen is None
    )
    fired = evaluate(lax, Signals(drift={"model_share:gpt-4o": warning}), now=NOW).chosen
    assert fired is not None and fired.reasons[0].values["feature"] == "model_share:gpt-4o"


def test_budget_trigger_on_spend_or_on_projection() -> None:
    spent = _triggers({"name": "spend", "type": "budget", "at": 0.9})
    projected = _triggers({"name": "spend", "type": "budget", "at": 1.0, "projected": True})
    signals = Signals(budgets={"daily": _budget(60.0, 130.0)})
    assert evaluate(spent, signals, now=NOW).chosen is None
    fired = evaluate(projected, signals, now=NOW).chosen
    assert fired is not None and fired.action == "propose_cheaper"
    assert "projected spend $130.00 is 130% of $100.00" in fired.reasons[0].message


def test_priority_then_declaration_order_decides() -> None:
    triggers = _triggers(
        {"name": "a", "type": "manual", "priority": "low"},
        {"name": "b", "type": "manual", "priority": "high", "action": "alert"},
        {"name": "c", "type": "manual", "priority": "high"},
    )
    outcome = evaluate(triggers, Signals(manual=frozenset({"a", "b", "c"})), now=NOW)
    assert [f.name for f in outcome.fired] == ["b", "c", "a"]
    assert outcome.chosen is not None and outcome.chosen.name == "b"

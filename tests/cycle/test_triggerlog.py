"""``.autoopt/triggers.json``: what it records, how it reads back, and located errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autoopt.errors import UserError
from autoopt.propose.engine import cheaper_policy
from autoopt.rollout.triggerlog import KEEP, TriggerLog, parse_trigger_log
from autoopt.spec.models import Policy

NOW = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)


def test_a_firing_and_an_alert_are_recorded_and_read_back() -> None:
    log = TriggerLog().recorded(
        "chat-service",
        [("stable-errors", "threshold", "critical"), ("nightly", "schedule", "low")],
        alerts=[("stable-errors", "critical", "stable error_rate 0.31 above 0.15")],
        now=NOW,
    )
    assert log.text() == (
        "{\n"
        '  "schema": 1,\n'
        '  "services": {\n'
        '    "chat-service": {\n'
        '      "fired": {\n'
        '        "nightly": "2026-11-25T10:20:00Z",\n'
        '        "stable-errors": "2026-11-25T10:20:00Z"\n'
        "      },\n"
        '      "alerts": [\n'
        "        {\n"
        '          "at": "2026-11-25T10:20:00Z",\n'
        '          "trigger": "stable-errors",\n'
        '          "priority": "critical",\n'
        '          "message": "stable error_rate 0.31 above 0.15"\n'
        "        }\n"
        "      ]\n"
        "    }\n"
        "  }\n"
        "}\n"
    )
    again = parse_trigger_log(log.text())
    assert again == log
    assert again.last_fired() == {
        ("chat-service", "nightly"): NOW,
        ("chat-service", "stable-errors"): NOW,
    }


def test_only_the_newest_alerts_are_kept_newest_first() -> None:
    log = TriggerLog()
    for minute in range(KEEP + 5):
        log = log.recorded(
            "svc",
            [("t", "threshold", "high")],
            alerts=[("t", "high", f"look {minute}")],
            now=NOW + timedelta(minutes=minute),
        )
    alerts = log.alerts["svc"]
    assert len(alerts) == KEEP
    assert [a.message for a in alerts[:2]] == [f"look {KEEP + 4}", f"look {KEEP + 3}"]
    assert log.fired["svc"]["t"] == NOW + timedelta(minutes=KEEP + 4)


def test_bad_json_is_located_and_a_wrong_shape_is_named() -> None:
    with pytest.raises(UserError) as bad:
        parse_trigger_log('{\n  "schema": 1,\n  "services": {,}\n}\n')
    assert str(bad.value).startswith(".autoopt/triggers.json:3:16: not valid JSON")
    assert "delete the file" in str(bad.value)
    with pytest.raises(UserError) as shape:
        parse_trigger_log('{"services": {"svc": {"fired": {"t": "yesterday"}}}}')
    assert str(shape.value) == (
        ".autoopt/triggers.json: services.svc.fired.t: 'yesterday' is not an ISO 8601 time"
    )
    with pytest.raises(UserError) as naive:
        parse_trigger_log('{"services": {"svc": {"fired": {"t": "2026-11-25T10:00:00"}}}}')
    assert "has no time zone" in str(naive.value)
    assert parse_trigger_log("") == TriggerLog()


def test_a_cheaper_proposal_ranks_by_cost_alone_and_keeps_every_constraint() -> None:
    policy = Policy.model_validate(
        {
            "apiVersion": "autoopt/v1",
            "kind": "Policy",
            "metadata": {"name": "p"},
            "spec": {
                "target": {"service": "s", "config": "configs/s.yaml"},
                "objectives": [
                    {"metric": "quality", "goal": "maximize", "weight": 0.9},
                    {"metric": "cost_per_request", "goal": "minimize", "weight": 0.1},
                ],
                "constraints": [{"metric": "quality", "min": 85}],
            },
        }
    )
    cheaper = cheaper_policy(policy)
    assert [(o.metric, o.goal, o.weight) for o in cheaper.spec.objectives] == [
        ("cost_per_request", "minimize", 1.0)
    ]
    assert cheaper.spec.constraints == policy.spec.constraints
    assert cheaper.metadata == policy.metadata


def test_a_cheaper_proposal_wins_over_a_plain_one_and_alerts_are_kept() -> None:
    from autoopt.analyze.triggers import Firing, TriggerOutcome
    from autoopt.cycle.analyzing import Item, TriggerPlan, update
    from autoopt.cycle.core import Turn

    def fired(name: str, kind: str, action: str) -> Firing:
        return Firing(name, kind, "medium", action, "fired", ())

    outcome = TriggerOutcome(
        (
            fired("slow", "anomaly", "alert"),
            fired("mix", "drift", "propose"),
            fired("spend", "budget", "propose_cheaper"),
            Firing("nightly", "schedule", "low", "propose", "quiet", ()),
        )
    )
    item = Item("svc", "p", outcome, ("nightly",), None)
    plan = TriggerPlan(None, {("svc", "p"): item}, None)
    (turn,) = update((Turn("svc", "p"),), plan, commits={}, applied=False)
    assert (turn.trigger, turn.settled) == ("spend", False)
    assert dict(turn.hints) == {"propose": "spend", "cheaper": True}
    assert [a.name for a in turn.alerts] == ["slow"]
    assert len(turn.firings) == 4
    only_quiet = TriggerPlan(
        None,
        {("svc", "p"): Item("svc", "p", TriggerOutcome(outcome.evaluated[3:]), ("nightly",), None)},
        None,
    )
    (quiet,) = update((Turn("svc", "p"),), only_quiet, commits={}, applied=False)
    assert quiet.trigger == "schedule" and "nightly quiet" in quiet.hints["quiet"]

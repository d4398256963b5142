"""The triggers of a policy evaluated on real metrics (the generated world), as the cycle runs
them: which fired, what they ask for, and why."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from autoopt.metrics import read_metrics, source_from_settings
from autoopt.monitor.triggers import evaluate_policies, last_fired
from autoopt.spec.repository import load_repository
from tests.analyze import world

WATCHED = (
    world.CONFIG
    + """  previous:
    version: v1
    params: {model: model-a}
    promoted_at: 2026-11-18T11:00:00Z
    watch_until: 2026-11-18T12:00:00Z
"""
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = world.write(tmp_path_factory.mktemp("signals") / "repo")
    loaded = load_repository(root)
    frame = read_metrics(source_from_settings(loaded.settings.spec, loaded.root)).frame
    return loaded, frame


def _run(repo: Any, now: datetime, **kwargs: Any) -> dict[str, tuple[str, str, list[str]]]:
    loaded, frame = repo
    configs = kwargs.pop("configs", {k: v.document for k, v in loaded.configs.items()})
    policies = [p.document for p in loaded.policies.values()]
    (found,) = evaluate_policies(policies, configs, frame, now=now, **kwargs)
    assert (found.service, found.policy) == ("chat", "chat-cost")
    return {
        f.name: (f.status, f.action, [r.code for r in f.reasons]) for f in found.outcome.evaluated
    }


def test_an_error_burst_fires_the_critical_trigger_first(repo: Any) -> None:
    out = _run(repo, datetime(2026, 11, 18, 11, 30, tzinfo=UTC))
    assert out == {
        "stable-errors": ("fired", "alert", ["trigger_threshold", "no_watch_window"]),
        "spend": ("skipped", "propose_cheaper", ["short_circuit"]),
        "nightly": ("skipped", "propose", ["short_circuit"]),
    }


def test_inside_a_watch_window_the_critical_trigger_rolls_back(repo: Any, tmp_path: Path) -> None:
    from autoopt.spec.load import load_document

    path = tmp_path / "chat.yaml"
    path.write_text(WATCHED, encoding="utf-8")
    config = load_document(path, kind="LLMConfig").document
    out = _run(repo, datetime(2026, 11, 18, 11, 30, tzinfo=UTC), configs={"chat": config})
    assert out["stable-errors"][:2] == ("fired", "rollback")


def test_the_budget_projection_asks_for_a_cheaper_proposal(repo: Any) -> None:
    out = _run(repo, datetime(2026, 11, 19, 15, 0, tzinfo=UTC))
    assert out["spend"] == ("fired", "propose_cheaper", ["trigger_budget"])
    assert out["stable-errors"][0] == "quiet"
    assert out["nightly"][0] == "quiet"


def test_schedule_and_cooldown_from_the_audit_log(repo: Any) -> None:
    now = datetime(2026, 11, 19, 3, 5, tzinfo=UTC)
    assert _run(repo, now)["nightly"][0] == "fired"
    log = [
        (
            datetime(2026, 11, 19, 3, 1, tzinfo=UTC),
            "autoopt: propose chat\n\nAutoopt-Service: chat\nAutoopt-Decision: propose\n"
            "Autoopt-Trigger: nightly\nAutoopt-Trigger: spend\n",
        ),
        (
            datetime(2026, 11, 18, 3, 0, tzinfo=UTC),
            "older\n\nAutoopt-Service: chat\nAutoopt-Decision: propose\nAutoopt-Trigger: nightly\n",
        ),
    ]
    fired = last_fired(log)
    assert fired == {
        ("chat", "nightly"): datetime(2026, 11, 19, 3, 1, tzinfo=UTC),
        ("chat", "spend"): datetime(2026, 11, 19, 3, 1, tzinfo=UTC),
    }
    out = _run(repo, now, fired=fired)
    assert out["nightly"][0] == "quiet"  # this morning's 03:00 already ran
    assert out["spend"][:2] == ("cooldown", "propose_cheaper")  # fired four minutes ago

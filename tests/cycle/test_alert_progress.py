"""The triggers' alerts reach the rollout's pull request: the reconcile plan of a service in
a rollout carries the alerts recorded in ``.autoopt/triggers.json`` since the rollout began,
and its sticky progress comment lists them."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from autoopt import reconcile
from autoopt.rollout.progress import progress_comment, stage_rows
from autoopt.rollout.state import read_state
from autoopt.rollout.triggerlog import LOG_FILE, TriggerLog
from tests.conftest import QUICKSTART
from tests.reconcile.helpers import canary

STARTED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # the canary's step_started_at


def test_alerts_since_the_rollout_began_are_on_its_progress_comment(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(QUICKSTART, root)
    (root / "configs" / "chat-service.yaml").write_text(canary(), encoding="utf-8")
    log = TriggerLog().recorded(
        "chat-service",
        [("slow", "anomaly", "high")],
        alerts=[("slow", "high", "latency p95 2,400 outside the expected 900...1,300")],
        now=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),  # before the rollout: not shown
    )
    log = log.recorded(
        "chat-service",
        [("errors", "threshold", "critical")],
        alerts=[("errors", "critical", "canary error_rate 0.2 above 0.1 | over 5 minutes")],
        now=datetime(2026, 11, 25, 10, 15, tzinfo=UTC),
    )
    (root / LOG_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / LOG_FILE).write_text(log.text(), encoding="utf-8")
    state = read_state(root)
    planned = reconcile.plan(state, None, now=datetime(2026, 11, 25, 10, 20, tzinfo=UTC))
    (service,) = planned.services
    assert service.alerts == (
        "2026-11-25 10:15 UTC errors (critical): canary error_rate 0.2 above 0.1 | over 5 minutes",
    )
    rows = stage_rows(service.steps, 0, service.verdict, service.reasons, {}, acted_at=None)
    body = progress_comment(
        service="chat-service", version="v8", stable="v7", rows=rows, status="Holding.",
        now=datetime(2026, 11, 25, 10, 20, tzinfo=UTC), alerts=service.alerts,
    )  # fmt: skip
    assert "**Alerts** from the policy's triggers during this rollout (newest first):" in body
    assert "- 2026-11-25 10:15 UTC errors (critical): canary error_rate 0.2 above 0.1 " in body
    assert "latency p95 2,400" not in body
    quiet = progress_comment(
        service="chat-service", version="v8", stable="v7", rows=rows, status="Holding.",
        now=datetime(2026, 11, 25, 10, 20, tzinfo=UTC),
    )  # fmt: skip
    assert "Alerts" not in quiet and quiet.startswith(body.split("**Alerts**")[0].rstrip())

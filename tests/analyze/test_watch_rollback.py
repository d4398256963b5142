"""The watch through ``autoopt reconcile`` on a real clone: a regression since the promotion
restores the previous version with a commit naming the reason; a healthy one holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from autoopt.cli.main import cli
from tests.conftest import Remote, git
from tests.reconcile.helpers import WATCH, commit_file
from tests.reconcile.traffic import Arm, write

CONFIG = "configs/chat-service.yaml"
BEFORE = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LOOK = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)


def _metrics(tmp: Path, after_errors: float) -> Path:
    path = tmp / "metrics.csv"
    write(path, "chat-service", [Arm("v7", 1500)], BEFORE, AT)  # the pre-change baseline
    write(
        path, "chat-service", [Arm("v8", 1000, error=after_errors)], AT, LOOK, seed=8, append=True
    )
    return path


def _reconcile(remote: Remote, metrics: Path) -> dict[str, object]:
    args = ["reconcile", "--repo", str(remote.clone), "--metrics", str(metrics)]
    result = CliRunner().invoke(cli, [*args, "--now", LOOK.isoformat(), "--format", "json"])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.output)
    return out


def test_a_regression_in_the_watch_window_restores_the_previous_version(
    remote: Remote, tmp_path: Path
) -> None:
    commit_file(remote.another_clone("person"), CONFIG, WATCH, "promote v8")
    out = _reconcile(remote, _metrics(tmp_path, after_errors=0.12))
    (service,) = out["services"]  # type: ignore[misc]
    assert (service["phase"], service["verdict"], service["action"]) == (
        "watch",
        "rollback",
        "restore",
    )
    config = git(remote.origin, "show", f"main:{CONFIG}")
    assert "version: v7" in config.split("previous:")[0] and "previous:" not in config
    message = git(remote.origin, "log", "-1", "--format=%B", "main")
    assert "Autoopt-Action: restore" in message
    assert "Autoopt-Reason: error_rate_increase" in message
    assert "error rate regressed by +" in message


def test_a_healthy_promotion_holds_in_its_watch_window(remote: Remote, tmp_path: Path) -> None:
    head = commit_file(remote.another_clone("person"), CONFIG, WATCH, "promote v8")
    out = _reconcile(remote, _metrics(tmp_path, after_errors=0.02))
    (service,) = out["services"]  # type: ignore[misc]
    assert (service["phase"], service["verdict"], service["action"]) == ("watch", "hold", "none")
    assert git(remote.origin, "rev-parse", "main").strip() == head
    codes = {r["code"] for r in service["reasons"]}  # type: ignore[index]
    assert codes == {"watch_ok"}

"""``AUTOOPT_NOW`` is the clock of every command (the default of ``--now``); ``--now`` wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import QUICKSTART, ROOT


def evaluate(*args: str, now_env: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AUTOOPT_NOW"}
    env["PYTHONPATH"] = str(ROOT)
    if now_env is not None:
        env["AUTOOPT_NOW"] = now_env
    command = ["evaluate", "--repo", str(QUICKSTART), "--policy", "chat-cost", "--since", "1d"]
    return subprocess.run(
        [sys.executable, "-m", "autoopt", *command, "--format", "json", *args],
        capture_output=True,
        text=True,
        env=env,
    )


def window_start(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["window"]["start"])


def test_the_environment_sets_the_clock_and_an_explicit_now_wins() -> None:
    assert window_start(evaluate(now_env="2026-11-25T00:00:00Z")) == "2026-11-24T00:00:00+00:00"
    pinned = evaluate("--now", "2026-11-24T12:00:00Z", now_env="2026-11-25T00:00:00Z")
    assert window_start(pinned) == "2026-11-23T12:00:00+00:00"


def test_a_malformed_clock_is_a_usage_error_that_names_the_variable() -> None:
    done = evaluate(now_env="next tuesday")
    assert done.returncode == 2
    assert "AUTOOPT_NOW" in done.stderr
    assert "'next tuesday' is not an ISO 8601 timestamp" in done.stderr

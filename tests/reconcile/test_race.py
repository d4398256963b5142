"""Two reconcilers on two clones judge the same stage: exactly one promotion every time.

A real bare origin and two clones. Both read the same head and both judge "promote"; the
first push wins, the second is rejected (StaleHead), re-reads, re-judges — the stage it sees
has only just started — and holds. ``RACE_ROUNDS`` rounds in the default run; the benchmark
(tests/benchmarks/bench_reconcile.py --race 100) runs 100.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from autoopt import reconcile
from autoopt.gitops.repo import Identity
from autoopt.metrics import read_metrics, source_from_settings
from autoopt.rollout.gitport import BaseBranch
from autoopt.spec.models import FilesSource, SettingsSpec
from tests.conftest import Remote, git
from tests.reconcile.helpers import canary, commit_file, trailers_of
from tests.reconcile.traffic import Arm, write

RACE_ROUNDS = int(os.environ.get("AUTOOPT_RACE_ROUNDS", "8"))  # the benchmark asks 100
NOW = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)
START = canary(0).replace("    proposal: '#12'\n", "")


def metrics_frame(tmp: Path) -> Any:
    arms = [Arm("v7", 800), Arm("v8", 800, model="gpt-4o-mini")]
    path = write(
        tmp / "race.csv", "chat-service", arms, datetime(2026, 11, 25, 10, tzinfo=UTC), NOW
    )
    spec = SettingsSpec(metrics=FilesSource(type="files", path=str(path)))
    return read_metrics(source_from_settings(spec, tmp)).frame


def judge_from(
    clone: Path, frame: Any, now: datetime = NOW
) -> tuple[reconcile.ReconcilePlan, BaseBranch]:
    branch = BaseBranch(
        clone, base="main", remote="origin", identity=Identity("bot", "bot@x"), now=now
    )
    state = reconcile.read_state(clone, branch.sync())
    return reconcile.plan(state, frame, now=now), branch


def advances_since(origin: Path, since: str) -> int:
    log = git(origin, "log", "--format=%B%x1e", f"{since}..main")
    entries = [trailers_of(m) for m in log.split("\x1e") if m.strip()]
    return sum(1 for t in entries if t.get("Autoopt-Action") == "advance")


def race_round(remote: Remote, person: Path, a: Path, b: Path, frame: Any, threaded: bool) -> None:
    started = commit_file(person, "configs/chat-service.yaml", START, "restart the rollout")
    plan_a, branch_a = judge_from(a, frame)
    plan_b, branch_b = judge_from(b, frame, NOW + timedelta(seconds=5))
    assert plan_a.services[0].verdict == plan_b.services[0].verdict == "promote"
    results: dict[str, reconcile.ReconcileResult] = {}
    if threaded:
        threads = [
            threading.Thread(
                target=lambda: results.update(a=reconcile.apply(plan_a, branch_a, None))
            ),
            threading.Thread(
                target=lambda: results.update(b=reconcile.apply(plan_b, branch_b, None))
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        results["a"] = reconcile.apply(plan_a, branch_a, None)
        results["b"] = reconcile.apply(plan_b, branch_b, None)
    applied = [r.services[0] for r in results.values() if r.services[0].applied]
    held = [r for r in results.values() if not r.services[0].applied]
    assert len(applied) == 1 and applied[0].plan.action == "advance"
    assert len(held) == 1 and held[0].attempts == 2
    assert held[0].services[0].plan.verdict == "hold"
    assert {r.code for r in held[0].services[0].plan.reasons} >= {"hold_time"}
    assert advances_since(remote.origin, started) == 1
    assert "    step: 1\n" in git(remote.origin, "show", "main:configs/chat-service.yaml")


def test_two_reconcilers_never_double_promote(remote: Remote, tmp_path: Path) -> None:
    frame = metrics_frame(tmp_path)
    person, other = remote.another_clone("person"), remote.another_clone("other")
    for index in range(RACE_ROUNDS):
        race_round(remote, person, remote.clone, other, frame, threaded=index % 2 == 1)


def test_the_same_verdict_at_the_same_instant_is_the_same_commit(
    remote: Remote, tmp_path: Path
) -> None:
    """Commits are deterministic: two runs at one instant build one commit; pushing it twice
    changes nothing, so the stage still advances exactly once."""
    frame = metrics_frame(tmp_path)
    started = commit_file(remote.another_clone("person"), "configs/chat-service.yaml", START)
    other = remote.another_clone("other")
    plan_a, branch_a = judge_from(remote.clone, frame)
    plan_b, branch_b = judge_from(other, frame)
    first = reconcile.apply(plan_a, branch_a, None)
    second = reconcile.apply(plan_b, branch_b, None)
    assert first.services[0].commit == second.services[0].commit
    assert advances_since(remote.origin, started) == 1

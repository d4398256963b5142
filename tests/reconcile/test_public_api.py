"""The public surface of the rollout workflows, pinned (STYLE §15)."""

from __future__ import annotations

import inspect

from autoopt import controls, reconcile
from autoopt.rollout import machine
from autoopt.rollout.gitport import BaseBranch
from autoopt.rollout.ports import RolloutGit


def test_workflow_entry_points() -> None:
    assert str(inspect.signature(reconcile.plan)) == (
        "(state: 'RepoState', metrics: 'Any', *, now: 'datetime') -> 'ReconcilePlan'"
    )
    assert str(inspect.signature(reconcile.apply)) == (
        "(plan_: 'ReconcilePlan', git: 'RolloutGit', forge: 'Forge | None', *, "
        "attempts: 'int' = 5) -> 'ReconcileResult'"
    )
    assert sorted(reconcile.__all__) == [
        "ReconcilePlan",
        "ReconcileResult",
        "RepoState",
        "ServicePlan",
        "ServiceResult",
        "apply",
        "plan",
        "pr_number",
        "preview",
        "read_state",
        "run_once",
    ]
    for name in ("plan_pause", "plan_emergency_stop", "plan_rollback", "apply"):
        assert callable(getattr(controls, name))
    assert [a.value for a in machine.Action] == [
        "none",
        "advance",
        "promote",
        "revert",
        "end_watch",
        "restore",
    ]


def test_the_git_port_is_implemented_by_base_branch() -> None:
    wanted = {n for n in dir(RolloutGit) if not n.startswith("_")}
    assert wanted == {
        "commit",
        "commit_all",
        "file_versions",
        "history",
        "landed_at",
        "push",
        "push_branch",
        "root",
        "sync",
    }
    assert wanted <= {n for n in dir(BaseBranch) if not n.startswith("_")}

"""Literal documents and small git helpers shared by the reconcile tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import git

STABLE_ONLY = """\
# the chat service
apiVersion: autoopt/v1
kind: LLMConfig
metadata:
  name: chat-service
spec:
  stable:
    version: v7
    params:
      model: gpt-4o
      temperature: 0.7
  paused: false  # reconcile observes only when true
"""

CANARY = """\
# the chat service
apiVersion: autoopt/v1
kind: LLMConfig
metadata:
  name: chat-service
spec:
  stable:
    version: v7
    params:
      model: gpt-4o
      temperature: 0.7
  canary:
    version: v8
    params:
      model: gpt-4o-mini
      temperature: 0.5
    strategy: {strategy}
    steps: {steps}
    durations: {durations}
    step: {step}
    step_started_at: 2026-11-25T10:00:00Z
    policy: chat-cost
    proposal: '#12'
  paused: false  # reconcile observes only when true
"""

WATCH = """\
# the chat service
apiVersion: autoopt/v1
kind: LLMConfig
metadata:
  name: chat-service
spec:
  stable:
    version: v8
    params:
      model: gpt-4o-mini
      temperature: 0.5
  previous:
    version: v7
    params:
      model: gpt-4o
      temperature: 0.7
    promoted_at: 2026-11-25T10:00:00Z
    watch_until: 2026-11-25T10:30:00Z
  paused: false  # reconcile observes only when true
"""


def canary(
    step: int = 0,
    *,
    strategy: str = "canary",
    steps: str = "[5, 25, 50, 100]",
    durations: str = "[5m, 10m, 15m]",
) -> str:
    return CANARY.format(step=step, strategy=strategy, steps=steps, durations=durations)


#: When the person's commits land: the canary's ``step_started_at`` in these documents, so a
#: rollout's first stage starts when its config says (the reconciler starts it no earlier than
#: the commit that landed it on main).
LANDED = "2026-11-25T10:00:00+00:00"


def commit_here(
    repo: Path, relpath: str, text: str, message: str = "edit", *, when: str = LANDED
) -> str:
    """Write and commit one file in ``repo`` at the time ``when`` (no pull, no push)."""
    path = repo / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    git(repo, "add", relpath)
    dates = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(
        ["git", "commit", "--quiet", "-m", message],
        cwd=repo,
        check=True,
        capture_output=True,
        env={**os.environ, **dates},
    )
    return git(repo, "rev-parse", "HEAD").strip()


def commit_file(
    clone: Path, relpath: str, text: str, message: str = "edit", *, when: str = LANDED
) -> str:
    """Pull, then write, commit and push one file from ``clone`` (as a person would)."""
    git(clone, "pull", "--quiet", "--ff-only", "origin", "main")
    sha = commit_here(clone, relpath, text, message, when=when)
    git(clone, "push", "--quiet", "origin", "HEAD:main")
    return sha


def trailers_of(message: str) -> dict[str, str]:
    """The ``Key: value`` lines of a commit message's last paragraph."""
    block = message.strip().split("\n\n")[-1]
    return dict(line.split(": ", 1) for line in block.splitlines())

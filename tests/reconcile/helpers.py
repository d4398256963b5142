"""Literal documents and small git helpers shared by the reconcile tests."""

from __future__ import annotations

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


def commit_file(clone: Path, relpath: str, text: str, message: str = "edit") -> str:
    """Pull, then write, commit and push one file from ``clone`` (as a person would)."""
    git(clone, "pull", "--quiet", "--ff-only", "origin", "main")
    path = clone / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    git(clone, "add", relpath)
    git(clone, "commit", "--quiet", "-m", message)
    git(clone, "push", "--quiet", "origin", "HEAD:main")
    return git(clone, "rev-parse", "HEAD").strip()


def trailers_of(message: str) -> dict[str, str]:
    """The ``Key: value`` lines of a commit message's last paragraph."""
    block = message.strip().split("\n\n")[-1]
    return dict(line.split(": ", 1) for line in block.splitlines())

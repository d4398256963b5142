"""``review(root, base, head, …)``: every change to policies, configs and ``autoopt.yaml``
between two refs — validated at the head, each config's impact predicted against the current
stable, each policy's decision today compared with the old one's.

Both refs are checked out as temporary linked worktrees (their history is the repository's,
so the decision engine reads the same audit log as ``propose`` would at that ref). Metrics
are read where the review runs: ``--metrics``, else the head's ``autoopt.yaml`` source with
its paths taken in the work tree at ``root`` (metrics need not be committed).
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from autoopt.errors import Problem, UserError
from autoopt.gitops.repo import GitRepo
from autoopt.gitops.trailers import audit_entry
from autoopt.review.configs import Context, Frames, review_config
from autoopt.review.documents import Snapshot, field_changes, reviewed, snapshot
from autoopt.review.model import Review, SettingsReview
from autoopt.review.policies import decider, review_policy
from autoopt.spec.repository import SETTINGS_FILE

if TYPE_CHECKING:
    import pandas as pd


def review(
    root: Path,
    base: str,
    head: str,
    *,
    metrics_src: str | None,
    now: datetime,
    seed: int = 0,
    replicas: int = 1,
) -> Review:
    git = GitRepo(root)
    base_sha, head_sha = _sha(git, base, "--base"), _sha(git, head, "--head")
    with (
        tempfile.TemporaryDirectory(prefix="autoopt-review-") as tmp,
        git.checkout(base_sha, Path(tmp) / "base") as base_root,
        git.checkout(head_sha, Path(tmp) / "head") as head_root,
    ):
        old, new = snapshot(base_root), snapshot(head_root)
        dirs = (*new.dirs(), *old.dirs())
        changed = [p for p in git.changed_paths(base_sha, head_sha) if reviewed(p, dirs)]
        source = _Metrics(root, metrics_src)
        authors = _authors(git, base_sha, head_sha)
        ctx = Context(old, new, _frames(new, source), seed, replicas, authors)
        configs = [review_config(p, ctx) for p in changed if _is(p, old, new, "config")]
        decide = decider(source, now, seed)
        policies = [
            review_policy(p, old, new, decide) for p in changed if _is(p, old, new, "policy")
        ]
        return Review(
            base=base,
            head=head,
            base_sha=base_sha,
            head_sha=head_sha,
            changed=tuple(changed),
            problems=tuple(_shown_problems(new, changed)),
            configs=tuple(configs),
            policies=tuple(policies),
            settings=_settings(old, new) if SETTINGS_FILE in changed else None,
            metrics=_describe(new, source),
            now=now.isoformat().replace("+00:00", "Z"),
            prefix="" if str(git.prefix) == "." else str(git.prefix),
        )


def _sha(git: GitRepo, ref: str, option: str) -> str:
    sha = git.rev(ref)
    if sha is None:
        raise UserError(f"{option} {ref!r}: no such commit in {git.root} (fetch it first)")
    return sha


def _is(path: str, old: Snapshot, new: Snapshot, kind: str) -> bool:
    if kind == "config":
        return new.config_at(path) is not None or old.config_at(path) is not None
    return new.policy_at(path) is not None or old.policy_at(path) is not None


def _shown_problems(new: Snapshot, changed: Sequence[str]) -> list[Problem]:
    """Every error at the head; warnings only in the files the change touched."""
    return [
        p
        for p in new.problems
        if p.severity == "error" or Path(p.location.path).as_posix() in changed
    ]


class _Metrics:
    """Where metrics are read: ``--metrics``, else the head's source with its paths in the
    work tree (a URL source is used as configured)."""

    def __init__(self, root: Path, override: str | None) -> None:
        self.root = root
        self.override = override

    def __call__(self, snap: Snapshot) -> str | None:
        if self.override is not None or snap.repo is None:
            return self.override
        spec = snap.repo.settings.spec.metrics
        if spec.type in ("files", "otel"):
            path = os.path.relpath(self.root / spec.path)  # the override is read from the cwd
            return f"otel:{path}" if spec.type == "otel" else path
        return None


def _frames(new: Snapshot, source: _Metrics) -> Frames:
    from autoopt.metrics import read_metrics, source_from_settings

    @functools.cache
    def frames(service: str) -> tuple[pd.DataFrame, str]:
        if new.repo is None:
            raise UserError("the documents at the head are not valid")
        found = source_from_settings(new.repo.settings.spec, source.root, source.override)
        read = read_metrics(found, service)
        n = int((read.frame["service"] == service).sum())
        return read.frame, f"calibrated on {n} rows of {service} ({found.description})"

    return frames


def _describe(new: Snapshot, source: _Metrics) -> str:
    if source.override is not None:
        return source.override
    if new.repo is None:
        return ""
    spec = new.repo.settings.spec.metrics
    return f"{spec.type} {getattr(spec, 'path', None) or getattr(spec, 'url', '')}".strip()


def _authors(git: GitRepo, base: str, head: str) -> Callable[[str], list[tuple[str, bool]]]:
    def authors(path: str) -> list[tuple[str, bool]]:
        commits = git.log([head, f"^{base}"], [path])
        return [
            (c.author_name, audit_entry(c.sha, c.committed_at, c.author_name, c.message).decision
             is not None)
            for c in commits
        ]  # fmt: skip

    return authors


def _settings(old: Snapshot, new: Snapshot) -> SettingsReview:
    before = old.repo.settings_file if old.repo else None
    after = new.repo.settings_file if new.repo else None
    return SettingsReview(SETTINGS_FILE, field_changes(before, after))

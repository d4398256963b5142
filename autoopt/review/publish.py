"""A review on its pull request: one sticky comment (found again by its invisible marker, so
a second push edits it instead of adding one) and the check run ``autoopt/review`` on the
head commit, its conclusion the verdict and its annotations on the changed lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from autoopt.gitops.forge import CheckConclusion, CheckRun
from autoopt.review.model import ConfigReview, FieldChange, Outcome, PolicyReview, Review
from autoopt.review.render import MARKER, headline, markdown

CHECK_NAME = "autoopt/review"
CONCLUSIONS: dict[Outcome, CheckConclusion] = {
    Outcome.SUCCESS: "success",
    Outcome.NEUTRAL: "neutral",
    Outcome.FAILURE: "failure",
}
LEVEL = {Outcome.SUCCESS: "notice", Outcome.NEUTRAL: "warning", Outcome.FAILURE: "failure"}


class ReviewForge(Protocol):
    def comment(self, number: int, body: str, *, marker: str | None = None) -> None: ...

    def upsert_check_run(self, sha: str, name: str, run: CheckRun) -> int: ...


@dataclass(frozen=True)
class Published:
    pull_request: int
    check_run: int
    conclusion: str


def check_run(review: Review, now: datetime) -> CheckRun:
    """The check run of ``review`` (pure)."""
    return CheckRun(
        conclusion=CONCLUSIONS[review.outcome],
        title=headline(review)[:1000],
        summary=markdown(review),
        completed_at=now.isoformat().replace("+00:00", "Z"),
        annotations=tuple(annotations_of(review)),
    )


def annotations_of(review: Review) -> list[dict[str, object]]:
    """Validation problems where they are; each verdict on the changed fields it is about."""
    found: list[dict[str, object]] = []
    for problem in review.problems:
        where = problem.location
        level = "failure" if problem.severity == "error" else "warning"
        line = max(where.line, 1)
        message = f"{problem.field}: {problem.message}" if problem.field else problem.message
        found.append(_note(review.repo_path(where.path), line, level, "invalid", message))
    for config in review.configs:
        found += _on_fields(review, config.path, config.fields, config, config.verdict.text)
    for policy in review.policies:
        found += _on_fields(review, policy.path, policy.fields, policy, policy.verdict.text)
    return found


def _on_fields(
    review: Review,
    path: str,
    fields: Sequence[FieldChange],
    item: ConfigReview | PolicyReview,
    text: str,
) -> list[dict[str, object]]:
    level = LEVEL[item.verdict.outcome]
    mid = item.mid_rollout if isinstance(item, ConfigReview) else ""
    title = f"autoopt review: {item.verdict.code.replace('_', ' ')}"
    lines = sorted({f.location.line for f in fields if f.location.line} or {1})
    notes = []
    for line in lines:
        changed = ", ".join(f.field for f in fields if f.location.line == line) or "the file"
        message = f"{changed}: {text}" + (f"\n{mid}" if mid else "")
        notes.append(_note(review.repo_path(path), line, level, title, message))
    return notes


def _note(path: str, line: int, level: str, title: str, message: str) -> dict[str, object]:
    return {
        "path": path,
        "start_line": line,
        "end_line": line,
        "annotation_level": level,
        "title": title[:255],
        "message": message[:64_000],
    }


def publish(
    review: Review, forge: ReviewForge, *, number: int, sha: str, now: datetime
) -> Published:
    """Post (or edit) the sticky comment on #number and create (or update) the check run on
    ``sha``, the pull request's head commit."""
    forge.comment(number, markdown(review), marker=MARKER)
    run = check_run(review, now)
    check_id = forge.upsert_check_run(sha, CHECK_NAME, run)
    return Published(number, check_id, run.conclusion)

"""``evaluate``: measured candidates of one policy's service, scored against the policy.

The composition of ``metrics`` (read, window, summarise) and ``decide`` (assess) shared by
``autoopt evaluate`` and the proposal workflow, which decides on the same measurements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from autoopt.errors import MetricsError

if TYPE_CHECKING:
    import pandas as pd

    from autoopt.decide.decision import Assessment
    from autoopt.metrics.sources import MetricsSource, SummaryRead
    from autoopt.spec.load import Loaded
    from autoopt.spec.models import LLMConfig, Policy
    from autoopt.spec.repository import Repository
    from autoopt.values import Summary, Window


@dataclass(frozen=True)
class Measured:
    """What production measured for one policy's service over one window."""

    policy: Policy
    config: Loaded[LLMConfig]
    source: MetricsSource
    read: SummaryRead  # the summaries, the window used, the row accounting and the prices
    history: str  # where the versions' params came from

    @property
    def window(self) -> Window:
        return self.read.window

    @property
    def summaries(self) -> list[Summary]:
        return self.read.summaries


def measure(
    repo: Repository,
    policy_ref: str,
    metrics_src: str | None,
    *,
    since: str | None,
    until: str | None,
    now: datetime,
    env: Mapping[str, str] | None = None,
    source: MetricsSource | None = None,
) -> Measured:
    """Ask the metrics source for every version of the service over the window (``source``:
    one already open, shared by the policies of a cycle; else the settings' or ``metrics_src``)."""
    from autoopt.metrics.sources import SummaryRequest, source_from_settings
    from autoopt.metrics.summary import period_of

    policy = repo.policy(policy_ref).document
    service = policy.spec.target.service
    config = repo.config_for(policy)
    period = period_of(since, until, now)
    if source is None:
        source = source_from_settings(repo.settings.spec, repo.root, metrics_src, env=env)
    params, history = config_params(repo, config)
    (read,) = source.summaries([SummaryRequest(service, period, params)])
    if not read.summaries:
        raise MetricsError(_nothing(source, read))
    return Measured(policy, config, source, read, history)


def _nothing(source: MetricsSource, read: SummaryRead) -> str:
    window = read.window
    if read.rows.accepted == 0 and read.rows.rejected and not read.rows.outside:
        return f"{source.description}: no usable rows ({read.rows.line().removeprefix('rows: ')})"
    seen = ", ".join(source.services()) or "none"
    hint = next((n for n in read.notes if n.startswith("no data: ")), None)  # Prometheus'
    return (
        f"no metrics for service {read.service!r} in {window.start.isoformat()} .. "
        f"{window.end.isoformat()} ({source.description}; services seen: {seen})"
        + (f"; {hint.removeprefix('no data: ')}" if hint else "")
    )


@dataclass
class Evaluation:
    """Everything ``evaluate`` found, rendered last (JSON is a stable contract)."""

    policy: str
    service: str
    baseline: str
    window: Window
    read: SummaryRead
    assessments: list[Assessment]
    recommended: str | None
    history: str
    series: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def evaluate(
    repo: Repository,
    policy_ref: str,
    metrics_src: str | None,
    since: str | None,
    until: str | None,
    now: datetime,
    by: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Evaluation:
    """Read, summarise and assess; the composition of metrics and decide for one policy."""
    from autoopt.decide.score import assess

    found = measure(repo, policy_ref, metrics_src, since=since, until=until, now=now, env=env)
    policy, summaries = found.policy, found.summaries
    service = policy.spec.target.service
    baseline = found.config.document.spec.stable.version
    assessments = assess(summaries, policy.spec, baseline)
    series = _series(found.source, by, service, found.window) if by else None
    notes = [*found.read.notes, *(f"{s.version}: {n}" for s in summaries for n in s.notes)]
    return Evaluation(
        policy=policy.metadata.name,
        service=service,
        baseline=baseline,
        window=found.window,
        read=found.read,
        assessments=assessments,
        recommended=recommend(assessments),
        history=found.history,
        series=series,
        notes=notes,
    )


def config_params(repo: Repository, config: Loaded[LLMConfig]) -> tuple[dict[str, Any], str]:
    """version → params from every committed version of the config (and the work tree)."""
    from autoopt.errors import GitOpsError
    from autoopt.metrics.candidates import candidates_from_texts

    texts, history = [], "the current config file only (not a git repository)"
    try:
        from autoopt.gitops.repo import GitRepo

        git_repo = GitRepo(repo.root)
        relpath = config.path.resolve().relative_to(repo.root.resolve()).as_posix()
        versions = git_repo.file_versions(relpath)
        texts = [v.text for v in versions]
        history = f"{len(versions)} committed version(s) of {relpath} and the work tree"
    except (GitOpsError, ValueError):
        pass
    found = candidates_from_texts([*texts, config.text])
    return {version: p.flat() for version, p in found.items()}, history


def recommend(assessments: list[Assessment]) -> str | None:
    """The eligible candidate with the highest score (ties: better Pareto rank, then name)."""
    eligible = [a for a in assessments if a.eligible and a.pareto_rank >= 0]
    if not eligible:
        return None
    best = min(eligible, key=lambda a: (-a.score, a.pareto_rank, a.candidate.version))
    return best.candidate.version


def _series(source: MetricsSource, by: str, service: str, window: Window) -> pd.DataFrame:
    from autoopt.metrics.aggregate import timeseries

    rows = source.rows(service, window).frame
    series, _rows = timeseries(rows, by, service=service, window=window, quantile_intervals=True)
    return series

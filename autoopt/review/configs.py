"""The review of one changed config: what the change serves instead of the current stable,
its predicted impact and verdict, and the flag for a config that is mid-rollout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from autoopt.review.documents import Snapshot, field_changes
from autoopt.review.impact import Change, Prediction, cannot, predict
from autoopt.review.model import ConfigReview, FieldChange, Outcome, Verdict
from autoopt.spec.load import Loaded
from autoopt.spec.models import LLMConfig, Params
from autoopt.values import version_id

if TYPE_CHECKING:
    import pandas as pd

#: service → (the metrics frame, its description), or the reason it cannot be read.
Frames = Callable[[str], "tuple[pd.DataFrame, str]"]


@dataclass(frozen=True)
class Context:
    base: Snapshot
    head: Snapshot
    frames: Frames
    seed: int
    replicas: int
    authors: Callable[[str], Sequence[tuple[str, bool]]]  # path → (author, made by autoopt)


def review_config(path: str, ctx: Context) -> ConfigReview:
    old: Loaded[LLMConfig] | None = ctx.base.config_at(path)
    new: Loaded[LLMConfig] | None = ctx.head.config_at(path)
    either = new or old
    assert either is not None
    service = either.document.metadata.name
    policy = ctx.head.policy_for(service) or ctx.base.policy_for(service)
    fields = field_changes(old, new)
    head = ReviewStart(path, service, policy.document.metadata.name if policy else None, fields)
    if old is None or new is None:
        return head.without(old, new)
    stable = old.document.spec.stable
    kind, version, params = _candidate(old.document, new.document)
    found = head.build(kind, stable.version, stable.params, version, params)
    flag = _mid_rollout(path, old.document, fields, ctx.authors(path))
    if kind in ("rollout_removed", "params_unchanged"):
        text = (
            "no params change: the service serves what it serves now"
            if kind == "params_unchanged"
            else "the rollout in progress is removed: all traffic goes back to the stable version"
        )
        found = replace(found, verdict=Verdict(Outcome.SUCCESS, "no_params_change", text))
        return _flagged(found, flag)
    assert version is not None and params is not None
    notes: tuple[str, ...] = ()
    if version == stable.version:
        version = version_id(params.flat())
        notes = (
            f"the change keeps version {stable.version} while changing its params: metrics "
            "rows can no longer tell the two apart; give the new params a new version",
        )
    prediction = _predict(ctx, service, stable.version, stable.params, version, params, policy)
    strategy = ctx.head.repo.strategy_for(policy.document) if policy and ctx.head.repo else None
    found = replace(
        found,
        candidate_version=version,
        impacts=prediction.impacts,
        constraints=prediction.constraints,
        risk=prediction.risk,
        max_risk=strategy.spec.thresholds.max_risk if strategy else None,
        strategy=strategy.metadata.name if strategy else None,
        verdict=prediction.verdict,
        simulation=prediction.simulation,
        notes=notes + prediction.notes,
    )
    return _flagged(found, flag)


@dataclass(frozen=True)
class ReviewStart:
    path: str
    service: str
    policy: str | None
    fields: tuple[FieldChange, ...]

    def build(
        self,
        change: str,
        stable_version: str | None,
        stable: Params | None,
        version: str | None,
        params: Params | None,
    ) -> ConfigReview:
        return ConfigReview(
            path=self.path,
            service=self.service,
            policy=self.policy,
            change=change,
            stable_version=stable_version,
            stable_params=stable.flat() if stable else {},
            candidate_version=version,
            candidate_params=params.flat() if params else {},
            fields=self.fields,
        )

    def without(self, old: Loaded[LLMConfig] | None, new: Loaded[LLMConfig] | None) -> ConfigReview:
        if old is None:
            assert new is not None
            stable = new.document.spec.stable
            found = self.build("added", None, None, stable.version, stable.params)
            why = f"{self.path} is new: there is no current stable version to compare it with"
            return replace(found, verdict=cannot(why))
        stable = old.document.spec.stable
        found = self.build("deleted", stable.version, stable.params, None, None)
        why = f"{self.path} is deleted: {self.service} would read no config"
        return replace(found, verdict=cannot(why))


def _candidate(old: LLMConfig, new: LLMConfig) -> tuple[str, str | None, Params | None]:
    """What the head serves that the base does not: a new or changed canary, else new stable
    params."""
    before, after = old.spec, new.spec
    if after.canary is not None and (
        before.canary is None
        or (before.canary.version, before.canary.params)
        != (after.canary.version, after.canary.params)
    ):
        return "canary", after.canary.version, after.canary.params
    if after.stable.params != before.stable.params:
        return "stable", after.stable.version, after.stable.params
    if after.canary is None and before.canary is not None:
        return "rollout_removed", None, None
    return "params_unchanged", None, None


def _predict(
    ctx: Context,
    service: str,
    stable_version: str,
    stable: Params,
    version: str,
    params: Params,
    policy: Loaded[Any] | None,
) -> Prediction:
    from autoopt.errors import AutooptError

    try:
        frame, source = ctx.frames(service)
    except AutooptError as exc:
        return Prediction(verdict=cannot(f"the metrics of {service} cannot be read: {exc}"))
    repo = ctx.head.repo
    strategy = repo.strategy_for(policy.document) if policy is not None and repo else None
    change = Change(service, stable_version, stable, version, params)
    return predict(
        change,
        frame,
        source=source,
        policy=policy.document if policy is not None else None,
        max_risk=strategy.spec.thresholds.max_risk if strategy else None,
        seed=ctx.seed,
        replicas=ctx.replicas,
    )


ROLLOUT_FIELDS = ("spec.stable.", "spec.canary.")


def _mid_rollout(
    path: str,
    old: LLMConfig,
    fields: tuple[FieldChange, ...],
    authors: Sequence[tuple[str, bool]],
) -> str:
    """The flag for a config whose rollout is in progress at the base and whose stable or
    canary a person edited (autoopt's own commits carry its trailers)."""
    canary = old.spec.canary
    touched = [f.field for f in fields if f.field.startswith(ROLLOUT_FIELDS)]
    people = sorted({name for name, by_autoopt in authors if not by_autoopt})
    if canary is None or not touched or (authors and not people):
        return ""
    who = f" by {', '.join(people)}" if people else " by hand"
    shown = ", ".join(touched[:3]) + (f" and {len(touched) - 3} more" if len(touched) > 3 else "")
    return (
        f"{path} is mid-rollout ({canary.version} at step {canary.step}, {canary.weight}% of "
        f"traffic) and this change edits {shown}{who}: the reconciler judges the next stage "
        "on the edited file; finish or roll back the rollout first (autoopt rollback)"
    )


def _flagged(found: ConfigReview, flag: str) -> ConfigReview:
    """A hand edit mid-rollout is at least neutral: someone must look."""
    if not flag:
        return found
    verdict = found.verdict
    if verdict.outcome is Outcome.SUCCESS:
        verdict = Verdict(Outcome.NEUTRAL, verdict.code, f"{verdict.text}; mid-rollout, see above")
    return replace(found, mid_rollout=flag, verdict=verdict)

"""The documents of a GitOps repository as frozen pydantic models.

Every document has ``apiVersion: autoopt/v1``, ``kind``, ``metadata.name`` and ``spec``.
Models forbid unknown keys so a typo is an error with a location, never a silent default.
"""

from __future__ import annotations

import itertools
import typing
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from autoopt.spec.durations import Duration
from autoopt.spec.prometheus import PrometheusSource
from autoopt.values import METRICS

API_VERSION = "autoopt/v1"

MetricName = Literal[
    "cost_per_request",
    "daily_cost_usd",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "ttft_p95_ms",
    "error_rate",
    "quality",
    "tokens_out_mean",
]
assert set(typing.get_args(MetricName)) == set(METRICS), "MetricName and values.METRICS disagree"

Name = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Version = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


def _path_text(value: str) -> str:
    """A path as the system can take it: no control characters, 4,096 characters at most,
    255 bytes per component (whether it stays inside the repository is the loader's check)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("a path must not contain control characters")
    if len(value) > 4096:
        raise ValueError(f"path is too long ({len(value):,} characters; the limit is 4,096)")
    if any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in value.split("/")):
        raise ValueError("a path component is longer than 255 bytes")
    return value


#: A file or folder of the repository, relative to its root.
RepoPath = Annotated[str, Field(min_length=1), AfterValidator(_path_text)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Metadata(Model):
    name: Name
    labels: dict[str, str] = Field(default_factory=dict)
    description: str | None = None


# --------------------------------------------------------------------------- LLMConfig


class CacheParams(Model):
    enabled: bool = False
    ttl: Duration | None = None


class Params(Model):
    """What the application sends to the model provider."""

    model: Annotated[str, Field(min_length=1)]
    provider: str | None = None
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    top_k: Annotated[int, Field(ge=1)] | None = None
    max_tokens: Annotated[int, Field(gt=0)] | None = None
    stop: list[str] | None = None
    presence_penalty: Annotated[float, Field(ge=-2.0, le=2.0)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2.0, le=2.0)] | None = None
    system_prompt: str | None = None
    prompt_template: str | None = None
    retries: Annotated[int, Field(ge=0, le=20)] | None = None
    timeout: Duration | None = None
    fallbacks: list[Annotated[str, Field(min_length=1)]] | None = None
    cache: CacheParams | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_prompt_source(self) -> Params:
        if self.system_prompt is not None and self.prompt_template is not None:
            raise ValueError("give either system_prompt or prompt_template, not both")
        return self

    def flat(self) -> dict[str, Any]:
        """The params that are set, as plain data (for hashing, reports and the client)."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


class Release(Model):
    version: Version
    params: Params


RolloutKind = Literal["canary", "blue-green", "ab"]


class Canary(Model):
    version: Version
    params: Params
    strategy: RolloutKind = "canary"
    steps: list[Annotated[int, Field(ge=1, le=100)]]
    durations: list[Duration]
    step: Annotated[int, Field(ge=0)] = 0
    step_started_at: datetime
    policy: Name | None = None
    proposal: str | None = None  # the pull request that started the rollout (forge reference)

    @model_validator(mode="after")
    def _check_plan(self) -> Canary:
        check_steps(self.steps, len(self.durations))
        if self.step >= len(self.steps):
            raise ValueError(
                f"step: {self.step} is out of range: steps has {len(self.steps)} entries "
                f"(valid: 0..{len(self.steps) - 1})"
            )
        return self

    @property
    def weight(self) -> int:
        return self.steps[self.step]


class Previous(Model):
    """The stable version before the last full promotion, kept for the watch window."""

    version: Version
    params: Params
    promoted_at: datetime
    watch_until: datetime | None = None


class LLMConfigSpec(Model):
    stable: Release
    canary: Canary | None = None
    previous: Previous | None = None
    paused: bool = False
    pause_reason: str | None = None

    @model_validator(mode="after")
    def _versions_differ(self) -> LLMConfigSpec:
        if self.canary is not None and self.canary.version == self.stable.version:
            raise ValueError(f"canary version {self.canary.version!r} equals the stable version")
        return self


class LLMConfig(Model):
    apiVersion: Literal["autoopt/v1"]
    kind: Literal["LLMConfig"]
    metadata: Metadata
    spec: LLMConfigSpec


def check_steps(steps: list[int], n_durations: int) -> None:
    if not steps:
        raise ValueError("steps: must not be empty")
    if any(b <= a for a, b in itertools.pairwise(steps)):
        raise ValueError(f"steps: must be strictly increasing, got {steps}")
    if steps[-1] != 100:
        raise ValueError(f"steps: must end at 100, got {steps[-1]}")
    if n_durations != len(steps) - 1:
        raise ValueError(
            f"durations: must have one entry fewer than steps ({len(steps) - 1}), got {n_durations}"
        )


# --------------------------------------------------------------------------- Strategy


class Thresholds(Model):
    min_improvement: Annotated[float, Field(ge=0.0, le=10.0)]
    min_confidence: Probability
    max_risk: Probability


class Rollout(Model):
    steps: list[Annotated[int, Field(ge=1, le=100)]]
    durations: list[Duration]
    max_stage_time: Duration
    on_timeout: Literal["rollback", "hold"] = "rollback"
    watch: Duration | None = None

    @model_validator(mode="after")
    def _check_plan(self) -> Rollout:
        check_steps(self.steps, len(self.durations))
        longest = max(self.durations, default=None)
        if longest is not None and self.max_stage_time < longest:
            raise ValueError("max_stage_time must be at least the longest stage duration")
        return self


class Triggers(Model):
    error_rate_increase: Annotated[float, Field(gt=0.0, le=1.0)]
    latency_p95_increase: Annotated[float, Field(gt=0.0)]
    quality_decrease: Annotated[float, Field(gt=0.0, le=1.0)]
    cost_increase: Annotated[float, Field(gt=0.0)] | None = None


JudgeName = Literal["sequential", "threshold", "mannwhitney"]


class JudgeSettings(Model):
    method: JudgeName = "sequential"
    alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05
    beta: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.20
    min_sample: Annotated[int, Field(ge=100)] = 100
    failure_limit: Annotated[int, Field(ge=1)] = 2


class StrategySpec(Model):
    thresholds: Thresholds
    rollout: Rollout
    triggers: Triggers
    judge: JudgeSettings = Field(default_factory=JudgeSettings)


class Strategy(Model):
    apiVersion: Literal["autoopt/v1"]
    kind: Literal["Strategy"]
    metadata: Metadata
    spec: StrategySpec


class PartialThresholds(Model):
    min_improvement: Annotated[float, Field(ge=0.0, le=10.0)] | None = None
    min_confidence: Probability | None = None
    max_risk: Probability | None = None


class PartialRollout(Model):
    steps: list[Annotated[int, Field(ge=1, le=100)]] | None = None
    durations: list[Duration] | None = None
    max_stage_time: Duration | None = None
    on_timeout: Literal["rollback", "hold"] | None = None
    watch: Duration | None = None


class PartialTriggers(Model):
    error_rate_increase: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    latency_p95_increase: Annotated[float, Field(gt=0.0)] | None = None
    quality_decrease: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    cost_increase: Annotated[float, Field(gt=0.0)] | None = None


class PartialJudge(Model):
    method: JudgeName | None = None
    alpha: Annotated[float, Field(gt=0.0, lt=0.5)] | None = None
    beta: Annotated[float, Field(gt=0.0, lt=0.5)] | None = None
    min_sample: Annotated[int, Field(ge=100)] | None = None
    failure_limit: Annotated[int, Field(ge=1)] | None = None


class StrategyOverride(Model):
    """``strategy: {extends: balanced, thresholds: {...}, rollout: {...}, ...}`` in a policy."""

    extends: Name
    thresholds: PartialThresholds | None = None
    rollout: PartialRollout | None = None
    triggers: PartialTriggers | None = None
    judge: PartialJudge | None = None


def _strategy_shape(value: Any) -> str:
    return "override" if isinstance(value, dict | StrategyOverride) else "preset"


StrategyRef = Annotated[
    Annotated[Name, Tag("preset")] | Annotated[StrategyOverride, Tag("override")],
    Discriminator(_strategy_shape),
]

# --------------------------------------------------------------------------- Policy


class Target(Model):
    service: Name
    config: RepoPath


class Objective(Model):
    metric: MetricName
    goal: Literal["minimize", "maximize"]
    weight: Annotated[float, Field(gt=0.0)] = 1.0


class Constraint(Model):
    metric: MetricName
    min: float | None = None
    max: float | None = None
    hard: bool = True
    penalty: Annotated[float, Field(ge=0.0)] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Constraint:
        if self.min is None and self.max is None:
            raise ValueError("a constraint needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if self.hard and self.penalty is not None:
            raise ValueError("penalty applies to soft constraints only (set hard: false)")
        return self


class NumericRange(Model):
    min: float
    max: float
    step: Annotated[float, Field(gt=0.0)]

    @model_validator(mode="after")
    def _ordered(self) -> NumericRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    def values(self) -> list[float]:
        count = round((self.max - self.min) / self.step) + 1
        return [round(self.min + i * self.step, 10) for i in range(count)]


def _dimension_shape(value: Any) -> str:
    return "range" if isinstance(value, dict | NumericRange) else "values"


SearchDimension = Annotated[
    Annotated[list[Any], Tag("values")] | Annotated[NumericRange, Tag("range")],
    Discriminator(_dimension_shape),
]


class Prior(Model):
    """Declared belief about a metric for a model nobody has measured yet."""

    mean: float
    sd: Annotated[float, Field(gt=0.0)]


RuleAction = Literal["rollback", "block", "alert", "require_approval"]


class Rule(Model):
    name: Name
    when: Annotated[str, Field(min_length=1, max_length=2000)]
    action: RuleAction
    kind: Literal["safety", "business"] = "business"
    message: str | None = None


class Guards(Model):
    max_changes_per_day: Annotated[int, Field(ge=1)] = 1
    cooldown: Duration = timedelta(hours=6)
    rollback_cooldown: Duration = timedelta(hours=24)
    closed_pr_cooldown: Duration = timedelta(days=7)


class TestExpect(Model):
    decision: Literal["propose", "no_change", "rollback", "block"]
    to: dict[str, Any] | None = None
    reason: str | None = None


class GivenEstimate(Model):
    """A measured value with its uncertainty: ``{value, se}`` or ``{value, low, high}`` (95%)."""

    value: float
    se: Annotated[float, Field(ge=0.0)] | None = None
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _interval(self) -> GivenEstimate:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and self.se is not None:
            raise ValueError("give se or low/high, not both")
        if (
            self.low is not None
            and self.high is not None
            and not self.low <= self.value <= self.high
        ):
            raise ValueError(
                f"expected low <= value <= high, got {self.low}, {self.value}, {self.high}"
            )
        return self


def _given_shape(value: Any) -> str:
    return "GivenEstimate" if isinstance(value, dict | GivenEstimate) else "float"


GivenValue = Annotated[  # tags named like types so located errors skip them
    Annotated[float, Tag("float")] | Annotated[GivenEstimate, Tag("GivenEstimate")],
    Discriminator(_given_shape),
]


class GivenVersion(Model):
    """What one version measured in a policy test; a plain number is exact (error_rate gets
    its binomial uncertainty from ``n``)."""

    params: dict[str, Any] = Field(default_factory=dict)
    n: Annotated[int, Field(ge=0)] = 1000
    cost_per_request: GivenValue | None = None
    daily_cost_usd: GivenValue | None = None
    latency_p50_ms: GivenValue | None = None
    latency_p95_ms: GivenValue | None = None
    latency_p99_ms: GivenValue | None = None
    ttft_p95_ms: GivenValue | None = None
    error_rate: GivenValue | None = None
    quality: GivenValue | None = None
    tokens_out_mean: GivenValue | None = None


class PolicyTest(Model):
    name: Annotated[str, Field(min_length=1)]
    given: dict[Version, GivenVersion]
    current: Version | None = None
    rollout_active: bool = False
    changes_today: Annotated[int, Field(ge=0)] = 0
    since_last_change: Duration | None = None
    since_last_rollback: Duration | None = None
    expect: TestExpect


# --------------------------------------------------------------------------- Analysis and triggers
# (owner: wt-analyze) What ``autoopt analyze`` compares with, the budgets, and the triggers the
# cycle evaluates. Kept together so other sections of this module merge without conflicts.

AnalysisMetric = Literal[
    "error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "cost_per_request",
    "quality",
    "tokens_in_mean",
    "tokens_out_mean",
    "requests",
    "cost_usd",
]
Priority = Literal["critical", "high", "medium", "low"]
TriggerAction = Literal["propose", "propose_cheaper", "rollback", "alert"]
DriftFeature = Literal["tokens_in", "tokens_out", "model_share", "traffic"]
BudgetPeriod = Literal["daily", "weekly", "monthly"]
AnomalyDetector = Literal["zscore", "iqr", "mad"]
ANOMALY_DETECTORS: tuple[AnomalyDetector, ...] = ("zscore", "iqr", "mad")
DRIFT_FEATURES: tuple[DriftFeature, ...] = ("tokens_in", "tokens_out", "model_share", "traffic")


class GoldenBaseline(Model):
    """A pinned reference: a version measured over a window, or values (exact references)."""

    version: Version | None = None
    start: datetime | None = None
    end: datetime | None = None
    values: dict[AnalysisMetric, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_shape(self) -> GoldenBaseline:
        measured = self.version is not None or self.start is not None or self.end is not None
        if measured and self.values:
            raise ValueError("give version/start/end (measured) or values (pinned), not both")
        if not measured and not self.values:
            raise ValueError("give version with start and end, or values")
        if measured and (self.version is None or self.start is None or self.end is None):
            raise ValueError("a measured golden baseline needs version, start and end")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(f"start ({self.start.isoformat()}) must be before end")
        if self.start is not None and self.start.tzinfo is None:
            raise ValueError("start needs a time zone (e.g. 2026-11-23T00:00:00Z)")
        if self.end is not None and self.end.tzinfo is None:
            raise ValueError("end needs a time zone (e.g. 2026-11-24T00:00:00Z)")
        return self


class AnalysisSettings(Model):
    level: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05
    correction: Literal["holm", "bonferroni", "bh", "none"] = "holm"
    bucket: Duration = timedelta(hours=1)
    current: Duration = timedelta(days=1)
    rolling: Duration = timedelta(days=7)
    initial: Duration = timedelta(days=7)
    min_sample: Annotated[int, Field(ge=1)] = 30
    golden: GoldenBaseline | None = None

    @model_validator(mode="after")
    def _bucket_fits(self) -> AnalysisSettings:
        if self.bucket < timedelta(minutes=1):
            raise ValueError("bucket must be at least 1m")
        if self.current < self.bucket:
            raise ValueError("current must be at least one bucket long")
        return self


class Budget(Model):
    period: BudgetPeriod
    limit_usd: Annotated[float, Field(gt=0.0)]
    alerts: list[Annotated[float, Field(gt=0.0, le=10.0)]] = Field(
        default_factory=lambda: [0.5, 0.75, 0.9, 1.0]
    )


class _TriggerBase(Model):
    name: Name
    priority: Priority = "medium"
    cooldown: Duration | None = None  # None: 0 for schedule and manual triggers, else 1h
    message: str | None = None


class ScheduleTrigger(_TriggerBase):
    type: Literal["schedule"]
    cron: Annotated[str, Field(min_length=1, max_length=200)]
    action: TriggerAction = "propose"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from autoopt.spec.cron import Cron

        Cron.parse(value)
        return value


class ThresholdTrigger(_TriggerBase):
    type: Literal["threshold"]
    metric: AnalysisMetric
    above: float | None = None
    below: float | None = None
    window: Duration = timedelta(minutes=5)
    version: Literal["stable", "canary", "all"] = "stable"
    min_sample: Annotated[int, Field(ge=1)] = 1
    action: TriggerAction = "alert"

    @model_validator(mode="after")
    def _one_bound(self) -> ThresholdTrigger:
        if (self.above is None) == (self.below is None):
            raise ValueError("a threshold trigger needs exactly one of above or below")
        return self


class AnomalyTrigger(_TriggerBase):
    type: Literal["anomaly"]
    metric: AnalysisMetric
    detectors: list[AnomalyDetector] = Field(
        default_factory=lambda: list(ANOMALY_DETECTORS), min_length=1
    )
    severity: Literal["minor", "major", "critical"] = "major"
    side: Literal["worse", "any"] = "worse"
    action: TriggerAction = "alert"


class DriftTrigger(_TriggerBase):
    type: Literal["drift"]
    features: list[DriftFeature] = Field(default_factory=lambda: list(DRIFT_FEATURES), min_length=1)
    state: Literal["warning", "drift"] = "drift"
    action: TriggerAction = "propose"


class BudgetTrigger(_TriggerBase):
    type: Literal["budget"]
    period: BudgetPeriod | None = None  # None: any budget of the policy
    at: Annotated[float, Field(gt=0.0, le=10.0)] = 0.9
    projected: bool = False  # fire on the projection (will reach ``at`` by the period's end)
    action: TriggerAction = "propose_cheaper"


class ManualTrigger(_TriggerBase):
    type: Literal["manual"]
    action: TriggerAction = "propose"


TriggerSpec = Annotated[
    ScheduleTrigger
    | ThresholdTrigger
    | AnomalyTrigger
    | DriftTrigger
    | BudgetTrigger
    | ManualTrigger,
    Field(discriminator="type"),
]


def check_triggers(triggers: list[Any], budgets: list[Budget]) -> None:
    """Names are unique; a budget trigger needs a budget of its period."""
    names = [t.name for t in triggers]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"trigger name used twice: {', '.join(dupes)}")
    periods = {b.period for b in budgets}
    for trigger in triggers:
        if isinstance(trigger, BudgetTrigger) and not (
            periods if trigger.period is None else trigger.period in periods
        ):
            wanted = f"a {trigger.period} budget" if trigger.period else "a budget"
            raise ValueError(f"trigger {trigger.name}: needs {wanted} in spec.budgets")


class PolicySpec(Model):
    target: Target
    objectives: Annotated[list[Objective], Field(min_length=1)]
    constraints: list[Constraint] = Field(default_factory=list)
    strategy: StrategyRef = "balanced"
    search_space: dict[str, SearchDimension] = Field(default_factory=dict)
    priors: dict[str, dict[MetricName, Prior]] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    guards: Guards = Field(default_factory=Guards)
    tests: list[PolicyTest] = Field(default_factory=list)
    promotion: Literal["auto", "pr"] = "auto"
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)  # wt-analyze
    budgets: list[Budget] = Field(default_factory=list)  # wt-analyze
    triggers: list[TriggerSpec] = Field(default_factory=list)  # wt-analyze

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, value: list[Budget]) -> list[Budget]:  # wt-analyze
        seen = [b.period for b in value]
        twice = sorted({p for p in seen if seen.count(p) > 1})
        if twice:
            raise ValueError(f"period listed twice: {', '.join(twice)}")
        return value

    @field_validator("triggers")
    @classmethod
    def _triggers(cls, value: list[Any], info: ValidationInfo) -> list[Any]:  # wt-analyze
        check_triggers(value, info.data.get("budgets", []))
        return value

    @field_validator("objectives")
    @classmethod
    def _unique_objectives(cls, value: list[Objective]) -> list[Objective]:
        seen = [o.metric for o in value]
        dupes = sorted({m for m in seen if seen.count(m) > 1})
        if dupes:
            raise ValueError(f"metric listed twice in objectives: {', '.join(dupes)}")
        return value

    @field_validator("search_space")
    @classmethod
    def _search_space(cls, value: dict[str, SearchDimension]) -> dict[str, SearchDimension]:
        for key, dim in value.items():
            if isinstance(dim, list) and not dim:
                raise ValueError(f"search_space.{key} must list at least one value")
            fixed = key not in Params.model_fields or key in ("extra", "cache", "stop", "fallbacks")
            if fixed and not key.startswith("extra."):
                raise ValueError(f"search_space.{key} is not a tunable parameter")
        return value

    def normalised_weights(self) -> dict[str, float]:
        total = sum(o.weight for o in self.objectives)
        return {o.metric: o.weight / total for o in self.objectives}


class Policy(Model):
    apiVersion: Literal["autoopt/v1"]
    kind: Literal["Policy"]
    metadata: Metadata
    spec: PolicySpec


# --------------------------------------------------------------------------- Settings


class PriceOverride(Model):
    input_per_mtok: Annotated[float, Field(ge=0.0)]
    output_per_mtok: Annotated[float, Field(ge=0.0)]
    # cached input tokens (tokens_cached); absent: charged at the input rate
    cache_read_per_mtok: Annotated[float, Field(ge=0.0)] | None = None


class FilesSource(Model):
    type: Literal["files"]
    path: RepoPath
    format: Literal["auto", "csv", "jsonl", "parquet"] = "auto"
    columns: dict[str, str] = Field(default_factory=dict)


class OtelSource(Model):
    type: Literal["otel"]
    path: RepoPath
    version_attribute: str = "service.version"


MetricsSettings = Annotated[
    FilesSource | OtelSource | PrometheusSource, Field(discriminator="type")
]


class LocalForge(Model):
    type: Literal["local"]


class GitHubForge(Model):
    type: Literal["github"]
    repository: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    api_url: Annotated[str, Field(pattern=r"^https?://")] = "https://api.github.com"
    token_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "GITHUB_TOKEN"


ForgeSettings = Annotated[LocalForge | GitHubForge, Field(discriminator="type")]


class BotIdentity(Model):
    name: str = "autoopt[bot]"
    email: str = "autoopt-bot@users.noreply.github.com"
    dashboard: bool = True  # keep the dashboard issue up to date at every cycle


class Defaults(Model):
    policy_dir: RepoPath = "policies"
    config_dir: RepoPath = "configs"
    base_branch: str = "main"
    remote: str = "origin"


class SettingsSpec(Model):
    metrics: MetricsSettings = Field(
        default_factory=lambda: FilesSource(type="files", path="metrics")
    )
    forge: ForgeSettings = Field(default_factory=lambda: LocalForge(type="local"))
    defaults: Defaults = Field(default_factory=Defaults)
    bot: BotIdentity = Field(default_factory=BotIdentity)
    prices: dict[str, PriceOverride] = Field(default_factory=dict)


class Settings(Model):
    apiVersion: Literal["autoopt/v1"]
    kind: Literal["Settings"]
    metadata: Metadata
    spec: SettingsSpec = Field(default_factory=SettingsSpec)


Document = LLMConfig | Policy | Settings | Strategy

KINDS: dict[str, type[Document]] = {
    "LLMConfig": LLMConfig,
    "Policy": Policy,
    "Settings": Settings,
    "Strategy": Strategy,
}

"""``metrics: {type: prometheus, …}`` in ``autoopt.yaml``: where the server is, how to reach
it, and how the metrics are laid out in it.

Secrets never live in the document: ``auth`` names the environment variables that hold them.
The layout is a preset (``autoopt``: autoopt's own metric names, what ``autoopt.client``
exports; ``otel-genai``: the OpenTelemetry GenAI metrics as the Collector's Prometheus
exporter writes them) with optional overrides of single metric names and labels.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autoopt.spec.durations import Duration

EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
LabelName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
MetricName = Annotated[str, Field(pattern=r"^[A-Za-z_:][A-Za-z0-9_:]*$")]
#: Header names as RFC 9110 tokens; values without line breaks (no header injection).
HeaderName = Annotated[str, Field(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]

#: The canonical quantities a layout names a metric for.
QUANTITIES = (
    "latency",  # histogram, seconds (``_bucket`` with ``le``, ``_count``, ``_sum``)
    "requests",  # counter
    "errors",  # counter
    "tokens_in",  # counter, or a histogram's _sum (OTel: token_usage{type=input})
    "tokens_out",
    "cost",  # counter, USD
    "quality",  # histogram or summary, 0–100: its _sum and _count
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasicAuth(_Model):
    username_env: EnvName
    password_env: EnvName


class PromAuth(_Model):
    """Bearer or basic auth; each names the environment variable holding the secret."""

    bearer_token_env: EnvName | None = None
    basic: BasicAuth | None = None

    @model_validator(mode="after")
    def _one(self) -> PromAuth:
        if self.bearer_token_env and self.basic:
            raise ValueError("give bearer_token_env or basic, not both")
        if not self.bearer_token_env and not self.basic:
            raise ValueError("give bearer_token_env or basic")
        return self


class PromTLS(_Model):
    """``ca_file``: a PEM bundle to verify the server with (instead of the system's);
    ``insecure_skip_verify``: do not verify (test set-ups only); ``cert_file``/``key_file``:
    a client certificate (mTLS)."""

    ca_file: Annotated[str, Field(min_length=1)] | None = None
    insecure_skip_verify: bool = False
    cert_file: Annotated[str, Field(min_length=1)] | None = None
    key_file: Annotated[str, Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PromTLS:
        if self.insecure_skip_verify and self.ca_file:
            raise ValueError("ca_file and insecure_skip_verify: true contradict each other")
        if self.key_file and not self.cert_file:
            raise ValueError("key_file needs cert_file")
        return self


class PromLayout(_Model):
    """A preset and what differs from it: metric names per quantity, label names, and extra
    matchers every selector gets (e.g. ``job="llm-gateway"``)."""

    preset: Literal["autoopt", "otel-genai"] = "autoopt"
    metrics: dict[
        Literal["latency", "requests", "errors", "tokens_in", "tokens_out", "cost", "quality"],
        MetricName,
    ] = Field(default_factory=dict)
    service_label: LabelName | None = None
    version_label: LabelName | None = None
    model_label: LabelName | None = None
    matchers: dict[LabelName, str] = Field(default_factory=dict)


class PrometheusSource(_Model):
    type: Literal["prometheus"]
    url: Annotated[str, Field(pattern=r"^https?://[^\s]+$")]
    timeout: Duration = timedelta(seconds=30)
    # the scrape interval of the metrics: windows are aligned to it (exact counts)
    step: Duration = timedelta(minutes=1)
    # the window of a question that gives no start (``--since``): this long before its end
    lookback: Duration = timedelta(hours=24)
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    backoff: Duration = timedelta(milliseconds=500)
    auth: PromAuth | None = None
    tls: PromTLS = Field(default_factory=PromTLS)
    headers: dict[HeaderName, str] = Field(default_factory=dict)
    # a preset name, or {preset: …, metrics: {…}, service_label: …, …}
    layout: PromLayout = Field(default_factory=PromLayout)

    @field_validator("layout", mode="before")
    @classmethod
    def _preset_name(cls, value: Any) -> Any:
        return {"preset": value} if isinstance(value, str) else value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if any(c in text for c in "\r\n\0"):
                raise ValueError(f"header {name}: the value must not contain a line break")
            if name.lower() == "authorization":
                raise ValueError(
                    "put no Authorization header here (a secret in the file); use "
                    "auth.bearer_token_env or auth.basic"
                )
        return value

    @field_validator("step")
    @classmethod
    def _step(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1) or value.total_seconds() % 1:
            raise ValueError("step must be a whole number of seconds, at least 1s")
        return value

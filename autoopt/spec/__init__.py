"""The documents of a GitOps repository: models, loading with located errors, minimal edits."""

from autoopt.spec.durations import format_duration, parse_duration
from autoopt.spec.load import Loaded, load_document, load_string
from autoopt.spec.models import (
    KINDS,
    Canary,
    Constraint,
    LLMConfig,
    Objective,
    Params,
    Policy,
    Release,
    Rule,
    Settings,
    Strategy,
    StrategyOverride,
)
from autoopt.spec.repository import Repository, load_repository, presets, resolve_strategy

__all__ = [
    "KINDS",
    "Canary",
    "Constraint",
    "LLMConfig",
    "Loaded",
    "Objective",
    "Params",
    "Policy",
    "Release",
    "Repository",
    "Rule",
    "Settings",
    "Strategy",
    "StrategyOverride",
    "format_duration",
    "load_document",
    "load_repository",
    "load_string",
    "parse_duration",
    "presets",
    "resolve_strategy",
]

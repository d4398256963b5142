"""What the user asks to simulate: ``--set`` params, ``--candidate`` versions, ``--inject``.

``--set`` values are YAML scalars (never evaluated as code); the merged params are validated
by :class:`autoopt.spec.models.Params`, and every mistake is one line naming the item.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

import simulator
from autoopt.errors import GitOpsError, SimulationError, UserError
from autoopt.metrics.candidates import candidates_from_texts
from autoopt.spec.models import Params

_KEY = re.compile(r"^[a-z_]+$")
_SETTABLE = tuple(k for k in Params.model_fields if k not in ("extra", "cache"))


def split_items(text: str) -> list[str]:
    """``a=1,b=[x, y]`` → ``["a=1", "b=[x, y]"]``: commas inside brackets or quotes stay."""
    items, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        current += char
    items.append(current.strip())
    return [i for i in items if i]


def _value(item: str, text: str) -> Any:
    try:
        value = YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        raise UserError(f"--set {item!r}: the value is not valid YAML") from None
    if isinstance(value, dict):
        raise UserError(f"--set {item!r}: expected a scalar or a [list], got a mapping")
    return value


def parse_sets(texts: Sequence[str]) -> dict[str, Any]:
    """Every ``--set KEY=VALUE[,KEY=VALUE…]`` as a dict (later items win)."""
    found: dict[str, Any] = {}
    for text in texts:
        for item in split_items(text):
            key, sep, raw = item.partition("=")
            key = key.strip()
            if not sep or not _KEY.match(key):
                raise UserError(f"--set {item!r}: expected KEY=VALUE, e.g. model=gpt-4o-mini")
            if key not in _SETTABLE:
                raise UserError(
                    f"--set {item!r}: unknown parameter {key!r} (known: {', '.join(_SETTABLE)})"
                )
            found[key] = _value(item, raw.strip())
    return found


def merged(base: Params, sets: Mapping[str, Any]) -> Params:
    """``sets`` over ``base``, validated; a bad value is one line naming the parameter."""
    if not sets:
        return base
    data = {**base.model_dump(exclude_none=True, exclude_defaults=True), **sets}
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        parts = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            shown = f"{where}={sets[where]!r}" if where in sets else where or "params"
            parts.append(f"{shown}: {message}")
        raise UserError(f"--set: {'; '.join(parts)}") from None


def release_params(root: Path, config_path: Path, config_text: str) -> dict[str, Params]:
    """version → params of every release in the config file and its git history."""
    texts: list[str] = []
    try:
        from autoopt.gitops.repo import GitRepo

        git_repo = GitRepo(root)
        relpath = config_path.resolve().relative_to(git_repo.root).as_posix()
        texts = [v.text for v in git_repo.file_versions(relpath)]
    except (GitOpsError, ValueError):
        pass
    return candidates_from_texts([*texts, config_text])


# ------------------------------------------------------------------------------- --inject

_INJECT = re.compile(r"^(latency|error|quality)=(x?)([+-]?\d+(?:\.\d+)?)(%|pp|pts?|x)?$")


@dataclass(frozen=True)
class Injection:
    """A fault on the canary for the whole run, as the user wrote it."""

    text: str
    kind: str  # latency_spike | error_burst | quality_drop
    magnitude: float  # for quality with ``relative``: a fraction of the model's mean quality
    relative: bool = False

    def fault(self, quality_mean: float, duration_s: float) -> dict[str, Any]:
        size = self.magnitude * quality_mean if self.relative else self.magnitude
        return {
            "type": self.kind,
            "target": {"variant": "canary"},
            "start": 0.0,
            "duration": duration_s,
            "magnitude": size,
        }


def parse_inject(text: str) -> Injection:
    """``latency=+30%`` (×1.3), ``latency=x2``, ``error=+5pp`` or ``error=+0.05`` (absolute),
    ``quality=-10%`` (of the canary model's mean quality) or ``quality=-8pts`` (points)."""
    match = _INJECT.match(text.replace(" ", ""))
    if match is None:
        raise UserError(
            f"--inject {text!r}: expected latency=+30%, latency=x2, error=+5pp, error=+0.05, "
            "quality=-10% or quality=-8pts"
        )
    what, number, unit = match.group(1), float(match.group(3)), match.group(4) or match.group(2)
    if what == "latency":
        return _latency(text, number, unit)
    if what == "error":
        return _error(text, number, unit)
    return _quality(text, number, unit)


def _latency(text: str, number: float, unit: str) -> Injection:
    if unit == "x":
        factor = number
    elif unit == "%":
        factor = 1.0 + number / 100.0
    else:
        raise UserError(f"--inject {text!r}: write latency as +30% or x1.3")
    if factor <= 0:
        raise UserError(f"--inject {text!r}: latency cannot shrink to zero or less")
    return Injection(text, "latency_spike", factor)


def _error(text: str, number: float, unit: str) -> Injection:
    if unit == "%":
        raise UserError(
            f"--inject {text!r}: the error rate changes in absolute terms; write +5pp or +0.05"
        )
    if unit not in ("", "pp"):
        raise UserError(f"--inject {text!r}: write the error rate as +5pp or +0.05")
    size = number / 100.0 if unit == "pp" else number
    if not 0 < size <= 1:
        raise UserError(f"--inject {text!r}: expected an increase of the error rate in (0, 1]")
    return Injection(text, "error_burst", size)


def _quality(text: str, number: float, unit: str) -> Injection:
    if number >= 0:
        raise UserError(f"--inject {text!r}: only a quality drop can be injected, e.g. -10%")
    if unit == "%":
        return Injection(text, "quality_drop", -number / 100.0, relative=True)
    if unit in ("pt", "pts"):
        return Injection(text, "quality_drop", -number)
    raise UserError(f"--inject {text!r}: write quality as -10% or -8pts")


def quality_mean(dist: Any) -> float:
    """The mean of a scenario's quality distribution (0–100)."""
    kind = dist.dist
    if kind == "beta":
        mean = 100.0 * dist.a / (dist.a + dist.b)
    elif kind == "normal":
        mean = dist.mean
    elif kind == "constant":
        mean = dist.value
    elif kind == "lognormal":
        mean = dist.median * math.exp(dist.sigma**2 / 2)
    elif kind == "exponential":
        mean = dist.mean
    else:
        mean = math.fsum(dist.values) / len(dist.values)
    return float(min(max(mean, 0.0), 100.0))


def canary_faults(
    injections: Sequence[Injection], scenario: simulator.Scenario, model: str
) -> list[dict[str, Any]]:
    if model not in scenario.spec.models:
        raise SimulationError(f"model {model!r} has no behaviour in the scenario")
    mean = quality_mean(scenario.spec.models[model].quality)
    return [i.fault(mean, scenario.spec.duration) for i in injections]

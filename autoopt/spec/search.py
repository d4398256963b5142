"""Checks of a policy's ``search_space`` against what the repository and the prices know.

Pure: the price catalog is a predicate the caller passes in (``validate`` gives the one of
:mod:`autoopt.metrics.pricing`), so this module stays below ``metrics`` in the layers.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from autoopt.errors import Problem, shorten
from autoopt.spec.models import Params
from autoopt.spec.repository import Repository


def config_models(repo: Repository) -> set[str]:
    """Every model a config of the repository runs or falls back to (stable, canary, previous)."""
    found: set[str] = set()
    for loaded in repo.configs.values():
        spec = loaded.document.spec
        releases: list[Params] = [spec.stable.params]
        releases += [r.params for r in (spec.canary, spec.previous) if r is not None]
        for params in releases:
            found.add(params.model)
            found.update(params.fallbacks or ())
    return found


def unknown_models(repo: Repository, priced: Callable[[str], bool]) -> list[Problem]:
    """A warning for each ``search_space.model`` value that no config runs and ``priced``
    does not know: most often a typo, which would otherwise show only at propose time."""
    known = config_models(repo)
    problems = []
    for _name, loaded in sorted(repo.policies.items()):
        values = loaded.document.spec.search_space.get("model")
        if not isinstance(values, list):
            continue
        for index, model in enumerate(values):
            if not isinstance(model, str):
                continue  # a type error is the model's to report
            if model in known or priced(model):
                continue
            others = sorted(known | {v for v in values if isinstance(v, str) and v != model})
            close = difflib.get_close_matches(model, others, n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(
                    loaded.where("spec", "search_space", "model", index),
                    f"spec.search_space.model[{index}]",
                    f"unknown model {shorten(model)!r}: not in the price catalog and no config "
                    f"runs it (a model of your own needs spec.prices in autoopt.yaml){hint}",
                    "warning",
                )
            )
    return problems

"""Search the policy's space: every point when it is small, NSGA-II when it is not.

The search only finds and evaluates points; scoring, the Pareto front and the pick happen in
:mod:`autoopt.decide.score` over everything evaluated, so both methods feed the same choice.
NSGA-II (pymoo, mixed variables: a choice per listed dimension, an integer index per stepped
range) minimises the signed objectives under the hard constraints; it is seeded and uses
pymoo's own ``numpy.random.Generator``, never the global RNG.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from autoopt.spec.models import NumericRange, PolicySpec
from autoopt.values import Estimate

EXHAUSTIVE_LIMIT = 10_000
MISSING = 1e12  # objective value of a point that cannot be scored on an objective

Evaluate = Callable[[Mapping[str, Any]], Mapping[str, Estimate] | None]


@dataclass(frozen=True)
class Space:
    names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    ordered: tuple[bool, ...]  # True for stepped numeric ranges

    @property
    def size(self) -> int:
        return math.prod(len(v) for v in self.values)

    def point(self, index: Sequence[int]) -> dict[str, Any]:
        return {n: v[i] for n, v, i in zip(self.names, self.values, index, strict=True)}

    def points(self) -> Iterator[dict[str, Any]]:
        for combo in itertools.product(*self.values):
            yield dict(zip(self.names, combo, strict=True))

    def contains(self, params: Mapping[str, Any]) -> bool:
        """Whether params take, on every dimension they set, one of the space's values."""
        for name, values in zip(self.names, self.values, strict=True):
            if name in params and not any(_same(params[name], v) for v in values):
                return False
        return True


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def space_of(policy: PolicySpec) -> Space:
    names, values, ordered = [], [], []
    for name in sorted(policy.search_space):
        dim = policy.search_space[name]
        names.append(name)
        if isinstance(dim, NumericRange):
            values.append(tuple(dim.values()))
            ordered.append(True)
        else:
            unique: list[Any] = []
            for value in dim:
                if not any(_same(value, seen) for seen in unique):
                    unique.append(value)
            values.append(tuple(unique))
            ordered.append(False)
    return Space(tuple(names), tuple(values), tuple(ordered))


@dataclass(frozen=True)
class SearchResult:
    method: Literal["exhaustive", "nsga2"]
    evaluated: tuple[tuple[dict[str, Any], Mapping[str, Estimate]], ...]
    evaluations: int


def search(
    space: Space,
    evaluate: Evaluate,
    policy: PolicySpec,
    *,
    seed: int | np.random.Generator,
    exhaustive_limit: int = EXHAUSTIVE_LIMIT,
    budget: int = 4000,
) -> SearchResult:
    """Evaluate the space (or NSGA-II's share of it); points ``evaluate`` rejects are dropped.

    ``seed`` is an int or a ``numpy.random.Generator`` (one integer is drawn from it, only
    when NSGA-II runs).
    """
    if space.size <= exhaustive_limit:
        found = []
        for params in space.points():
            metrics = evaluate(params)
            if metrics is not None:
                found.append((params, metrics))
        return SearchResult("exhaustive", tuple(found), space.size)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(0, 2**31 - 1))
    return _nsga2(space, evaluate, policy, seed=seed, budget=budget)


def _objectives(metrics: Mapping[str, Estimate] | None, policy: PolicySpec) -> list[float]:
    out = []
    for objective in policy.objectives:
        estimate = None if metrics is None else metrics.get(objective.metric)
        if estimate is None:
            out.append(MISSING)
        else:
            out.append(estimate.value if objective.goal == "minimize" else -estimate.value)
    return out


def _constraints(metrics: Mapping[str, Estimate] | None, policy: PolicySpec) -> list[float]:
    """Relative gaps to every hard bound; ≤ 0 means satisfied."""
    out = []
    for constraint in (c for c in policy.constraints if c.hard):
        estimate = None if metrics is None else metrics.get(constraint.metric)
        for limit, sign in ((constraint.max, 1.0), (constraint.min, -1.0)):
            if limit is None:
                continue
            if estimate is None:
                out.append(1.0)
            else:
                out.append(sign * (estimate.value - limit) / max(abs(limit), 1e-9))
    return out


def _nsga2(
    space: Space, evaluate: Evaluate, policy: PolicySpec, *, seed: int, budget: int
) -> SearchResult:
    from pymoo.algorithms.moo.nsga2 import NSGA2, RankAndCrowding
    from pymoo.core.mixed import (
        MixedVariableDuplicateElimination,
        MixedVariableMating,
        MixedVariableSampling,
    )
    from pymoo.optimize import minimize

    archive: dict[tuple[int, ...], Mapping[str, Estimate] | None] = {}
    pop_size = 100
    algorithm = NSGA2(
        pop_size=pop_size,
        sampling=MixedVariableSampling(),
        mating=MixedVariableMating(eliminate_duplicates=MixedVariableDuplicateElimination()),
        eliminate_duplicates=MixedVariableDuplicateElimination(),
        survival=RankAndCrowding(),
    )
    problem = _problem(space, evaluate, policy, archive)
    minimize(problem, algorithm, ("n_gen", max(budget // pop_size, 2)), seed=seed, verbose=False)
    found = tuple(
        (space.point(key), metrics)
        for key, metrics in sorted(archive.items())
        if metrics is not None
    )
    return SearchResult("nsga2", found, len(archive))


def _problem(
    space: Space,
    evaluate: Evaluate,
    policy: PolicySpec,
    archive: dict[tuple[int, ...], Mapping[str, Estimate] | None],
) -> Any:
    """A pymoo problem over the space's indices that records every point it evaluates."""
    from pymoo.core.problem import ElementwiseProblem
    from pymoo.core.variable import Choice, Integer

    n_constr = len(_constraints(None, policy))

    class _Problem(ElementwiseProblem):  # type: ignore[misc]
        def __init__(self) -> None:
            variables = {
                name: Integer(bounds=(0, len(values) - 1))
                if ordered
                else Choice(options=list(range(len(values))))
                for name, values, ordered in zip(
                    space.names, space.values, space.ordered, strict=True
                )
            }
            super().__init__(vars=variables, n_obj=len(policy.objectives), n_ieq_constr=n_constr)

        def _evaluate(self, x: dict[str, Any], out: dict[str, Any], *a: Any, **k: Any) -> None:
            key = tuple(int(x[name]) for name in space.names)
            if key not in archive:
                archive[key] = evaluate(space.point(key))
            metrics = archive[key]
            out["F"] = _objectives(metrics, policy)
            if n_constr:
                out["G"] = _constraints(metrics, policy)

    return _Problem()

"""Non-dominated sorting over objective matrices, every objective minimised.

``first_front`` is the fast path (pymoo's ``find_non_dominated``, which delegates to the
dimension-sweep algorithms of moocore); ``ranks`` gives every point its front number with
pymoo's ``NonDominatedSorting``. Both treat duplicates as non-dominating each other, so two
identical points share a front.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting, find_non_dominated

FloatMatrix = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def _as_matrix(points: npt.ArrayLike) -> FloatMatrix:
    matrix = np.asarray(points, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"expected a 2-d array (points × objectives), got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("objective values must be finite")
    return matrix


def first_front(points: npt.ArrayLike) -> IntArray:
    """Indices (ascending) of the points that no other point dominates (minimisation)."""
    matrix = _as_matrix(points)
    if matrix.shape[0] == 0:
        return np.empty(0, dtype=np.intp)
    if matrix.shape[1] == 1:
        return np.flatnonzero(matrix[:, 0] == matrix[:, 0].min()).astype(np.intp)
    return np.asarray(find_non_dominated(matrix), dtype=np.intp)


def ranks(points: npt.ArrayLike) -> IntArray:
    """The front number of every point: 0 for the first front, 1 for the next, …"""
    matrix = _as_matrix(points)
    if matrix.shape[0] == 0:
        return np.empty(0, dtype=np.intp)
    if matrix.shape[1] == 1:
        _, inverse = np.unique(matrix[:, 0], return_inverse=True)
        return np.asarray(inverse, dtype=np.intp)
    _fronts, rank = NonDominatedSorting().do(matrix, return_rank=True)
    return np.asarray(rank, dtype=np.intp)


def dominates(a: npt.ArrayLike, b: npt.ArrayLike) -> bool:
    """True when ``a`` is no worse than ``b`` in every objective and better in one."""
    left = np.asarray(a, dtype=np.float64)
    right = np.asarray(b, dtype=np.float64)
    return bool(np.all(left <= right) and np.any(left < right))

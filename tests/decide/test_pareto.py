from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autoopt.decide.pareto import dominates, first_front, ranks


def brute_front(points: np.ndarray) -> list[int]:
    return [
        i
        for i in range(len(points))
        if not any(dominates(points[j], points[i]) for j in range(len(points)))
    ]


def brute_ranks(points: np.ndarray) -> list[int]:
    remaining = list(range(len(points)))
    out = [0] * len(points)
    level = 0
    while remaining:
        front = [
            i for i in remaining if not any(dominates(points[j], points[i]) for j in remaining)
        ]
        for i in front:
            out[i] = level
        remaining = [i for i in remaining if i not in front]
        level += 1
    return out


matrices = st.integers(1, 4).flatmap(
    lambda m: hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 40), st.just(m)),
        elements=st.integers(0, 6).map(float),  # small grid: many ties and duplicates
    )
)


@given(matrices)
@settings(max_examples=150, deadline=None)
def test_first_front_equals_brute_force(points: np.ndarray) -> None:
    assert first_front(points).tolist() == brute_front(points)


@given(matrices)
@settings(max_examples=150, deadline=None)
def test_ranks_equal_brute_force(points: np.ndarray) -> None:
    assert ranks(points).tolist() == brute_ranks(points)


@pytest.mark.parametrize(
    ("points", "front", "rank"),
    [
        ([[1, 5], [2, 2], [5, 1], [3, 3]], [0, 1, 2], [0, 0, 0, 1]),
        ([[1, 1], [1, 1], [2, 2]], [0, 1], [0, 0, 1]),
        ([[3], [1], [2], [1]], [1, 3], [2, 0, 1, 0]),
        ([[1, 2, 3], [3, 2, 1], [2, 2, 2], [3, 3, 3]], [0, 1, 2], [0, 0, 0, 1]),
    ],
)
def test_literal_fronts(points: list[list[float]], front: list[int], rank: list[int]) -> None:
    assert first_front(points).tolist() == front
    assert ranks(points).tolist() == rank


def test_empty_and_bad_input() -> None:
    assert first_front(np.empty((0, 2))).tolist() == []
    assert ranks(np.empty((0, 2))).tolist() == []
    with pytest.raises(ValueError, match="2-d"):
        first_front([1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        first_front([[1.0, float("nan")]])

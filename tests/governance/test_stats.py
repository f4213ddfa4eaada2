"""The interval methods against values worked out here from their published formulas."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from guardrail.governance.stats import (
    bootstrap_difference,
    newcombe_interval,
    percentile,
    wilson_interval,
    z_value,
)

Z = NormalDist().inv_cdf(0.975)


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    # Wilson (1927): the roots in p of (p̂ - p)² = z² p (1 - p) / n.
    p = k / n
    a = 1 + Z**2 / n
    b = -(2 * p + Z**2 / n)
    c = p**2
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def test_z_is_the_normal_quantile() -> None:
    assert z_value(0.95) == pytest.approx(Z, abs=1e-9)
    assert z_value(0.90) == pytest.approx(NormalDist().inv_cdf(0.95), abs=1e-9)
    with pytest.raises(ValueError, match="confidence"):
        z_value(1.0)


@pytest.mark.parametrize(("k", "n"), [(8, 20), (1, 10), (50, 100), (3, 3), (0, 7), (999, 1000)])
def test_wilson_is_the_root_of_the_score_equation(k: int, n: int) -> None:
    low, high = wilson_interval(k, n)  # type: ignore[misc]
    want_low, want_high = wilson_by_hand(k, n)
    assert low == pytest.approx(max(0.0, want_low), abs=1e-9)
    assert high == pytest.approx(min(1.0, want_high), abs=1e-9)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_edges() -> None:
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(0, 10)  # type: ignore[misc]
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high > 0.1
    for bad in ((-1, 5), (6, 5), (0, -1)):
        with pytest.raises(ValueError, match="successes"):
            wilson_interval(*bad)


@pytest.mark.parametrize(("a", "m", "b", "n"), [(56, 70, 48, 80), (9, 10, 3, 10), (0, 30, 5, 30)])
def test_newcombe_method_10_by_hand(a: int, m: int, b: int, n: int) -> None:
    p1, p2 = a / m, b / n
    l1, u1 = wilson_by_hand(a, m)
    l2, u2 = wilson_by_hand(b, n)
    d = p1 - p2
    want = (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    low, high = newcombe_interval(a, m, b, n)  # type: ignore[misc]
    assert (low, high) == pytest.approx(want, abs=1e-9)
    assert low <= d <= high


def test_newcombe_published_example() -> None:
    # Newcombe (1998), table II, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    low, high = newcombe_interval(56, 70, 48, 80)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_with_an_empty_group_is_none() -> None:
    assert newcombe_interval(1, 2, 0, 0) is None


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 1.0, 4.0, 7.0]  # sorted: 1, 4, 7, 10
    # p90: position (4 - 1) * 0.9 = 2.7, so 7 + 0.7 * (10 - 7).
    assert percentile(values, 90) == pytest.approx(7 + 0.7 * 3)
    assert percentile(values, 50) == pytest.approx((4 + 7) / 2)
    assert percentile([3.0], 90) == 3.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="q must"):
        percentile(values, 101)


def _median(x: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    return np.median(x, axis=1)  # type: ignore[no-any-return]


def test_bootstrap_is_deterministic_and_brackets_the_difference() -> None:
    a = [float(v) for v in range(20, 60)]
    b = [float(v) for v in range(0, 40)]
    first = bootstrap_difference(a, b, _median, seed=7)
    assert first == bootstrap_difference(a, b, _median, seed=7)
    assert first != bootstrap_difference(a, b, _median, seed=8)
    low, high = first  # type: ignore[misc]
    assert low < float(np.median(a) - np.median(b)) < high
    assert low > 0  # 20 apart on 40 values each: clearly not 0


def test_bootstrap_of_constants_is_a_point_and_empty_is_none() -> None:
    assert bootstrap_difference([5.0] * 4, [2.0] * 9, _median, seed=1) == (3.0, 3.0)
    assert bootstrap_difference([], [1.0], _median, seed=1) is None
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_difference([1.0], [1.0], _median, seed=1, resamples=0)

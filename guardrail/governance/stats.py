"""Confidence intervals for the segment-performance report: small, pure, documented.

A report on live traffic compares groups of a few dozen to a few thousand conversations, so a
difference without its uncertainty invites reading noise as a finding. The methods here are
the standard ones for such counts, each chosen because it behaves at the edges a support team
meets (a rate of 0 or 1, a small segment):

* `wilson_interval`: the Wilson score interval of a proportion. Unlike the normal
  ("Wald") interval it never leaves [0, 1] and does not collapse to a point at 0 or n
  successes.
* `newcombe_interval`: Newcombe's hybrid score interval for the difference of two independent
  proportions (method 10 of Newcombe 1998, "Interval estimation for the difference between
  independent proportions"): each proportion's Wilson limits, combined by the square-and-add
  rule. It keeps the coverage near the nominal level where the Wald difference fails.
* `bootstrap_difference`: a percentile bootstrap of the difference of a statistic (a mean, a
  median) between two samples, with a fixed seed, so the same data always give the same
  interval (a report rerun must not change its verdict).

`percentile` is the linear-interpolation percentile (numpy's default, "type 7"), used for the
p90 time to a human.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "CONFIDENCE",
    "Interval",
    "Statistic",
    "bootstrap_difference",
    "newcombe_interval",
    "percentile",
    "wilson_interval",
    "z_value",
]

CONFIDENCE: Final = 0.95
"""The confidence level of every interval the report shows."""

BOOTSTRAP_RESAMPLES: Final = 2000
"""Resamples per bootstrap interval: enough for stable 2.5 / 97.5 percentiles."""

Interval = tuple[float, float]
"""A (low, high) confidence interval."""

Statistic = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]
"""A statistic of each row of a 2-D array of resamples (``axis=1``): `np.mean`-like."""


def z_value(confidence: float = CONFIDENCE) -> float:
    """The two-sided standard normal quantile for `confidence` (1.959964 for 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return _normal_quantile(0.5 + confidence / 2.0)


def _normal_quantile(p: float) -> float:
    """The standard normal quantile by bisection on `math.erf` (exact to 1e-12; no scipy)."""
    low, high = -10.0, 10.0
    for _ in range(100):
        middle = (low + high) / 2.0
        if 0.5 * (1.0 + math.erf(middle / math.sqrt(2.0))) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> Interval | None:
    """The Wilson score interval of the proportion ``successes / n``.

    With ``p = successes / n`` and `z` the normal quantile::

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)

    Returns:
        (centre - half, centre + half), clipped to [0, 1] against rounding; None when n is 0.

    Raises:
        ValueError: a negative count, or more successes than trials.
    """
    _check_counts(successes, n)
    if n == 0:
        return None
    z = z_value(confidence)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(
    successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float = CONFIDENCE
) -> Interval | None:
    """Newcombe's hybrid score interval (method 10) for ``p_a - p_b``.

    With ``(l_a, u_a)`` and ``(l_b, u_b)`` the Wilson intervals of each proportion and
    ``d = p_a - p_b``::

        low  = d - sqrt((p_a - l_a)² + (u_b - p_b)²)
        high = d + sqrt((u_a - p_a)² + (p_b - l_b)²)

    Returns:
        (low, high), or None when either group is empty.
    """
    wilson_a = wilson_interval(successes_a, n_a, confidence)
    wilson_b = wilson_interval(successes_b, n_b, confidence)
    if wilson_a is None or wilson_b is None:
        return None
    p_a, p_b = successes_a / n_a, successes_b / n_b
    difference = p_a - p_b
    low = difference - math.hypot(p_a - wilson_a[0], wilson_b[1] - p_b)
    high = difference + math.hypot(wilson_a[1] - p_a, p_b - wilson_b[0])
    return max(-1.0, low), min(1.0, high)


def bootstrap_difference(
    a: Sequence[float],
    b: Sequence[float],
    statistic: Statistic,
    *,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> Interval | None:
    """A percentile bootstrap interval for ``statistic(a) - statistic(b)``.

    Each resample draws ``len(a)`` values from `a` and ``len(b)`` from `b` with replacement
    (NumPy's PCG64 generator seeded with `seed`: the same inputs and seed give the same
    interval); the interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
    percentiles of the resampled differences.

    Args:
        a: the first sample (the policy arm's values, say).
        b: the second sample.
        statistic: applied to each row of a (resamples, n) array, e.g. ``lambda x:
            np.median(x, axis=1)``.
        seed: the generator's seed.
        resamples: how many resamples.
        confidence: the interval's level.

    Returns:
        (low, high), or None when either sample is empty.
    """
    if not a or not b:
        return None
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples!r}")
    z_value(confidence)  # checks the level
    rng = np.random.default_rng(seed)
    values_a = np.asarray(a, dtype=np.float64)
    values_b = np.asarray(b, dtype=np.float64)
    draws_a = values_a[rng.integers(0, len(values_a), size=(resamples, len(values_a)))]
    draws_b = values_b[rng.integers(0, len(values_b), size=(resamples, len(values_b)))]
    differences = statistic(draws_a) - statistic(draws_b)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(differences, [tail, 100.0 - tail])
    return float(low), float(high)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`-th percentile (0 to 100) by linear interpolation between the closest ranks:
    position ``(n - 1) * q / 100`` in the sorted values. None for no values."""
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be between 0 and 100, got {q!r}")
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def _check_counts(successes: int, n: int) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")

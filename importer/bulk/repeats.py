"""Which values repeat, in columns of a million: hashes sorted, then the few that share one
compared."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)  # odd 64-bit multipliers


def ints(values: Iterable[int]) -> np.ndarray:
    return np.fromiter(values, dtype=np.int64)


def hashes(values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(hash, values.tolist()), dtype=np.int64, count=len(values))


def repeated(values: np.ndarray, ignore: object = None) -> np.ndarray:
    """Which values occur more than once (never `ignore`)."""
    if values.dtype == object:  # compare hashes first, then the values that share one
        maybe = np.flatnonzero(repeated(hashes(values)))
        counted = Counter(values[maybe].tolist())
        twice = np.zeros(len(values), dtype=bool)
        twice[maybe] = [counted[v] > 1 and v != ignore for v in values[maybe].tolist()]
        return twice
    ordered = np.sort(values)
    shared = ordered[1:][ordered[1:] == ordered[:-1]]
    return np.isin(values, shared) if len(shared) else np.zeros(len(values), dtype=bool)

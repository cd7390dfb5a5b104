"""Which values repeat, in columns of a million: hashes sorted, then the few that share one
compared."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

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


def mixed(
    days: np.ndarray, cents: np.ndarray, references: np.ndarray, payers: np.ndarray
) -> np.ndarray:
    """Date, amount, reference and payer in one integer: equal identities give equal
    integers, so a row whose integer is unique repeats no other row."""
    with np.errstate(over="ignore"):
        found = days.astype(np.uint64) * np.uint64(MIX[0])
        found += cents.astype(np.uint64) * np.uint64(MIX[1])
        found += references.astype(np.uint64) * np.uint64(MIX[2]) + payers.astype(np.uint64)
    return found


def occurrences(
    rows: list[int], archive_ids: list[str], identities: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows in file order: the first row with the same archive id (-1: none, or itself),
    and, among the rows that are not such repeats, how many up to this one share its
    identity and the first of them. Grouped, not looped: pandas counts the groups."""
    frame = pd.DataFrame({"row": rows, "archive": archive_ids, "identity": identities})
    archived = frame["archive"] != ""
    first = frame.groupby("archive", sort=False)["row"].transform("first")
    earlier = np.where(archived & (first != frame["row"]), first, -1)
    kept = frame[earlier == -1]
    counted = kept.groupby("identity", sort=False)
    occurrence = np.zeros(len(frame), dtype=np.int64)
    first_row = np.full(len(frame), -1, dtype=np.int64)
    occurrence[(earlier == -1)] = counted.cumcount().to_numpy() + 1
    first_row[(earlier == -1)] = counted["row"].transform("first").to_numpy()
    return earlier.astype(np.int64), occurrence, first_row

"""Distinct keys of a chunk (rows of small codes) mapped to values computed once and kept across chunks."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np


def uniques(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values (sorted) and each row's index into them; linear time when `size` (a bound) is small."""
    n = len(values)
    if size > max(4 * n, 1 << 20) or size >= (1 << 62):
        u, inv = np.unique(values, return_inverse=True)
        return u, inv.reshape(-1)
    present = np.zeros(size, dtype=bool)
    present[values] = True
    ids = np.cumsum(present) - 1
    return np.flatnonzero(present), ids[values]


def combine(parts: list[tuple[np.ndarray | None, int]]) -> tuple[np.ndarray, int]:
    """One int64 key from small codes (mixed radix; a part that is None is 0), and the number of possible keys."""
    n = next((len(a) for a, _ in parts if a is not None), 0)
    key = None
    size = 1
    for arr, radix in parts:
        r = max(int(radix), 1)
        if r > 1:
            if key is None:
                key = np.zeros(n, dtype=np.int64) if arr is None else arr.astype(np.int64)
            else:
                key *= r
                if arr is not None:
                    key += arr
        size *= r
    return (np.zeros(n, dtype=np.int64) if key is None else key), size


def decode(keys: np.ndarray, radices: Sequence[int]) -> list[np.ndarray]:
    """The parts of mixed-radix keys (the inverse of combining them, first part most significant)."""
    out = []
    for r in reversed(radices):
        r = max(int(r), 1)
        out.append(keys % r)
        keys = keys // r
    return out[::-1]


def distinct(parts: list[tuple[np.ndarray | None, int]]) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct combinations of small codes, each part as a column in the order of their combined key (as
    decode(*uniques(*combine(parts)))), and each row's index into them: each part first recoded to the codes it uses,
    in order, so that the combined key is small and found in linear time."""
    n = next((len(a) for a, _ in parts if a is not None), 0)
    radices = [max(int(r), 1) for _, r in parts]
    if math.prod(radices) <= max(4 * n, 1 << 20):  # the combined key is small already: one linear pass, no recoding
        u, inv = uniques(*combine(parts))
        return decode(u, radices), inv
    small, back = [], []
    for arr, radix in parts:
        r = max(int(radix), 1)
        used = None
        if arr is not None and 1 < r <= 4 * n + 1024:
            present = np.bincount(arr, minlength=r) > 0
            if not present.all():
                used = np.flatnonzero(present)
                arr, r = (np.cumsum(present) - 1)[arr], len(used)
        small.append((arr, r))
        back.append(used)
    key, size = combine(small)
    u, inv = uniques(key, size)
    return [col if used is None else used[col] for col, used in zip(decode(u, [r for _, r in small]), back)], inv


class KeyIndex:
    """Global indices of keys whose fields are given as chunk-local codes; the field values are coded once for all chunks."""

    def __init__(self, nfields: int) -> None:
        self.values: list[dict[Any, int]] = [{} for _ in range(nfields)]
        self.rows = np.empty((0, nfields), dtype=np.int64)  # the global codes of each known key, by global index
        self.bits = [1] * nfields
        self.sorted = np.empty(0, dtype=np.int64)
        self.at = np.empty(0, dtype=np.int64)
        self.slow: dict[tuple, int] | None = None  # when the codes do not fit one int64: a dict of tuples

    def __len__(self) -> int:
        return len(self.rows)

    def codes(self, fields: list[tuple[np.ndarray, Sequence[Any] | None, int]]) -> np.ndarray:
        """Rows of global codes: each field as (local codes, the values they stand for or None for the codes themselves, bound)."""
        cols = []
        for f, (local, names, bound) in enumerate(fields):
            d = self.values[f]
            if names is None:
                trans = np.array([d.setdefault(v, len(d)) for v in range(max(int(bound), 1))], dtype=np.int64)
            else:
                trans = np.array([d.setdefault(v, len(d)) for v in names] or [0], dtype=np.int64)
            cols.append(trans[local])
        return np.stack(cols, axis=1) if cols else np.zeros((0, 0), dtype=np.int64)

    def _pack(self, rows: np.ndarray) -> np.ndarray | None:
        key = np.zeros(len(rows), dtype=np.int64)
        for f, b in enumerate(self.bits):
            key = (key << b) | rows[:, f]
        return key

    def _refit(self) -> None:
        """Widen the fields' bits to the codes given out so far, and re-sort every known key (or fall back to a dict)."""
        self.bits = [max(1, (len(d) - 1).bit_length()) for d in self.values]
        if sum(self.bits) > 62:
            self.slow = {tuple(r): i for i, r in enumerate(self.rows.tolist())}
            return
        packed = self._pack(self.rows)
        self.at = np.argsort(packed, kind="stable")
        self.sorted = packed[self.at]

    def find(self, rows: np.ndarray) -> np.ndarray:
        """The global index of each row of codes, -1 for a key not seen yet."""
        if any(len(d) > (1 << b) for d, b in zip(self.values, self.bits)) and self.slow is None:
            self._refit()
        if self.slow is not None:
            return np.array([self.slow.get(tuple(r), -1) for r in rows.tolist()], dtype=np.int64)
        if not len(self.sorted):
            return np.full(len(rows), -1, dtype=np.int64)
        packed = self._pack(rows)
        pos = np.minimum(np.searchsorted(self.sorted, packed), len(self.sorted) - 1)
        return np.where(self.sorted[pos] == packed, self.at[pos], -1)

    def add(self, rows: np.ndarray) -> np.ndarray:
        """Give the distinct new keys among `rows` the next global indices; returns each row's global index."""
        new: dict[tuple, int] = {}
        idx = np.array([new.setdefault(tuple(r), len(self.rows) + len(new)) for r in rows.tolist()], dtype=np.int64)
        if new:
            self.rows = np.concatenate([self.rows, np.array(list(new), dtype=np.int64).reshape(len(new), -1)])
            if self.slow is not None:
                self.slow.update({k: v for k, v in new.items()})
            else:
                self._refit()
        return idx

"""The batch's row order (person, year, date, then input order) is numpy's lexsort order, whichever way it is computed."""
from __future__ import annotations

import numpy as np
import pytest

from engine.batch.settle import _date_order


@pytest.mark.parametrize("n", [2, 3, 17, 5000])
@pytest.mark.parametrize("persons", [2, 1000, 2 ** 40, 2 ** 62])
def test_order_is_lexsort(n: int, persons: int) -> None:
    rng = np.random.default_rng(20261122 + n)
    person = rng.integers(0, persons, n, dtype=np.int64)
    year, day = rng.integers(2019, 2025, n), rng.integers(0, 366, n)
    assert (_date_order(person, year, day) == np.lexsort((day, year, person))).all()
    ordered = np.lexsort((day, year, person))
    assert (_date_order(person[ordered], year[ordered], day[ordered]) == np.arange(n)).all()


@pytest.mark.parametrize("n", [1, 2, 17, 5000])
@pytest.mark.parametrize("swapped", [0.0, 0.01, 0.5])
def test_settlement_order_is_lexsort_by_person_rows_partly_out_of_date_order(n: int, swapped: float) -> None:
    # rows by person with some persons' dates (and years) out of order: only those persons are re-sorted
    from engine.batch.settle import _ordering

    rng = np.random.default_rng(7 + n)
    person = np.sort(rng.integers(0, max(n // 3, 1), n)).astype(np.int64)
    year, day = rng.integers(2019, 2025, n), rng.integers(0, 366, n)
    day = day + (year - 2019) * 366
    ordered = np.lexsort((day, year, person))
    year, day = year[ordered], day[ordered]
    flip = rng.random(n) < swapped
    day = np.where(flip, day[::-1], day)
    year = np.where(flip, year[::-1], year)
    order, pykey = _ordering(person, year, day)
    want = np.lexsort((day, year, person))
    got = np.arange(n) if order is None else order
    assert (got == want).all()
    assert (order is None) == (want == np.arange(n)).all()
    key = person[want] * 10 + (year[want] - 2019)
    assert ((pykey[1:] != pykey[:-1]) == (key[1:] != key[:-1])).all()

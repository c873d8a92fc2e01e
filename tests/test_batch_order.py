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

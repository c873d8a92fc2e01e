"""The single case a batch person-year stands for: how row-level categories become held-from/until periods."""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from engine.batch.model import NO_DAY, Columns, date_of
from engine.settle.case import Case, case_from_data
from engine.batch.check import ADMIN_LEVELS, fen_str


def person_year_case(c: Columns, rows: np.ndarray) -> Case:
    """The Case of the rows of one person-year: a row's categories are those held on its date; the first row's are held
    since before 1 January (so they decide the premium), and each later change starts on the date of the row that shows it."""
    rows = np.asarray(rows)
    rows = rows[np.lexsort((rows, c.day[rows]))]  # date order, same-day rows in input order
    i0 = int(rows[0])
    sets = [c.cat_sets[c.cats[int(i)]] for i in rows]
    days = [date_of(c.day[int(i)]) for i in rows]
    cats: list[Any] = []
    for cat in sorted(set().union(*sets)):
        start: dt.date | None = None
        held = False
        for j, s in enumerate(sets):
            if cat in s and not held:
                held, start = True, (None if j == 0 else days[j])
            elif cat not in s and held:
                held = False
                cats.append({"id": cat, **({"from": start.isoformat()} if start else {}), "until": days[j].isoformat()})
        if held:
            cats.append({"id": cat, **({"from": start.isoformat()} if start else {})})
    person: dict[str, Any] = {"id": c.person_ids[c.person[i0]], "region": c.regions[c.region[i0]], "scheme": c.schemes[c.scheme[i0]],
                              "categories": cats}
    if c.birth is not None and int(c.birth[i0]) != NO_DAY:
        person["birth_date"] = date_of(c.birth[i0]).isoformat()
    if int(c.tier[i0]):
        person["contribution_tier"] = int(c.tier[i0])
    if c.cov_start is not None and int(c.cov_start[i0]) != NO_DAY:
        person["enrolment"] = {"coverage_start": date_of(c.cov_start[i0]).isoformat(), "late": bool(c.late[i0]),
                               "lapsed_years": int(c.lapsed[i0]), "repaid_years": int(c.repaid[i0])}
    encs = [{"id": f"r{int(i)}", "date": date_of(c.day[int(i)]).isoformat(), "type": c.etypes[c.etype[int(i)]], "hospital_level": int(c.level[int(i)]),
             "total_cost": fen_str(c.total[int(i)]), "eligible_cost": fen_str(c.eligible[int(i)])} for i in rows]
    if c.pool is not None:
        for e, i in zip(encs, rows):
            if int(c.pool[int(i)]):
                e["in_pooling_area"] = int(c.pool[int(i)]) == 1
            if int(c.admin[int(i)]):
                e["hospital_admin_level"] = ADMIN_LEVELS[int(c.admin[int(i)])]
    if c.ooc is not None:
        for e, i in zip(encs, rows):
            if int(c.ooc[int(i)]) >= 0:
                e["out_of_catalogue_cost"] = fen_str(c.ooc[int(i)])
    return case_from_data({"person": person, "encounters": encs})

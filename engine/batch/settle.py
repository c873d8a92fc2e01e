"""Batch settlement of many encounters, exact to the fen: integer fen in numpy arrays, person-years in lockstep."""
from __future__ import annotations

import datetime as dt

import numpy as np

from engine.batch.model import EPOCH, Columns, Settled, ages, date_of, day_of, years_of  # noqa: F401 (EPOCH re-exported)
from engine.batch.params import NEVER, KeyParams, dtype_for, key_params, monitoring_threshold, premium_subsidy, tables, waiting_end
from engine.settle.kernel import after, base_amount, not_known, overlaps, pay
from engine.settle.stepfigs import Facts
from engine.batch.check import ADMIN_LEVELS
from engine.policy.policyset import PolicySet
from engine.policy.resolve import UNKNOWN_AGE, UNSTATED, Profile  # a row without birth_date: age rules are errors, as in a case without one


def codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct value (in sorted value order) and each row's index into them."""
    uniq, first, inv = np.unique(values, return_index=True, return_inverse=True)
    return first, inv.reshape(-1)


class Batch:
    """Settles Columns under one policy set; parameter keys are cached across chunks."""

    def __init__(self, ps: PolicySet) -> None:
        self.ps = ps
        self.res = ps.resolver
        self._keys: dict[tuple, KeyParams] = {}
        self._mon: dict[tuple, tuple[int, str]] = {}
        self._prem: dict[tuple, tuple] = {}
        self._wait: dict[tuple, tuple] = {}
        self._epochs: dict[str, np.ndarray] = {}
        self._tables: dict[tuple, dict] = {}
        self._rows: dict[tuple, tuple] = {}  # kernel rows of the figures held in self._keys
        # ages matter only against the `age_below` limits rules and steps test: a row is keyed by its band between them
        cuts = {r.who.age_below for r in ps.rules if r.who.age_below is not None}
        cuts |= {s.who.age_below for d in ps.documents.values() for s in d.steps if s.who.age_below is not None}
        self._cuts = np.array(sorted(cuts), dtype=np.int64)

    def _age_band(self, age: np.ndarray) -> np.ndarray:
        """Each age's band between the age limits (-1 where the birth date is not given)."""
        return np.where(age < 0, -1, np.searchsorted(self._cuts, age, side="right"))

    def _band_age(self, band: int) -> int:
        """An age standing for every age of its band (the band's lower limit)."""
        return 0 if band == 0 else int(self._cuts[band - 1])

    def _epoch(self, region: str) -> np.ndarray:
        if region not in self._epochs:
            self._epochs[region] = np.array([day_of(d) for d in self.res.change_dates(region)], dtype=np.int64)
        return self._epochs[region]

    def settle(self, c: Columns) -> Settled:
        """Settle every encounter of the chunk; every person-year must be wholly inside the chunk."""
        n = len(c)
        year = years_of(c.day)
        order = _date_order(c.person, year, c.day)
        s_person, s_year = c.person[order], year[order]
        new = np.ones(n, dtype=bool)
        if n:
            new[1:] = (s_person[1:] != s_person[:-1]) | (s_year[1:] != s_year[:-1])
        starts = np.flatnonzero(new)
        npy = len(starts)
        py_sorted = np.cumsum(new) - 1
        pos = np.arange(n) - starts[py_sorted]
        counts = np.diff(np.append(starts, n))
        epoch = np.zeros(n, dtype=np.int64)
        for r, code in enumerate(c.regions):
            m = c.region == r
            if m.any():
                epoch[m] = np.searchsorted(self._epoch(code), c.day[m], side="right")
        errors: list[str] = []
        err_index: dict[str, int] = {}

        def eidx(msg: str) -> int:
            if msg not in err_index:
                err_index[msg] = len(errors)
                errors.append(msg)
            return err_index[msg]

        ymin = int(year.min()) if n else 0
        base = [(c.region, len(c.regions)), (epoch, int(epoch.max()) + 1 if n else 1), (year - ymin, int(year.max()) - ymin + 1 if n else 1),
                (c.cats, len(c.cat_sets)), (c.scheme, len(c.schemes)), (c.tier, int(c.tier.max()) + 1 if n else 1)]
        if self.res.ages and c.birth is not None:  # age matters only where a rule tests it
            base.append((self._age_band(ages(c.birth, c.day)) + 1, len(self._cuts) + 2))
        mkey, mrad = _combine(base)
        facts = [] if c.pool is None else [(c.pool, 3), (c.admin, 5)]
        fkey, frad = _combine([(mkey, mrad), (c.etype, len(c.etypes)), (c.level, 4), *facts])
        # -- encounter keys -> each step's kernel columns
        first, inv = dense_codes(fkey, frad)
        kps = [self._key(c, int(i), int(year[i])) for i in first]
        steps = self.ps.steps
        tkey = tuple(id(kp) for kp in kps)
        P = self._tables.get(tkey)
        if P is None:  # the same keys in a repeated chunk: build their tables once
            if len(self._tables) > 64:
                self._tables.clear()
            P = self._tables[tkey] = tables(kps, steps, self._rows)
        mfirst, minv = dense_codes(mkey, mrad)
        mons = [self._monitor(c, int(i), int(year[i])) for i in mfirst]
        thr = np.array([m[0] for m in mons], dtype=np.int64)[minv]
        mon_err = np.array([eidx(m[1]) if m[1] else -1 for m in mons], dtype=np.int64)[minv]
        waiting, werr = self._waiting(c, order, starts, py_sorted, eidx)
        # -- row errors: the first applicable reason, in the order the interpreter raises them
        cover = np.array([eidx(kp.cover_err) if kp.cover_err else -1 for kp in kps], dtype=np.int64)[inv]
        parts = [(werr, False)]
        for sid in steps.ids:
            e = np.array([eidx(kp.steps[sid].err) if kp.steps[sid].err else -1 for kp in kps], dtype=np.int64)[inv]
            parts.append((e, steps.kinds[sid].waiting_period))
            if steps.kinds[sid].base == "out_of_scope":  # the interpreter refuses a case without the fact the step needs
                lacks = np.ones(n, dtype=bool) if c.ooc is None else c.ooc < 0
                need = _on(kps, sid)[inv] & lacks
                parts.append((np.where(need, eidx(f"field out_of_catalogue_cost is needed by payment step {sid} (base: out_of_scope) but the claims do not give it"), -1), steps.kinds[sid].waiting_period))
        parts.append((mon_err, False))
        err = cover
        for part, unless_waiting in parts:
            use = (err < 0) & (part >= 0)
            if unless_waiting:
                use &= ~waiting
            err = np.where(use, part, err)
        dt_ = dtype_for(len(c), int(c.total.sum()), P)
        # -- lockstep: person-years ordered by descending count; the k-th encounters of all person-years form a slice
        rank_order = np.argsort(-counts, kind="stable")
        rank = np.empty(npy, dtype=np.int64)
        rank[rank_order] = np.arange(npy)
        kmax = int(counts.max()) if npy else 0
        n_k = np.bincount(counts, minlength=kmax + 1)[::-1].cumsum()[::-1][1:kmax + 1]
        offset = np.concatenate(([0], np.cumsum(n_k)))
        dest = np.empty(n, dtype=np.int64)
        dest[order] = offset[pos] + rank[py_sorted]
        T_, E_ = c.total.astype(dt_, copy=False), c.eligible.astype(dt_, copy=False)
        O_ = (c.total - c.eligible if c.ooc is None else np.where(c.ooc >= 0, c.ooc, c.total - c.eligible)).astype(dt_, copy=False)
        L = {"T": _place(T_, dest, n), "E": _place(E_, dest, n), "O": _place(O_, dest, n), "w": _place(waiting, dest, n),
             "thr": _place(thr.astype(dt_, copy=False), dest, n)}
        S = {}
        live = {}  # per step and row: the step computes for that encounter (as `on` in the kernel)
        for sid in steps.ids:
            t = P[sid]
            on = t["cols"]["on"][inv]
            if steps.kinds[sid].waiting_period:
                on = on & ~waiting
            live[sid] = on
            cols = {}
            for name, arr in t["cols"].items():
                if name == "on":
                    same = not len(on) or on.all() or not on.any()
                    cols[name] = (bool(on[0]) if len(on) else False) if same else _place(on, dest, n)
                elif len(arr) and (arr == arr[0]).all():  # the same for every key: a scalar, no gather, no per-slice copy
                    cols[name] = int(arr[0])
                else:
                    cols[name] = _place(arr[inv].astype(dt_, copy=False), dest, n)
            S[sid] = (t["scaled"], cols)
        out = {sid: np.zeros(n, dtype=dt_) for sid in steps.ids}
        out["oop"] = np.zeros(n, dtype=dt_)
        out["warn"] = np.zeros(n, dtype=bool)
        # a part not computed for lack of a figure (with something owed on its base), or paying on what such a part
        # left: unknown, and it takes nothing off what is owed (out of pocket is then the known part), as the single case
        ukey = {sid: _place(np.array([kp.steps[sid].unknown for kp in kps], dtype=bool)[inv]
                            & (~waiting if steps.kinds[sid].waiting_period else True), dest, n) for sid in steps.ids}
        livep = {sid: _place(live[sid], dest, n) for sid in steps.ids}
        unk = {sid: np.zeros(n, dtype=bool) for sid in steps.ids}
        yearly = {sid: np.zeros(npy, dtype=bool) for sid in steps.ids}  # not computed earlier in the person-year
        acc = {sid: (np.zeros(npy, dtype=dt_), np.zeros(npy, dtype=dt_), np.zeros(npy, dtype=dt_)) for sid in steps.ids}
        oop_sum = np.zeros(npy, dtype=dt_)
        for k in range(kmax):
            m = int(n_k[k])
            sl = slice(int(offset[k]), int(offset[k]) + m)
            t, e, o = L["T"][sl], L["E"][sl], L["O"][sl]
            owed = (e, o, t - e - o)
            done: set[str] = set()
            for sid, (sc, cols) in S.items():
                p = {name: (arr[sl] if isinstance(arr, np.ndarray) else arr) for name, arr in cols.items()}
                a = acc[sid]
                owe = base_amount(sc.kind.base, *owed) > 0
                amount, new, _ = pay(np, sc.kind, sc.D, sc.rden, sc.nb, p, p["on"], owed, t, (a[0][:m], a[1][:m], a[2][:m]))
                for j in range(3):
                    a[j][:m] = new[j]
                earlier = [unk[e][sl] for e in S if e in done and overlaps(steps.kinds[e].base, sc.kind.base)]
                u = not_known(ukey[sid][sl], np.logical_or.reduce(earlier) if earlier else False, yearly[sid][:m],
                              livep[sid][sl], owe, amount > 0)
                yearly[sid][:m] |= u
                unk[sid][sl] = u
                done.add(sid)
                if u.any():
                    amount = np.where(u, 0, amount)
                owed = after(sc.kind.base, amount, *owed, np)
                out[sid][sl] = amount
            oop = owed[0] + owed[1] + owed[2]
            oop_sum[:m] += oop
            out["oop"][sl] = oop
            out["warn"][sl] = oop_sum[:m] > L["thr"][sl]
        res = {k: v[dest] for k, v in out.items()}
        conv = (lambda a: a.astype(np.int64, copy=False)) if dt_ is not object else (lambda a: a)
        py = np.empty(n, dtype=np.int64)
        py[order] = py_sorted
        zero = np.zeros(n, dtype=np.int64)
        paid = {sid: conv(res[sid]) for sid in steps.ids}
        unknown = {sid: unk[sid][dest] for sid in steps.ids}
        st = Settled(paid.get("basic_insurance", zero), paid.get("serious_illness", zero), paid.get("medical_assistance", zero),
                     conv(res["oop"]), res["warn"], py, err, errors, paid=paid, unknown=unknown)
        self._person_years(c, st, order, starts, counts, year, thr, eidx)
        return st

    # -- person-year facts --------------------------------------------------
    def _person_years(self, c: Columns, st: Settled, order: np.ndarray, starts: np.ndarray, counts: np.ndarray, year: np.ndarray, thr: np.ndarray, eidx) -> None:
        npy = len(starts)
        first = order[starts]
        last = order[starts + counts - 1]
        st.py_first, st.py_year = first, year[first]
        st.py_warning = np.zeros(npy, dtype=bool)
        np.logical_or.at(st.py_warning, st.py, st.warn)
        st.py_undetermined = ~st.py_warning & (thr[last] == NEVER)
        py_err = np.full(npy, -1, dtype=np.int64)
        bad = st.error >= 0
        if bad.any():  # the first failing encounter in date order names the person-year's error
            srt = order[st.error[order] >= 0]
            pys, at = np.unique(st.py[srt], return_index=True)
            py_err[pys] = st.error[srt][at]
        parts = [(c.region[first], len(c.regions)), (year[first] - int(year.min() if len(year) else 0), 400),
                 (c.cats[first], len(c.cat_sets)), (c.scheme[first], len(c.schemes)), (c.tier[first], int(c.tier.max()) + 1 if len(c.tier) else 1)]
        if self.res.ages and c.birth is not None:  # the premium is decided on 1 January
            jan1 = (year[first] - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
            parts.append((self._age_band(ages(c.birth[first], jan1)) + 1, len(self._cuts) + 2))
        pkey, prad = _combine(parts)
        pfirst, pinv = dense_codes(pkey, prad)
        vals = [self._premium(c, int(first[i]), int(year[first[i]])) for i in pfirst]
        st.py_contribution = np.array([-1 if v[0] is None else v[0] for v in vals], dtype=np.int64)[pinv]
        st.py_subsidy = np.array([-1 if v[1] is None else v[1] for v in vals], dtype=np.int64)[pinv]
        perr = np.array([eidx(v[2]) if v[2] else -1 for v in vals], dtype=np.int64)[pinv]
        py_err = np.where(py_err < 0, perr, py_err)
        st.py_error = py_err
        failed = py_err >= 0
        if failed.any():  # the interpreter settles nothing for a person-year it cannot settle
            rows = failed[st.py]
            st.error = np.where(rows, py_err[st.py], -1)
            for a in (st.oop, *st.paid.values()):
                a[rows] = 0
            st.warn[rows] = False
            st.py_warning[failed] = False
        else:
            st.error = np.full(len(st.error), -1, dtype=np.int64)

    # -- cached look-ups ------------------------------------------------------
    def _profile(self, c: Columns, i: int, with_encounter: bool, day: dt.date | None = None) -> Profile:
        t = int(c.tier[i])
        day = day or date_of(c.day[i])
        age = UNKNOWN_AGE
        if self.res.ages and c.birth is not None and int(c.birth[i]) >= 0:
            age = self._band_age(int(self._age_band(ages(c.birth[i:i + 1], np.array([day_of(day)], dtype=np.int64)))[0]))
        pool = admin = None  # not asked outside an encounter, as the interpreter's profile
        if with_encounter:
            pool = UNSTATED if c.pool is None or int(c.pool[i]) == 0 else int(c.pool[i]) == 1
            admin = UNSTATED if c.admin is None or int(c.admin[i]) == 0 else ADMIN_LEVELS[int(c.admin[i])]
        return Profile(c.regions[c.region[i]], day, c.cat_sets[c.cats[i]], c.schemes[c.scheme[i]], t or None,
                       c.etypes[c.etype[i]] if with_encounter else None, int(c.level[i]) if with_encounter else None, age,
                       pool, admin)

    def _key(self, c: Columns, i: int, year: int) -> KeyParams:
        p = self._profile(c, i, True)
        f = Facts() if c.pool is None else Facts((None, True, False)[int(c.pool[i])], ADMIN_LEVELS[int(c.admin[i])] or None)
        k = (p.region, self._epoch_of(p), year, p.categories, p.scheme, p.tier, p.encounter_type, p.hospital_level, p.age, f,
             p.in_pooling_area, p.admin_level)
        if k not in self._keys:
            self._keys[k] = key_params(self.res, self.ps.steps, p, f)
        return self._keys[k]

    def _epoch_of(self, p: Profile) -> int:
        return int(np.searchsorted(self._epoch(p.region), day_of(p.date), side="right"))

    def _monitor(self, c: Columns, i: int, year: int) -> tuple[int, str]:
        p = self._profile(c, i, False)
        k = (p.region, self._epoch_of(p), year, p.categories, p.scheme, p.tier, p.age)
        if k not in self._mon:
            self._mon[k] = monitoring_threshold(self.res, p)
        return self._mon[k]

    def _premium(self, c: Columns, i: int, year: int) -> tuple:
        p = self._profile(c, i, False, dt.date(year, 1, 1))
        k = (p.region, year, p.categories, p.scheme, p.tier, p.age)
        if k not in self._prem:
            self._prem[k] = premium_subsidy(self.res, p)
        return self._prem[k]

    def _waiting(self, c: Columns, order: np.ndarray, starts: np.ndarray, py_sorted: np.ndarray, eidx) -> tuple[np.ndarray, np.ndarray]:
        """True where an encounter falls inside a waiting period (enrolment late or lapsed), per Evaluator._waiting."""
        w = np.zeros(len(c), dtype=bool)
        werr = np.full(len(c), -1, dtype=np.int64)
        if c.cov_start is None:
            return w, werr
        inv_order = np.empty(len(order), dtype=np.int64)
        inv_order[order] = np.arange(len(order))
        cand = np.flatnonzero((c.cov_start >= 0) & (c.late | (c.lapsed > 0)) & (c.day >= c.cov_start))
        for i in cand:
            i = int(i)
            # categories on the coverage-start day: those of the person-year's last encounter on or before it, else the first's
            j = self._cats_row_on(c, order, starts, py_sorted[inv_order[i]], int(c.cov_start[i]))
            p = self._profile(c, i, True, date_of(c.cov_start[i]))
            p = Profile(p.region, p.date, c.cat_sets[c.cats[j]], p.scheme, p.tier, p.encounter_type, p.hospital_level, p.age)  # place not asked
            k = (p, int(c.lapsed[i]), int(c.repaid[i]))
            if k not in self._wait:
                self._wait[k] = waiting_end(self.res, p, k[1], k[2])
            ends, msg = self._wait[k]
            w[i] = ends is not None and date_of(c.day[i]) < ends
            if msg:
                werr[i] = eidx(msg)
        return w, werr

    def _cats_row_on(self, c: Columns, order: np.ndarray, starts: np.ndarray, py: int, day: int) -> int:
        """The row whose categories are held on `day`: the person-year's last encounter on or before it, else its first."""
        py = int(py)
        a, b = int(starts[py]), int(starts[py + 1]) if py + 1 < len(starts) else len(order)
        rows = order[a:b]
        k = int(np.searchsorted(c.day[rows], day, side="right"))
        return int(rows[k - 1]) if k > 0 else int(rows[0])


def _on(kps: list[KeyParams], sid: str) -> np.ndarray:
    """Per key: whether the step pays (figures resolved, no error)."""
    return np.array([kp.steps[sid].on for kp in kps], dtype=bool)


def _combine(parts: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, int]:
    """One int64 key from small codes (mixed radix), and the number of possible keys."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    size = 1
    for arr, radix in parts:
        key = key * max(int(radix), 1) + arr.astype(np.int64, copy=False)
        size *= max(int(radix), 1)
    return key, size


def dense_codes(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Like `codes` for keys below `size`, in linear time when `size` is small (any row stands for its key: equal keys resolve alike)."""
    n = len(values)
    if size > max(4 * n, 1 << 20) or size >= (1 << 62):
        return codes(values)
    present = np.zeros(size, dtype=bool)
    present[values] = True
    ids = np.cumsum(present) - 1
    inv = ids[values]
    first = np.empty(int(ids[-1]) + 1 if size else 0, dtype=np.int64)
    first[inv] = np.arange(n, dtype=np.int64)
    return first, inv


def _date_order(person: np.ndarray, year: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Rows by person, year and date, same-day rows in input order; no sort when the input is already in that order."""
    n = len(person)
    if n > 1:
        dp, dy, dd = np.diff(person), np.diff(year), np.diff(day)
        if ((dp > 0) | ((dp == 0) & ((dy > 0) | ((dy == 0) & (dd >= 0))))).all():
            return np.arange(n, dtype=np.int64)
    elif n < 2:
        return np.arange(n, dtype=np.int64)
    p0, y0, d0 = int(person.min()), int(year.min()), int(day.min())
    pr, yr, dr = int(person.max()) - p0 + 1, int(year.max()) - y0 + 1, int(day.max()) - d0 + 1
    if pr * yr * dr * n < (1 << 62):  # one integer key (person, year, day, row) sorted: 3x faster than lexsort, same order
        key = ((person.astype(np.int64) - p0) * yr + (year - y0)) * dr + (day - d0)
        return np.sort(key * n + np.arange(n, dtype=np.int64)) % n
    return np.lexsort((day, year, person))


def _place(arr: np.ndarray, dest: np.ndarray, n: int) -> np.ndarray:
    out = np.empty(n, dtype=arr.dtype)
    out[dest] = arr
    return out

"""Batch settlement of many encounters, exact to the fen: integer fen in numpy arrays, person-years in lockstep."""
from __future__ import annotations

import datetime as dt

import numpy as np

from engine.batch.model import EPOCH, Columns, Settled, date_of, day_of, years_of  # noqa: F401 (EPOCH re-exported)
from engine.batch.params import NEVER, KeyParams, dtype_for, key_params, monitoring_threshold, premium_subsidy, tables, waiting_end
from engine.policy.policyset import PolicySet
from engine.policy.resolve import Profile


def _rhu(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den rounded half-up (away from zero at .5), den > 0, as integers."""
    a = np.abs(num)
    q = (2 * a + den) // (2 * den)
    return np.where(num < 0, -q, q)


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

    def _epoch(self, region: str) -> np.ndarray:
        if region not in self._epochs:
            self._epochs[region] = np.array([day_of(d) for d in self.res.change_dates(region)], dtype=np.int64)
        return self._epochs[region]

    def settle(self, c: Columns) -> Settled:
        """Settle every encounter of the chunk; every person-year must be wholly inside the chunk."""
        n = len(c)
        year = years_of(c.day)
        order = np.lexsort((c.day, year, c.person))  # stable: same-day encounters keep input order
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
        mkey = _combine(base)
        fkey = _combine([(mkey, 1 << 40), (c.etype, len(c.etypes)), (c.level, 4)])
        # -- encounter keys -> integer parameter arrays
        first, inv = codes(fkey)
        kps = [self._key(c, int(i), int(year[i])) for i in first]
        P = tables(kps)
        g = {name: arr[inv] for name, arr in P.items() if name != "nb"}
        mfirst, minv = codes(mkey)
        mons = [self._monitor(c, int(i), int(year[i])) for i in mfirst]
        thr = np.array([m[0] for m in mons], dtype=np.int64)[minv]
        mon_err = np.array([eidx(m[1]) if m[1] else -1 for m in mons], dtype=np.int64)[minv]
        waiting, werr = self._waiting(c, order, starts, py_sorted, eidx)
        # -- row errors: the first applicable reason, in the order the interpreter raises them
        ek = {f: np.array([eidx(getattr(kp, f)) if getattr(kp, f) else -1 for kp in kps], dtype=np.int64)[inv]
              for f in ("cover_err", "basic_err", "si_err", "ma_err")}
        err = ek["cover_err"]
        for part, unless_waiting in ((werr, False), (ek["basic_err"], True), (ek["si_err"], True), (ek["ma_err"], False), (mon_err, False)):
            use = (err < 0) & (part >= 0)
            if unless_waiting:
                use &= ~waiting
            err = np.where(use, part, err)
        # -- basic raw amount per encounter, fully vectorised
        E, T = c.eligible, c.total
        dt_ = dtype_for(len(c), int(c.total.sum()), g, P["nb"])
        Ex = E.astype(dt_)
        num = np.maximum(Ex * g["bd_den"] - g["bd_num"], 0) * g["br_num"]
        b_raw = _rhu(num, g["bd_den"] * g["br_den"])
        b_raw = np.where(waiting, 0, b_raw)
        # -- lockstep: person-years ordered by descending count; the k-th encounters of all person-years form a slice
        rank_order = np.argsort(-counts, kind="stable")
        rank = np.empty(npy, dtype=np.int64)
        rank[rank_order] = np.arange(npy)
        kmax = int(counts.max()) if npy else 0
        n_k = np.bincount(counts, minlength=kmax + 1)[::-1].cumsum()[::-1][1:kmax + 1]
        offset = np.concatenate(([0], np.cumsum(n_k)))
        dest = np.empty(n, dtype=np.int64)
        dest[order] = offset[pos] + rank[py_sorted]
        L = {}
        for name in ("b_cap", "st_num", "st_den", "s_den", "s_cap", "md_num", "md_den", "mr_num", "mr_den", "m_cap", "si_on", "ma_on",
                     *[f"s_start{b}" for b in range(P["nb"])], *[f"s_rate{b}" for b in range(P["nb"])]):
            L[name] = _place(g[name], dest, n)
        for name, arr in (("E", Ex), ("T", T.astype(dt_)), ("b_raw", b_raw), ("w", waiting), ("thr", thr.astype(dt_))):
            L[name] = _place(arr, dest, n)
        out = {k: np.zeros(n, dtype=dt_) for k in ("basic", "si", "ma", "oop")}
        out["warn"] = np.zeros(n, dtype=bool)
        z = lambda: np.zeros(npy, dtype=dt_)  # noqa: E731
        b_paid, si_base, si_paid, ma_base, ma_paid, oop_sum = z(), z(), z(), z(), z(), z()
        nb = P["nb"]
        for k in range(kmax):
            m = int(n_k[k])
            sl = slice(int(offset[k]), int(offset[k]) + m)
            e, t = L["E"][sl], L["T"][sl]
            basic = np.minimum(L["b_raw"][sl], L["b_cap"][sl] - b_paid[:m])
            b_paid[:m] += basic
            before = si_base[:m].copy()
            si_base[:m] += e - basic
            std, stn = L["st_den"][sl], L["st_num"][sl]
            lo = np.maximum(before * std - stn, 0)
            hi = np.maximum(si_base[:m] * std - stn, 0)
            acc = 0
            for b in range(nb):
                start = L[f"s_start{b}"][sl] * std
                end = L[f"s_start{b + 1}"][sl] * std if b + 1 < nb else None
                top = hi if end is None else np.minimum(hi, end)
                acc = acc + L[f"s_rate{b}"][sl] * np.maximum(top - np.maximum(lo, start), 0)
            si = np.minimum(_rhu(acc, std * L["s_den"][sl]), L["s_cap"][sl] - si_paid[:m])
            si = np.where(L["si_on"][sl] & ~L["w"][sl], np.maximum(si, 0), 0)
            si_paid[:m] += si
            owed2 = e - basic - si
            mbefore = ma_base[:m].copy()
            ma_base[:m] += owed2
            mdd, mdn = L["md_den"][sl], L["md_num"][sl]
            mnum = (np.maximum(ma_base[:m] * mdd - mdn, 0) - np.maximum(mbefore * mdd - mdn, 0)) * L["mr_num"][sl]
            ma = np.minimum(_rhu(mnum, mdd * L["mr_den"][sl]), L["m_cap"][sl] - ma_paid[:m])
            ma = np.where(L["ma_on"][sl], np.maximum(ma, 0), 0)
            ma_paid[:m] += ma
            oop = t - basic - si - ma
            oop_sum[:m] += oop
            out["basic"][sl], out["si"][sl], out["ma"][sl], out["oop"][sl] = basic, si, ma, oop
            out["warn"][sl] = oop_sum[:m] > L["thr"][sl]
        res = {k: v[dest] for k, v in out.items()}
        conv = (lambda a: a.astype(np.int64)) if dt_ is not object else (lambda a: a)
        py = np.empty(n, dtype=np.int64)
        py[order] = py_sorted
        st = Settled(conv(res["basic"]), conv(res["si"]), conv(res["ma"]), conv(res["oop"]), res["warn"], py, err, errors)
        st.ma_missing = np.asarray(g["ma_missing"], dtype=bool)
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
        pkey = _combine([(c.region[first], len(c.regions)), (year[first] - int(year.min() if len(year) else 0), 400),
                         (c.cats[first], len(c.cat_sets)), (c.scheme[first], len(c.schemes)), (c.tier[first], int(c.tier.max()) + 1 if len(c.tier) else 1)])
        pfirst, pinv = codes(pkey)
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
            for a in (st.basic, st.si, st.ma, st.oop):
                a[rows] = 0
            st.warn[rows] = False
            st.py_warning[failed] = False
        else:
            st.error = np.full(len(st.error), -1, dtype=np.int64)

    # -- cached look-ups ------------------------------------------------------
    def _profile(self, c: Columns, i: int, with_encounter: bool, day: dt.date | None = None) -> Profile:
        t = int(c.tier[i])
        return Profile(c.regions[c.region[i]], day or date_of(c.day[i]), c.cat_sets[c.cats[i]], c.schemes[c.scheme[i]], t or None,
                       c.etypes[c.etype[i]] if with_encounter else None, int(c.level[i]) if with_encounter else None)

    def _key(self, c: Columns, i: int, year: int) -> KeyParams:
        p = self._profile(c, i, True)
        k = (p.region, self._epoch_of(p), year, p.categories, p.scheme, p.tier, p.encounter_type, p.hospital_level)
        if k not in self._keys:
            self._keys[k] = key_params(self.res, p)
        return self._keys[k]

    def _epoch_of(self, p: Profile) -> int:
        return int(np.searchsorted(self._epoch(p.region), day_of(p.date), side="right"))

    def _monitor(self, c: Columns, i: int, year: int) -> tuple[int, str]:
        p = self._profile(c, i, False)
        k = (p.region, self._epoch_of(p), year, p.categories, p.scheme, p.tier)
        if k not in self._mon:
            self._mon[k] = monitoring_threshold(self.res, p)
        return self._mon[k]

    def _premium(self, c: Columns, i: int, year: int) -> tuple:
        p = self._profile(c, i, False, dt.date(year, 1, 1))
        k = (p.region, year, p.categories, p.scheme, p.tier)
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
            p = Profile(p.region, p.date, c.cat_sets[c.cats[j]], p.scheme, p.tier, p.encounter_type, p.hospital_level)
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


def _combine(parts: list[tuple[np.ndarray, int]]) -> np.ndarray:
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    for arr, radix in parts:
        key = key * max(int(radix), 1) + arr.astype(np.int64)
    return key


def _place(arr: np.ndarray, dest: np.ndarray, n: int) -> np.ndarray:
    out = np.empty(n, dtype=arr.dtype)
    out[dest] = arr
    return out

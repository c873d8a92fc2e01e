"""Batch settlement of many encounters, exact to the fen: integer fen in numpy arrays, person-years in lockstep."""
from __future__ import annotations

from typing import Any

import numpy as np

from engine.batch.keys import combine, distinct
from engine.batch.lookups import NEVER, Lookups
from engine.batch.model import EPOCH, Columns, Settled, ages, date_of, day_of, years_of  # noqa: F401 (re-exported)
from engine.batch.params import dtype_for
from engine.policy.policyset import PolicySet
from engine.settle.kernel import after, base_amount, not_known, overlaps, pay


def codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct value (in sorted value order) and each row's index into them."""
    uniq, first, inv = np.unique(values, return_index=True, return_inverse=True)
    return first, inv.reshape(-1)


class Batch(Lookups):
    """Settles Columns under one policy set; the figures of every key met are kept across chunks."""

    def __init__(self, ps: PolicySet) -> None:
        super().__init__(ps)

    def settle(self, c: Columns) -> Settled:
        """Settle every encounter of the chunk; every person-year must be wholly inside the chunk."""
        n = len(c)
        steps = self.ps.steps
        year = years_of(c.day)
        order, pykey = _ordering(c.person, year, c.day)
        new = np.ones(n, dtype=bool)
        if n:
            np.not_equal(pykey[1:], pykey[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        npy = len(starts)
        counts = np.diff(np.append(starts, n))
        py_sorted = np.cumsum(new) - 1
        py = py_sorted if order is None else _place(py_sorted, order, n)
        # -- encounter keys -> global key indices (figures resolved once per key, across chunks)
        inv, g = self._encounter_keys(c, year)
        w, werr = self.waiting(c, order, starts, py_sorted, py)
        err = self._row_errors(c, inv, g, w, werr)
        T = self.T
        dt_ = dtype_for(n, int(c.total.sum()), T)
        # -- person-year errors before settling: the first failing encounter in date order, else the premium's
        last = starts + counts - 1
        first_rows, last_rows = (starts, last) if order is None else (order[starts], order[last])
        prem = self.premiums(c, first_rows, year) if npy else [np.zeros(0, dtype=np.int64)] * 3
        py_err = np.full(npy, -1, dtype=np.int64)
        es = err if order is None else err[order]
        bad = np.flatnonzero(es >= 0)
        if len(bad):
            pb = py_sorted[bad]
            keep = np.ones(len(bad), dtype=bool)
            keep[1:] = pb[1:] != pb[:-1]
            py_err[pb[keep]] = es[bad[keep]]
            py_day = np.zeros(npy, dtype=np.int64)
            py_day[pb[keep]] = c.day[bad[keep] if order is None else order[bad[keep]]]
            py_err = self.dated(py_err, py_day)  # named with the failing encounter's own day, as the interpreter names it
        py_err = np.where(py_err < 0, prem[2], py_err)
        failed = py_err >= 0  # the interpreter settles nothing for a person-year it cannot settle (its unknowns are kept)
        out, unknown, warn, py_warning = self._lockstep(c, order, starts, counts, inv, g, w, dt_, failed if failed.any() else None)
        zero = np.zeros(n, dtype=np.int64)
        conv = (lambda a: a.astype(np.int64, copy=False)) if dt_ is not object else (lambda a: a)  # object: exact Python integers kept
        paid = {sid: conv(out[sid]) if sid in out else conv(np.zeros(n, dtype=dt_)) for sid in steps.ids}  # untouched pages cost nothing
        thr_last = self.thr[g][inv[last_rows]] if npy else np.zeros(0, dtype=np.int64)
        st = Settled(paid.get("basic_insurance", zero), paid.get("serious_illness", zero), paid.get("medical_assistance", zero),
                     conv(out["oop"]), warn, py, err, list(self.msgs), paid=paid, unknown=unknown)
        st.py_first, st.py_year = first_rows, year[first_rows]
        st.py_warning = py_warning
        st.py_undetermined = ~py_warning & (thr_last == NEVER)
        st.py_contribution, st.py_subsidy, st.py_error = prem[0], prem[1], py_err
        st.error = py_err[py] if n else np.full(0, -1, dtype=np.int64)
        st.py_warning[failed] = False
        return st

    def _encounter_keys(self, c: Columns, year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each row's index into the chunk's distinct keys, and each distinct key's global index (new keys resolved)."""
        n = len(c)
        ymin = int(year.min()) if n else 0
        Y = int(year.max()) - ymin + 1 if n else 1
        epoch = self.epochs(c)
        E = int(epoch.max()) + 1 if n else 1
        band = self.bands(c, c.day)
        B = len(self._cuts) + 2
        TR = int(c.tier.max()) + 1 if n else 1
        parts = [(c.region, len(c.regions)), (epoch * Y + (year - ymin), E * Y), (c.cats, len(c.cat_sets)), (c.scheme, len(c.schemes)),
                 (c.tier, TR), (band, B if band is not None else 1), (c.etype, len(c.etypes)), (c.level, 4),
                 (c.pool, 3 if c.pool is not None else 1), (c.admin, 5 if c.pool is not None else 1)]  # absent facts: no part
        cols, inv = distinct(parts)
        reg, ey, cats, scheme, tier, bnd, etype, level, pool, admin = cols
        rows = self.enc.codes([(reg, c.regions, 0), (ey // Y, None, E), (ey % Y, range(ymin, ymin + Y), 0), (cats, c.cat_sets, 0),
                               (scheme, c.schemes, 0), (tier, None, TR), (bnd, None, B), (etype, c.etypes, 0), (level, None, 4),
                               (pool, None, 3), (admin, None, 5)])
        g = self.enc.find(rows)
        miss = np.flatnonzero(g < 0)
        if len(miss):  # representative rows as the interpreter's first settlement of the key chose them
            fkey, frad = combine(parts)
            first = _first_rows(fkey, frad, inv, len(reg))
            R2 = int(np.prod([max(int(r), 1) for _, r in parts[6:]]))  # the encounter's parts after the monitoring key's
            mkey = fkey // R2
            mfirst, minv = _dense_first(mkey, frad // R2)
            g[miss] = self.grow(c, year, rows[miss], first[miss], lambda i: int(mfirst[minv[i]]))
        return inv, g

    def _row_errors(self, c: Columns, inv: np.ndarray, g: np.ndarray, w: np.ndarray | None, werr: np.ndarray | None) -> np.ndarray:
        """Each row's first error (an index into self.msgs, -1 for none), in the order the interpreter raises them."""
        n = len(c)
        kerr = self.kerr[g]
        if werr is None and (kerr < 0).all():
            return np.full(n, -1, dtype=np.int64)
        if (kerr == kerr[:, :1]).all():
            err = kerr[:, 0][inv]
        else:
            lacks = 1 if c.ooc is None else (c.ooc < 0)
            v = inv * 4 + lacks + (0 if w is None else 2 * w)
            err = kerr.reshape(-1)[v]
        if werr is not None:  # a waiting period's error comes right after the cover error
            at = np.flatnonzero(werr >= 0)
            use = at[self.cover[g][inv[at]] < 0]
            err[use] = werr[use]
        return err

    def _lockstep(self, c: Columns, order: np.ndarray | None, starts: np.ndarray, counts: np.ndarray, inv: np.ndarray,
                  g: np.ndarray, w: np.ndarray | None, dt_: Any, failed: np.ndarray | None) -> tuple[dict, dict, np.ndarray, np.ndarray]:
        """Every step for every encounter: person-years by descending count, the k-th encounters of all of them at once."""
        n, npy = len(c), len(starts)
        steps = self.ps.steps
        cast = (lambda a: a) if dt_ is not object else (lambda a: a.astype(object))
        S = []  # per step: (id, kind, scaled, scalar figures, per-key figures, on, may be unknown, per-key unknown)
        mayu: dict[str, bool] = {}
        for sid in steps.ids:
            t = self.T[sid]
            sc, wp = t["scaled"], steps.kinds[sid].waiting_period
            fixed, keyed = {}, {}
            for name, arr in t["cols"].items():
                if name == "on":
                    continue
                loc = arr[g]
                if len(loc) and (loc == loc[0]).all():  # the same for every key: a scalar, no look-up per row
                    fixed[name] = int(loc[0])
                else:
                    keyed[name] = loc.astype(dt_) if dt_ is object else loc
            on_k = t["cols"]["on"][g]
            on: Any = bool(on_k[0]) if len(on_k) and (on_k == on_k[0]).all() else on_k
            uk = self.unk[sid][g]
            direct = bool(uk.any())
            mayu[sid] = direct or any(mayu[e] for e in mayu if overlaps(steps.kinds[e].base, sc.kind.base))
            if on is False and not mayu[sid]:
                continue  # pays nothing to anyone in the chunk, and is known
            S.append((sid, sc, wp, fixed, keyed, on, mayu[sid], uk if direct else None))
        thr_k = self.thr[g]
        thr_fixed = int(thr_k[0]) if len(thr_k) and (thr_k == thr_k[0]).all() else None
        rank_order = np.argsort(_narrow(int(counts.max()) - counts) if npy else counts, kind="stable")
        kmax = int(counts.max()) if npy else 0
        n_k = np.bincount(counts, minlength=kmax + 1)[::-1].cumsum()[::-1][1:kmax + 1]
        # rows regrouped once: person-years by descending count, each one's encounters together in date order
        cr = counts[rank_order]
        cum = np.zeros(npy + 1, dtype=np.int64)
        np.cumsum(cr, out=cum[1:])
        P = np.repeat(starts[rank_order] - cum[:-1], cr) + np.arange(n, dtype=np.int64)
        if order is not None:
            P = order[P]
        ing, T_, E_ = inv[P], cast(c.total[P]), cast(c.eligible[P])
        W_ = None if w is None else w[P]
        O_ = None if c.ooc is None else c.ooc[P]
        okr = None if failed is None else ~failed[rank_order]  # its figures are written (0 where the person-year failed)
        # a step that pays for few rows: per person-year, whether any of its keys lets the step pay (the others pay 0 all year)
        ever: dict[str, np.ndarray | None] = {}
        weight = np.bincount(inv, minlength=len(g)) if len(S) else None
        for sid, sc, wp, fixed, keyed, on_k, may, uk in S:
            few = isinstance(on_k, np.ndarray) and npy and int(weight[on_k].sum()) * 2 < n
            ever[sid] = np.logical_or.reduceat(on_k.take(ing), cum[:-1]) if few else None
        out = {sid: np.zeros(n, dtype=dt_) for sid, *_ in S}
        out["oop"] = np.zeros(n, dtype=dt_)
        warn = np.zeros(n, dtype=bool)
        unk = {sid: np.zeros(n, dtype=bool) for sid, *_ in S}
        seen: set[str] = set()
        pyw_all = np.zeros(npy, dtype=bool)
        for j0 in range(0, npy, BLOCK):  # a block of person-years at a time: every array of a step stays in the cache
            j1 = min(npy, j0 + BLOCK)
            cb, pyw, okb = cum[j0:j1], pyw_all[j0:j1], None if okr is None else okr[j0:j1]
            acc: dict[str, tuple] = {sid: (0, 0, 0) for sid, *_ in S}
            sels = {sid: None if e is None else np.flatnonzero(e[j0:j1]) for sid, e in ever.items()}
            yearly: dict[str, Any] = {sid: False for sid, *_ in S}
            oop_sum: Any = 0
            for k in range(int(cr[j0])):
                m = min(int(n_k[k]), j1) - j0
                at = cb[:m] + k  # the k-th encounters of the block's person-years that have one
                ok = None if okb is None else okb[:m]
                ki, t, e = ing.take(at), T_.take(at), E_.take(at)
                wk = None if W_ is None else W_.take(at)
                if O_ is None:  # what is not in scope is out of the catalogue: nothing else is owed
                    owed: tuple = (e, t - e, 0)
                else:
                    ooc = O_.take(at)
                    o = np.where(ooc >= 0, cast(ooc), t - e)
                    owed = (e, o, t - e - o)
                uslice: dict[str, Any] = {}
                for sid, sc, wp, fixed, keyed, on_k, may, uk in S:
                    if on_k is False:  # pays nothing in the chunk (it is only asked whether it is known)
                        amount: Any = np.zeros(m, dtype=dt_)
                    else:
                        amount, acc[sid] = _pay(sc, fixed, keyed, ki, wk if wp else None, owed, t, acc[sid], k, m, sels[sid])
                    if may and on_k is False:  # pays nothing: only its own missing figure, with something owed, leaves it unknown
                        u = np.zeros(m, dtype=bool)
                        if uk is not None:
                            direct = uk.take(ki)
                            if wp and wk is not None:
                                direct &= ~wk
                            i = np.flatnonzero(direct)
                            owe = base_amount(sc.kind.base, *(x.take(i) if isinstance(x, np.ndarray) else x for x in owed)) > 0
                            u[i] = not_known(True, False, False, False, owe, False)
                        uslice[sid] = u
                        if u.any():
                            unk[sid][at] = u
                            seen.add(sid)
                    elif may:
                        on = on_k if not isinstance(on_k, np.ndarray) else on_k.take(ki)
                        if wp and wk is not None:
                            on = (~wk if on is True else on & ~wk) if on is not False else False
                        owe = base_amount(sc.kind.base, *owed) > 0
                        direct: Any = False if uk is None else uk.take(ki)
                        if uk is not None and wp and wk is not None:
                            direct = direct & ~wk
                        earlier = [uslice[x] for x in uslice if overlaps(steps.kinds[x].base, sc.kind.base)]
                        y = yearly[sid][:m] if k else False
                        u = not_known(direct, np.logical_or.reduce(earlier) if earlier else False, y, on, owe, amount > 0)
                        u = np.broadcast_to(u, (m,)) if np.ndim(u) == 0 else u
                        yearly[sid] = y | u
                        uslice[sid] = u
                        if u.any():
                            amount = np.where(u, 0, amount)
                            unk[sid][at] = u
                            seen.add(sid)
                    if on_k is not False:
                        owed = after(sc.kind.base, amount, *owed, np)
                        out[sid][at] = amount if ok is None else amount * ok
                oop = owed[0] + owed[1] + owed[2]
                oop_sum = oop_sum[:m] + oop if k else oop
                out["oop"][at] = oop if ok is None else oop * ok
                wn = oop_sum > (thr_fixed if thr_fixed is not None else thr_k.take(ki))
                warn[at] = wn if ok is None else wn & ok
                pyw[:m] |= wn
        py_warning = np.empty(npy, dtype=bool)
        py_warning[rank_order] = pyw_all
        unknown = {sid: _place(unk[sid], P, n) if sid in seen else np.zeros(n, dtype=bool) for sid in steps.ids}
        return {k: _place(v, P, n) for k, v in out.items()}, unknown, _place(warn, P, n), py_warning


def _pay(sc: Any, fixed: dict, keyed: dict, ki: np.ndarray, wk: np.ndarray | None, owed: tuple, t: np.ndarray,
         acc: tuple, k: int, m: int, sel: np.ndarray | None) -> tuple[Any, tuple]:
    """One step (kernel.pay) for the k-th encounters of m person-years, or of those in `sel` only (the others pay 0 all year)."""
    # a key whose step does not pay has rates 0 (kernel.scale): only a waiting period is passed as `on`
    if sel is None:
        p = dict(fixed)
        p.update({name: loc.take(ki) for name, loc in keyed.items()})
        a = (acc[0][:m], acc[1][:m], acc[2][:m]) if k else acc
        amount, new, _ = pay(np, sc.kind, sc.D, sc.rden, sc.nb, p, ~wk if wk is not None else True, owed, t, a)
        return amount, new
    idx = sel[:int(np.searchsorted(sel, m))]
    kis = ki.take(idx)
    p = dict(fixed)
    p.update({name: loc.take(kis) for name, loc in keyed.items()})
    ms = len(idx)
    a = (acc[0][:ms], acc[1][:ms], acc[2][:ms]) if k else acc
    sub = tuple(x.take(idx) if isinstance(x, np.ndarray) else x for x in owed)
    got, new, _ = pay(np, sc.kind, sc.D, sc.rden, sc.nb, p, ~wk.take(idx) if wk is not None else True, sub, t.take(idx), a)
    amount = np.zeros(m, dtype=got.dtype)
    amount[idx] = got
    return amount, new


BLOCK = 1 << 15  # person-years settled together: a step's arrays (8 bytes each) stay within a core's cache


def _narrow(a: np.ndarray) -> np.ndarray:
    """Small non-negative integers in the narrowest type (numpy sorts 16-bit keys by radix)."""
    return a.astype(np.uint16) if len(a) and int(a.max()) < (1 << 16) else a


def _first_rows(values: np.ndarray, size: int, inv: np.ndarray, nkeys: int) -> np.ndarray:
    """A row of each distinct value, as dense_codes chooses it (the last in the dense case, else the first)."""
    return _dense_first(values, size, inv, nkeys)[0]


def _dense_first(values: np.ndarray, size: int, inv: np.ndarray | None = None, nkeys: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """dense_codes' (first row, index) of each distinct value, from an index already known where it can."""
    if inv is None:
        return dense_codes(values, size)
    if size > max(4 * len(values), 1 << 20) or size >= (1 << 62):  # codes' choice: the first row, found without sorting again
        first = np.full(nkeys, len(values), dtype=np.int64)
        np.minimum.at(first, inv, np.arange(len(values), dtype=np.int64))
        return first, inv
    first = np.empty(nkeys, dtype=np.int64)
    first[inv] = np.arange(len(values), dtype=np.int64)
    return first, inv


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


def _in_date_order(person: np.ndarray, year: np.ndarray, day: np.ndarray) -> bool:
    """True if the rows are already by person, year and date."""
    if len(person) < 2:
        return True
    dp, dy, dd = np.diff(person), np.diff(year), np.diff(day)
    return bool(((dp > 0) | ((dp == 0) & ((dy > 0) | ((dy == 0) & (dd >= 0))))).all())


def _ordering(person: np.ndarray, year: np.ndarray, day: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The rows' date order (None: already in it) and each row's person-year key in that order."""
    n = len(person)
    if not n:
        return None, np.zeros(0, dtype=np.int64)
    p0, y0, d0 = int(person.min()), int(year.min()), int(day.min())
    pr, yr, dr = int(person.max()) - p0 + 1, int(year.max()) - y0 + 1, int(day.max()) - d0 + 1
    if pr * yr * dr >= (1 << 62):
        order = _date_order(person, year, day)
        return order, (person[order].astype(np.int64) - p0) * yr + (year[order] - y0)
    pykey = person.astype(np.int64) - p0
    pykey *= yr
    pykey += year - y0
    key = pykey * dr
    key += day - d0
    wrong = np.flatnonzero(key[1:] < key[:-1])
    if not len(wrong):
        return None, pykey
    order = None
    if (person[1:] >= person[:-1]).all():  # by person already: sort only the rows of the persons out of date order
        order = _fix_up(person, key, wrong)
    if order is None:
        order = _date_order(person, year, day)
    return order, pykey[order]


def _fix_up(person: np.ndarray, key: np.ndarray, wrong: np.ndarray) -> np.ndarray | None:
    """The date order of rows sorted by person, sorting only the persons with a row out of order (None if too many)."""
    n = len(person)
    persons = np.unique(person[wrong])
    lo, hi = np.searchsorted(person, persons), np.searchsorted(person, persons, side="right")
    size = hi - lo
    if int(size.sum()) * 8 >= n:
        return None
    rows = np.arange(int(size.sum()), dtype=np.int64) + np.repeat(lo - (np.cumsum(size) - size), size)
    order = np.arange(n, dtype=np.int64)
    order[rows] = rows[np.argsort(key[rows], kind="stable")]  # (person, year, day), same-day rows in input order
    return order


def _date_order(person: np.ndarray, year: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Rows by person, year and date, same-day rows in input order; no sort when the input is already in that order."""
    n = len(person)
    if _in_date_order(person, year, day):
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

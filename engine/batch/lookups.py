"""The figures of the batch's keys, resolved once per distinct key by the engine's Resolver and kept across chunks."""
from __future__ import annotations

import bisect
import datetime as dt
from typing import Any, Callable

import numpy as np

from engine.batch.check import ADMIN_LEVELS
from engine.batch.depends import DAY, StepFigures
from engine.batch.keys import KeyIndex, combine, decode, uniques
from engine.batch.model import NO_DAY, Columns, age_bands, ages, date_of, day_of
from engine.batch.params import NEVER, KeyParams, extend_tables, key_params, monitoring_threshold, premium_subsidy, waiting_end
from engine.policy.policyset import PolicySet
from engine.policy.resolve import UNKNOWN_AGE, UNSTATED, Profile  # a row without birth_date: age rules are errors, as in a case without one
from engine.settle.stepfigs import Facts

NO_END = -(1 << 40)  # day number the waiting ends where there is none: before every day


class Lookups:
    """Per distinct key (encounter, person-year, waiting): the resolved figures, as arrays indexed by a global key index."""

    def __init__(self, ps: PolicySet) -> None:
        self.ps = ps
        self.res = ps.resolver
        self._keys: dict[tuple, KeyParams] = {}
        self._mon: dict[tuple, tuple[int, str]] = {}
        self._prem: dict[tuple, tuple] = {}
        self._wait: dict[tuple, tuple] = {}
        self._epochs: dict[str, np.ndarray] = {}
        self._changes: dict[str, list[dt.date]] = {}
        self._rows: dict[tuple, tuple] = {}  # kernel rows of the figures held in self._keys
        self._shared = StepFigures(self.res)  # each step's figures by the key fields it depends on
        # ages matter only against the `age_below` limits rules and steps test: a row is keyed by its band between them
        cuts = ps.age_limits
        self._cuts = np.array(cuts, dtype=np.int64)
        self._dates: dict[int, dt.date] = {}  # day number -> date, for the profiles of new keys
        self.ages = bool(cuts)  # some rule or step tests an age
        self.msgs: list[str] = []          # every error message met, in the order met (rows hold indices into it)
        self._msg_at: dict[str, int] = {}
        # encounter keys: (region, epoch, year, categories, scheme, tier, age band, type, level, pool, admin level)
        self.enc = KeyIndex(11)
        self.kps: list[KeyParams] = []
        self.thr = np.empty(0, dtype=np.int64)            # warning threshold (fen, NEVER: none)
        self.kerr = np.empty((0, 4), dtype=np.int64)      # first error by (waiting, out-of-catalogue cost not given)
        self.cover = np.empty(0, dtype=np.int64)          # the key's cover error (before a waiting period's)
        self.unk = {sid: np.empty(0, dtype=bool) for sid in ps.steps.ids}
        self._canon: dict[str, tuple] = {}                 # per step: one Figures per distinct set of numbers, and its row
        self.T: dict[str, dict[str, Any]] = extend_tables({}, [], ps.steps, self._rows, self._canon)
        self.pidx = KeyIndex(6)                            # person-year keys: (region, year, categories, scheme, tier, band)
        self.pvals = np.empty((0, 3), dtype=np.int64)     # contribution, subsidy (-1: not determined), error
        self.widx = KeyIndex(10)                           # waiting keys (see _waiting)
        self.wvals = np.empty((0, 2), dtype=np.int64)     # day the waiting ends (NO_END), error
        self._dated = np.zeros(0, dtype=bool)              # per message: it stands for the failing row's day (DAY)
        self._pairs = np.empty((0, 3), dtype=np.int64)     # (message, day, the message with that day filled in)
        self._day_from = self._day_to = self._day_base = self._day_codes = np.zeros(0, dtype=np.int64)  # see _dated_pairs

    def dated(self, err: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Error indices with the day filled in where the message stands for one (DAY): each row's own `day`; each
        (message, day) made once and kept across chunks (a warm chunk runs no Python per pair)."""
        if len(self._dated) < len(self.msgs):  # the messages made since: whether each stands for a day
            self._dated = np.concatenate([self._dated, np.array([DAY in m for m in self.msgs[len(self._dated):]], dtype=bool)])
        need = np.flatnonzero(err >= 0)
        need = need[self._dated[err[need]]]
        if not len(need):
            return err
        e, d = err[need], day[need]
        if len(self._day_from) < len(self.msgs):  # messages made since: the table laid out for them (no day met yet)
            self._dated_pairs(e[:0], d[:0])
        at = self._day_base[e] + (d - self._day_from[e])  # each message's days: a run of the flat table from its first day
        miss = (d < self._day_from[e]) | (d > self._day_to[e])
        miss[~miss] = self._day_codes[at[~miss]] < 0
        if miss.any():  # days not met before for their message: the dated messages made now, the table laid out again
            self._dated_pairs(e[miss], d[miss])
            at = self._day_base[e] + (d - self._day_from[e])
        out = err.copy()
        out[need] = self._day_codes[at]
        return out

    def _dated_pairs(self, e: np.ndarray, d: np.ndarray) -> None:
        """Make the dated messages of new (message, day) pairs and lay the table out again: per message, a run of codes
        from the first to the last day met (-1 for days between not met)."""
        new = np.unique(np.stack([e, d], axis=1), axis=0)
        made = [self.eidx(self.msgs[m].replace(DAY, date_of(day).isoformat())) for m, day in new.tolist()]
        self._pairs = np.concatenate([self._pairs, np.column_stack([new, made]).astype(np.int64)])
        m, day, code = self._pairs[:, 0], self._pairs[:, 1], self._pairs[:, 2]
        n = len(self.msgs)
        lo, hi = np.full(n, np.iinfo(np.int64).max, dtype=np.int64), np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.minimum.at(lo, m, day)
        np.maximum.at(hi, m, day)
        met = hi >= lo
        lo, hi = np.where(met, lo, 0), np.where(met, hi, -1)
        size = hi - lo + 1
        base = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
        codes = np.full(int(size.sum()), -1, dtype=np.int64)
        codes[base[m] + day - lo[m]] = code
        self._day_from, self._day_to, self._day_base, self._day_codes = lo, hi, base, codes

    def eidx(self, msg: str) -> int:
        """The index of an error message (-1 for none)."""
        if not msg:
            return -1
        if msg not in self._msg_at:
            self._msg_at[msg] = len(self.msgs)
            self.msgs.append(msg)
        return self._msg_at[msg]

    def bands(self, c: Columns, day: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray | None:
        """Each row's age band code on `day` (0: age unknown), or None where no rule tests an age or no birth date is given."""
        if not (self.ages and c.birth is not None):
            return None
        return age_bands(c.birth if rows is None else c.birth[rows], day, self._cuts)

    def _change_dates(self, region: str) -> list[dt.date]:
        """The days the region's rules or payment steps change: a key's figures are the same between two of them."""
        if region not in self._changes:
            self._changes[region] = sorted(set(self.res.change_dates(region)) | set(self.ps.steps.change_dates(region)))
        return self._changes[region]

    def _epoch(self, region: str) -> np.ndarray:
        if region not in self._epochs:
            self._epochs[region] = np.array([day_of(d) for d in self._change_dates(region)], dtype=np.int64)
        return self._epochs[region]

    def epochs(self, c: Columns) -> np.ndarray:
        """Each row's epoch: the number of its region's change dates on or before its day."""
        n = len(c)
        if not n:
            return np.zeros(0, dtype=np.int64)
        lo, hi = int(c.day.min()), int(c.day.max())
        R = len(c.regions)
        if (hi - lo + 1) * R > max(4 * n, 1 << 16):
            epoch = np.zeros(n, dtype=np.int64)
            for r, code in enumerate(c.regions):
                m = c.region == r
                if m.any():
                    epoch[m] = np.searchsorted(self._epoch(code), c.day[m], side="right")
            return epoch
        span = np.arange(lo, hi + 1, dtype=np.int64)
        tab = np.concatenate([np.searchsorted(self._epoch(code), span, side="right") for code in c.regions])
        return tab[c.day - lo] if R == 1 else tab[c.region * len(span) + (c.day - lo)]

    # -- new encounter keys ---------------------------------------------------
    def grow(self, c: Columns, year: np.ndarray, rows: np.ndarray, first: np.ndarray, mon_row: Callable[[int], int]) -> np.ndarray:
        """Resolve keys not seen before (global code rows, a representative row each); returns their global indices."""
        idx = self.enc.add(rows)
        steps = self.ps.steps
        lack_msg = {sid: f"field out_of_catalogue_cost is needed by payment step {sid} (base: out_of_scope) but the claims do not give it"
                    for sid in steps.ids if steps.kinds[sid].base == "out_of_scope"}
        thr, kerr, cover, unk = [], [], [], {sid: [] for sid in steps.ids}
        rows_, years = first.tolist(), year[first].tolist()
        mrows = [mon_row(i) for i in rows_]  # the first row of each key's monitoring key (keys share it)
        mon = dict.fromkeys(mrows)
        for j, p in zip(mon, self._profiles(c, list(mon), False)):
            mon[j] = self._monitor(p, int(year[j]))
        for gi, j, y, p in zip(idx.tolist(), mrows, years, self._profiles(c, rows_, True)):
            if gi < len(self.kps):
                continue
            kp = self._key(p, y, c.pool is not None)
            t, merr = mon[j]
            self.kps.append(kp)
            thr.append(t)
            ce = self.eidx(kp.cover_err)
            cover.append(ce)
            if ce >= 0 or not any(f.err for f in kp.steps.values()) and not any(kp.steps[sid].on for sid in lack_msg):
                kerr.append([ce if ce >= 0 else self.eidx(merr)] * 4)  # no step gives a reason: the cover's, else the monitoring's
            else:
                kerr.append(self._first_errors(kp, merr, lack_msg))
            for sid in steps.ids:
                unk[sid].append(kp.steps[sid].unknown if sid in kp.steps else False)
        if thr:
            self.thr = np.concatenate([self.thr, np.array(thr, dtype=np.int64)])
            self.kerr = np.concatenate([self.kerr, np.array(kerr, dtype=np.int64)])
            self.cover = np.concatenate([self.cover, np.array(cover, dtype=np.int64)])
            for sid in steps.ids:
                self.unk[sid] = np.concatenate([self.unk[sid], np.array(unk[sid], dtype=bool)])
            self.T = extend_tables(self.T, self.kps[len(self.kps) - len(thr):], steps, self._rows, self._canon)
        return idx

    def _first_errors(self, kp: KeyParams, merr: str, lack_msg: dict[str, str]) -> list[int]:
        """The first error of a key's rows without and with a waiting period, each without and with out_of_catalogue_cost
        lacking: the first applicable reason, in the order the interpreter raises them (messages indexed in that order)."""
        steps = self.ps.steps
        errs = []
        for waiting in (False, True):
            for lacks in (False, True):
                e = -1
                for sid in steps.ids:
                    if waiting and steps.kinds[sid].waiting_period:
                        continue
                    e = self.eidx(kp.steps[sid].err)
                    if e < 0 and lacks and sid in lack_msg and kp.steps[sid].on:
                        e = self.eidx(lack_msg[sid])
                    if e >= 0:
                        break
                errs.append(e if e >= 0 else self.eidx(merr))
        return errs

    # -- person-years -----------------------------------------------------------
    def premiums(self, c: Columns, first: np.ndarray, year: np.ndarray) -> list[np.ndarray]:
        """(contribution, subsidy, error) per person-year from its first row, as Evaluator._premium computes them."""
        fy = year[first]
        ymin = int(fy.min()) if len(fy) else 0
        Y = int(fy.max()) - ymin + 1 if len(fy) else 1
        jan1 = np.array([day_of(dt.date(y, 1, 1)) for y in range(ymin, ymin + Y)], dtype=np.int64)
        band = self.bands(c, jan1[fy - ymin], first)  # the premium is decided on 1 January
        B = len(self._cuts) + 2
        TR = int(c.tier.max()) + 1 if len(c.tier) else 1
        parts = [(c.region[first], len(c.regions)), (fy - ymin, Y), (c.cats[first], len(c.cat_sets)), (c.scheme[first], len(c.schemes)),
                 (c.tier[first], TR), (band, B)]
        key, size = combine(parts)
        ukeys, inv = uniques(key, size)
        reg, yr, cats, scheme, tier, bnd = decode(ukeys, [max(int(r), 1) for _, r in parts])
        u = self.pidx.codes([(reg, c.regions, 0), (yr, range(ymin, ymin + Y), 0), (cats, c.cat_sets, 0), (scheme, c.schemes, 0),
                             (tier, None, TR), (bnd, None, B)])
        g = self.pidx.find(u)
        miss = np.flatnonzero(g < 0)
        if len(miss):
            at = np.zeros(len(u), dtype=np.int64)
            at[inv] = np.arange(len(inv))
            g[miss] = self.pidx.add(u[miss])
            vals = []
            rs = first[at[miss]]
            ys = year[rs].tolist()
            for y, p in zip(ys, self._profiles(c, rs.tolist(), False, [dt.date(y, 1, 1) for y in ys])):
                v = self._premium(p, y)
                vals.append((-1 if v[0] is None else v[0], -1 if v[1] is None else v[1], self.eidx(v[2])))
            self.pvals = np.concatenate([self.pvals, np.array(vals, dtype=np.int64).reshape(-1, 3)])
        v = self.pvals[g]
        return [np.ascontiguousarray(v[:, j])[inv] for j in range(3)]

    def waiting(self, c: Columns, order: np.ndarray | None, starts: np.ndarray, py_sorted: np.ndarray,
                py: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """True where an encounter falls inside a waiting period (enrolment late or lapsed), per Evaluator._waiting; and errors."""
        if c.cov_start is None:
            return None, None
        cand = np.flatnonzero((c.cov_start != NO_DAY) & (c.late | (c.lapsed > 0)) & (c.day >= c.cov_start))
        if not len(cand):
            return None, None
        n = len(c)
        sday = c.day if order is None else c.day[order]
        # categories on the coverage-start day: those of the person-year's last encounter on or before it, else the first's
        p = py[cand]
        lo, span = int(sday.min()), int(sday.max()) - int(sday.min()) + 1
        cov = c.cov_start[cand]
        k = np.searchsorted(py_sorted * span + (sday - lo), p * span + np.clip(cov - lo, -1, span - 1), side="right") - 1
        j = np.maximum(k, starts[p])
        j = j if order is None else order[j]
        band = self.bands(c, cov, cand)
        cdays, cinv = np.unique(cov, return_inverse=True)
        fields = [(c.region[cand], c.regions, 0), (cinv.reshape(-1), cdays.tolist(), 0),
                  (c.cats[j], c.cat_sets, 0), (c.scheme[cand], c.schemes, 0), (c.tier[cand], None, int(c.tier.max()) + 1),
                  (c.etype[cand], c.etypes, 0), (c.level[cand], None, 4), (np.zeros(len(cand), dtype=np.int64) if band is None else band, None, len(self._cuts) + 2),
                  (c.lapsed[cand], None, int(c.lapsed.max()) + 1), (c.repaid[cand], None, int(c.repaid.max()) + 1)]
        rows = self.widx.codes(fields)
        g = self.widx.find(rows)
        miss = np.flatnonzero(g < 0)
        if len(miss):
            g[miss] = new = self.widx.add(rows[miss])
            vals = []
            ci = cand[miss].tolist()
            prs = self._profiles(c, ci, True, [date_of(d) for d in c.cov_start[cand[miss]].tolist()])
            for gi, i, jj, pr in zip(new.tolist(), ci, j[miss].tolist(), prs):
                if gi < len(self.wvals) + len(vals):
                    continue
                pr = Profile(pr.region, pr.date, c.cat_sets[c.cats[jj]], pr.scheme, pr.tier, pr.encounter_type, pr.hospital_level, pr.age)  # place not asked
                key = (pr, int(c.lapsed[i]), int(c.repaid[i]))
                if key not in self._wait:
                    self._wait[key] = waiting_end(self.res, pr, key[1], key[2])
                ends, msg = self._wait[key]
                vals.append((NO_END if ends is None else day_of(ends), self.eidx(msg)))
            self.wvals = np.concatenate([self.wvals, np.array(vals, dtype=np.int64).reshape(-1, 2)])
        v = self.wvals[g]
        w = np.zeros(n, dtype=bool)
        w[cand] = c.day[cand] < v[:, 0]
        werr = np.full(n, -1, dtype=np.int64)
        werr[cand] = v[:, 1]
        return (w if w.any() else None), (werr if (v[:, 1] >= 0).any() else None)

    # -- one key, by the engine's own resolution ------------------------------------
    def _profiles(self, c: Columns, rows: list[int], with_encounter: bool, days: list[dt.date] | None = None) -> list[Profile]:
        """The profile of each row on its day (or on `days`), as the interpreter builds it; columns read once for all rows."""
        at = np.array(rows, dtype=np.int64)
        regions, cat_sets, schemes = [c.regions[k] for k in c.region[at].tolist()], c.cat_sets, c.schemes
        cats, scheme, tier = c.cats[at].tolist(), c.scheme[at].tolist(), c.tier[at].tolist()
        dnums = c.day[at] if days is None else np.array([day_of(d) for d in days], dtype=np.int64)
        days = days or [self._dates[n] if n in self._dates else self._dates.setdefault(n, date_of(n)) for n in dnums.tolist()]
        age = [UNKNOWN_AGE] * len(rows)  # no birth date given (or before it): age rules are errors, as in a case without one
        if self.ages and c.birth is not None:
            a = ages(c.birth[at], dnums)  # as the interpreter counts them; -1 where not given
            band = np.searchsorted(self._cuts, a, side="right")
            age = np.where(a < 0, UNKNOWN_AGE, np.where(band == 0, 0, self._cuts[np.maximum(band - 1, 0)] if len(self._cuts) else 0)).tolist()
        etype = level = pool = admin = [None] * len(rows)  # not asked outside an encounter, as the interpreter's profile
        if with_encounter:
            etype, level = [c.etypes[k] for k in c.etype[at].tolist()], c.level[at].tolist()
            pool = [UNSTATED] * len(rows) if c.pool is None else [UNSTATED if k == 0 else k == 1 for k in c.pool[at].tolist()]
            admin = [UNSTATED] * len(rows) if c.admin is None else [ADMIN_LEVELS[k] if k else UNSTATED for k in c.admin[at].tolist()]
        out = []
        for n, day in enumerate(days):
            out.append(Profile(regions[n], day, cat_sets[cats[n]], schemes[scheme[n]], tier[n] or None, etype[n], level[n], age[n],
                               pool[n], admin[n]))
        return out

    def _key(self, p: Profile, year: int, facts: bool) -> KeyParams:
        """The key's figures (`facts`: the claims give the encounter's place, as columns that may be empty)."""
        f = Facts(None if p.in_pooling_area == UNSTATED else p.in_pooling_area,
                  None if p.admin_level == UNSTATED else p.admin_level) if facts else Facts()
        k = (p.region, self._epoch_of(p), year, p.categories, p.scheme, p.tier, p.encounter_type, p.hospital_level, p.age, f,
             p.in_pooling_area, p.admin_level)
        if k not in self._keys:
            self._keys[k] = key_params(self.res, self.ps.steps, p, f, self._shared, k[1])
        return self._keys[k]

    def _epoch_of(self, p: Profile) -> int:
        return bisect.bisect_right(self._change_dates(p.region), p.date)  # as epochs(): the region's change dates up to the day

    def _monitor(self, p: Profile, year: int) -> tuple[int, str]:
        k = (p.region, self._epoch_of(p), year, p.categories, p.scheme, p.tier, p.age)
        if k not in self._mon:
            self._mon[k] = monitoring_threshold(self.res, p)
        return self._mon[k]

    def _premium(self, p: Profile, year: int) -> tuple:
        k = (p.region, year, p.categories, p.scheme, p.tier, p.age)
        if k not in self._prem:
            self._prem[k] = premium_subsidy(self.res, p)
        return self._prem[k]


__all__ = ["Lookups", "NEVER", "NO_END"]

"""Claims tables in and out: CSV (always) or Parquet (pyarrow, extra `batch`), read in chunks by person, checked row by row."""
from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .batch import EPOCH, Columns
from .problems import InputError, Problem
from .registry import CATEGORIES, ENCOUNTER_TYPES, SCHEMES, canonical_region

REQUIRED = ("person_id", "region", "date", "type", "hospital_level", "total_cost", "eligible_cost")
OPTIONAL = ("encounter_id", "categories", "scheme", "tier", "coverage_start", "late", "lapsed_years", "repaid_years")
RESULT = ("basic_insurance", "serious_illness", "medical_assistance", "out_of_pocket", "warning", "status")
CHUNK_ROWS = 200_000
_MONEY = re.compile(r"\d{1,13}(\.\d{1,2})?")
MAX_PROBLEMS = 20


def fen_str(v: int) -> str:
    """An integer fen amount as a two-decimal yuan string."""
    sign = "-" if v < 0 else ""
    v = abs(int(v))
    return f"{sign}{v // 100}.{v % 100:02d}"


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _arrow(what: str) -> Any:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise InputError(f"{what} needs pyarrow: pip install 'yibao-rules[batch]' (or use CSV)") from None
    return pq


def _raw_chunks(path: Path, rows: int) -> Iterator[tuple[dict[str, list[str]], int, float]]:
    """Chunks of string columns with the file line (1-based) of each chunk's first row."""
    if _is_parquet(path):
        pq = _arrow(f"{path}: Parquet input")
        import pyarrow as pa

        f = pq.ParquetFile(path)
        line, total = 2, max(f.metadata.num_rows, 1)
        for batch in f.iter_batches(batch_size=rows):
            cols = {name: ["" if v is None else str(v) for v in batch.column(i).cast(pa.string()).to_pylist()]
                    for i, name in enumerate(batch.schema.names)}
            line += batch.num_rows
            yield cols, line - batch.num_rows, (line - 2) / total
        return
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    size = max(path.stat().st_size, 1)
    with fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}:1: empty file: a header row with {', '.join(REQUIRED)} is required")
        header = [h.strip() for h in header]
        missing = [h for h in REQUIRED if h not in header]
        if missing:
            raise InputError(f"{path}:1: header lacks column(s) {', '.join(missing)} (required: {', '.join(REQUIRED)})")
        idx = {h: i for i, h in enumerate(header)}
        line = 2
        while True:
            block = []
            for row in reader:
                block.append(row)
                if len(block) >= rows:
                    break
            if not block:
                return
            for j, row in enumerate(block):
                if len(row) != len(header):
                    raise InputError(f"{path}:{line + j}: {len(row)} fields, the header has {len(header)}")
            line += len(block)
            yield {h: [r[i] for r in block] for h, i in idx.items()}, line - len(block), fh.buffer.tell() / size


def read_columns(path: str | Path, rows: int = CHUNK_ROWS, progress: Any = None) -> Iterator[Columns]:
    """Columns of whole persons: a chunk's last person is carried into the next; input spanning chunks must be sorted by person_id."""
    path = Path(path)
    carry: dict[str, list[str]] | None = None
    carry_lines: list[int] = []
    done_max: str | None = None
    for cols, line, frac in _raw_chunks(path, rows):
        if progress is not None:
            progress(frac)
        missing = [h for h in REQUIRED if h not in cols]
        if missing:
            raise InputError(f"{path}: column(s) {', '.join(missing)} missing (required: {', '.join(REQUIRED)})")
        lines = list(range(line, line + len(cols["person_id"])))
        if done_max is not None:
            low = min(cols["person_id"])
            if low <= done_max:
                at = lines[cols["person_id"].index(low)]
                raise InputError(f"{path}:{at}: person_id '{low}' comes after person '{done_max}' in an earlier chunk: "
                                 "input larger than one chunk must be sorted by person_id (e.g. LC_ALL=C sort)")
        if carry is not None:
            cols = {h: carry.get(h, [""] * len(carry_lines)) + v for h, v in cols.items()}
            lines = carry_lines + lines
        ids = cols["person_id"]
        last = ids[-1]
        keep = [i for i, p in enumerate(ids) if p != last]
        tail = [i for i, p in enumerate(ids) if p == last]
        if keep:
            yield to_columns({h: [v[i] for i in keep] for h, v in cols.items()}, [lines[i] for i in keep], str(path))
            done_max = max(ids[i] for i in keep) if done_max is None else max(done_max, max(ids[i] for i in keep))
        carry = {h: [v[i] for i in tail] for h, v in cols.items()}
        carry_lines = [lines[i] for i in tail]
    if carry is not None and carry_lines:
        yield to_columns(carry, carry_lines, str(path))


class _Coder:
    """Codes for distinct values, checked once each."""

    def __init__(self, check) -> None:
        self.check, self.codes, self.values = check, {}, []

    def __call__(self, raw: str) -> int:
        c = self.codes.get(raw)
        if c is None:
            self.values.append(self.check(raw))
            c = self.codes[raw] = len(self.values) - 1
        return c


def _region(s: str) -> str:
    r = canonical_region(s.strip())
    if r is None:
        raise ValueError(f"unknown region '{s}'")
    return r


def _cats(s: str) -> frozenset[str]:
    items = frozenset(x.strip() for x in re.split(r"[|;,]", s) if x.strip())
    bad = sorted(items - CATEGORIES.keys())
    if bad:
        raise ValueError(f"unknown category '{bad[0]}' (known: {', '.join(CATEGORIES)})")
    return items


def _choice(allowed) -> Any:
    def check(s: str) -> str:
        v = s.strip()
        if v not in allowed:
            raise ValueError(f"'{s}' is not one of {', '.join(allowed)}")
        return v
    return check


def _day(s: str) -> int:
    return (dt.date.fromisoformat(s.strip()) - EPOCH).days


def _int(lo: int, hi: int, empty: int | None = None) -> Any:
    def check(s: str) -> int:
        s = s.strip()
        if not s and empty is not None:
            return empty
        v = int(s)
        if not lo <= v <= hi:
            raise ValueError(f"{v} is not in {lo}..{hi}")
        return v
    return check


def _money(s: str) -> int:
    s = s.strip()
    if not _MONEY.fullmatch(s):
        raise ValueError(f"'{s}' is not an amount of yuan with at most two decimals (and not negative)")
    whole, _, frac = s.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def _flag(s: str) -> int:
    v = s.strip().lower()
    if v not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"'{s}' is not true/false")
    return int(v in ("1", "true", "yes"))


def to_columns(cols: dict[str, list[str]], lines: list[int], path: str = "<claims>") -> Columns:
    """Check and convert string columns; every bad value is reported as PATH:LINE: field and why."""
    n = len(lines)
    problems: list[Problem] = []
    coders = {"person_id": _Coder(str), "region": _Coder(_region), "categories": _Coder(_cats),
              "scheme": _Coder(_choice(SCHEMES)), "type": _Coder(_choice(ENCOUNTER_TYPES)),
              "date": _Coder(_day), "hospital_level": _Coder(_int(1, 3)), "tier": _Coder(_int(1, 9, 0)),
              "coverage_start": _Coder(lambda s: _day(s) if s.strip() else -1), "late": _Coder(_flag),
              "lapsed_years": _Coder(_int(0, 99, 0)), "repaid_years": _Coder(_int(0, 99, 0))}
    defaults = {"categories": "", "scheme": "resident", "tier": "", "coverage_start": "", "late": "", "lapsed_years": "", "repaid_years": ""}
    out: dict[str, np.ndarray] = {}
    for name, coder in coders.items():
        vals = cols.get(name) or [defaults[name]] * n
        codes = np.empty(n, dtype=np.int64)
        for i, v in enumerate(vals):
            try:
                codes[i] = coder(v)
            except ValueError as e:
                problems.append(Problem(path, lines[i], 1, f"{name}: {e}", name))
                codes[i] = 0
                if len(problems) >= MAX_PROBLEMS:
                    raise InputError(f"{path}: bad claims rows (first {MAX_PROBLEMS} shown)", problems)
        out[name] = codes
    money = {}
    for name in ("total_cost", "eligible_cost"):
        arr = np.empty(n, dtype=np.int64)
        for i, v in enumerate(cols[name]):
            try:
                arr[i] = _money(v)
            except ValueError as e:
                problems.append(Problem(path, lines[i], 1, f"{name}: {e}", name))
                arr[i] = 0
        money[name] = arr
    over = np.flatnonzero(money["eligible_cost"] > money["total_cost"])
    for i in over[:MAX_PROBLEMS]:
        problems.append(Problem(path, lines[i], 1, f"eligible_cost {fen_str(money['eligible_cost'][i])} is above total_cost {fen_str(money['total_cost'][i])}", "eligible_cost"))
    if problems:
        raise InputError(f"{path}: bad claims rows", sorted(problems)[:MAX_PROBLEMS])

    def value_of(name: str) -> np.ndarray:
        return np.array(coders[name].values, dtype=np.int64)[out[name]] if coders[name].values else np.zeros(n, dtype=np.int64)

    c = Columns(out["person_id"], coders["person_id"].values, out["region"], coders["region"].values, out["categories"],
                coders["categories"].values, out["scheme"], coders["scheme"].values, value_of("tier"), value_of("date"),
                out["type"], coders["type"].values, value_of("hospital_level"), money["total_cost"], money["eligible_cost"],
                encounter_ids=cols.get("encounter_id"), lines=np.array(lines, dtype=np.int64))
    if "coverage_start" in cols:
        c.cov_start, c.late = value_of("coverage_start"), value_of("late").astype(bool)
        c.lapsed, c.repaid = value_of("lapsed_years"), value_of("repaid_years")
    check_person_years(c, path)
    return c


def check_person_years(c: Columns, path: str) -> None:
    """Within a person-year: one region, scheme, tier and enrolment; one category set per day."""
    n = len(c)
    if n < 2:
        return
    year = c.day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    order = np.lexsort((c.day, year, c.person))
    same = (c.person[order][1:] == c.person[order][:-1]) & (year[order][1:] == year[order][:-1])
    fields = [("region", c.region), ("scheme", c.scheme), ("tier", c.tier)]
    if c.cov_start is not None:
        fields += [("coverage_start", c.cov_start), ("late", c.late), ("lapsed_years", c.lapsed), ("repaid_years", c.repaid)]
    problems = []
    for name, arr in fields:
        bad = np.flatnonzero(same & (arr[order][1:] != arr[order][:-1]))
        for j in bad[:5]:
            i = order[j + 1]
            problems.append(Problem(path, int(c.lines[i]) if c.lines is not None else int(i) + 2, 1,
                                    f"{name} differs from the person's other rows in the same year (person {c.person_ids[c.person[i]]})", name))
    sameday = same & (c.day[order][1:] == c.day[order][:-1]) & (c.cats[order][1:] != c.cats[order][:-1])
    for j in np.flatnonzero(sameday)[:5]:
        i = order[j + 1]
        problems.append(Problem(path, int(c.lines[i]) if c.lines is not None else int(i) + 2, 1,
                                f"categories differ between two encounters of person {c.person_ids[c.person[i]]} on the same day", "categories"))
    if problems:
        raise InputError(f"{path}: inconsistent person-year rows", sorted(problems)[:MAX_PROBLEMS])


def result_rows(c: Columns, st: Any) -> Iterator[list[str]]:
    """Output rows: the input's identifying fields and each tier's payment, out-of-pocket, warning flag and status."""
    for i in range(len(c)):
        err = int(st.error[i])
        yield [c.person_ids[c.person[i]], c.encounter_ids[i] if c.encounter_ids else str(int(c.lines[i]) if c.lines is not None else i),
               str(EPOCH + dt.timedelta(days=int(c.day[i]))), c.regions[c.region[i]], "|".join(sorted(c.cat_sets[c.cats[i]])),
               c.etypes[c.etype[i]], str(int(c.level[i])), fen_str(c.total[i]), fen_str(c.eligible[i]),
               fen_str(st.basic[i]), fen_str(st.si[i]), fen_str(st.ma[i]), fen_str(st.oop[i]),
               "true" if st.warn[i] else "false", "ok" if err < 0 else st.errors[err]]


OUT_HEADER = ("person_id", "encounter_id", "date", "region", "categories", "type", "hospital_level", "total_cost", "eligible_cost") + RESULT


class ResultWriter:
    """Writes settled rows to CSV, or Parquet when the name ends in .parquet."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.parquet = _is_parquet(self.path)
        if self.parquet:
            self.pq = _arrow(f"{path}: Parquet output")
            self.writer = None
        else:
            self.fh = open(self.path, "w", newline="", encoding="utf-8")
            self.csv = csv.writer(self.fh)
            self.csv.writerow(OUT_HEADER)

    def write(self, c: Columns, st: Any) -> None:
        rows = list(result_rows(c, st))
        if not self.parquet:
            self.csv.writerows(rows)
            return
        import pyarrow as pa

        table = pa.table({h: [r[j] for r in rows] for j, h in enumerate(OUT_HEADER)})
        if self.writer is None:
            self.writer = self.pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.parquet:
            if self.writer is not None:
                self.writer.close()
        else:
            self.fh.close()

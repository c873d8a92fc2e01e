"""Claims tables in and out: CSV or Parquet, read in chunks by person and checked; vectorised with pyarrow (extra `batch`),
row by row with the csv module without it (CSV only), with the same results either way."""
from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterator, NoReturn

import numpy as np

from .batch import EPOCH, Columns
from .problems import InputError, Problem
from .registry import CATEGORIES, ENCOUNTER_TYPES, SCHEMES, canonical_region

REQUIRED = ("person_id", "region", "date", "type", "hospital_level", "total_cost", "eligible_cost")
OPTIONAL = ("encounter_id", "categories", "scheme", "tier", "coverage_start", "late", "lapsed_years", "repaid_years")
RESULT = ("basic_insurance", "serious_illness", "medical_assistance", "out_of_pocket", "warning", "status")
CHUNK_ROWS = 200_000
_MONEY = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")
MAX_PROBLEMS = 20


def fen_str(v: int) -> str:
    """An integer fen amount as a two-decimal yuan string."""
    sign = "-" if v < 0 else ""
    v = abs(int(v))
    return f"{sign}{v // 100}.{v % 100:02d}"


def fen_strings(v: np.ndarray) -> Any:
    """Integer fen amounts as a pyarrow array of two-decimal yuan strings, vectorised (the same text as fen_str)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    v = np.asarray(v, dtype=np.int64)
    a = np.abs(v)
    whole = pc.cast(pa.array(a // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(a % 100), pa.string()), 2, "0")
    text = pc.binary_join_element_wise(whole, frac, ".")
    if (v < 0).any():
        text = pc.if_else(pa.array(v < 0), pc.binary_join_element_wise("-", text, ""), text)
    return text


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _arrow(what: str) -> Any:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise InputError(f"{what} needs pyarrow: pip install 'yibao-rules[batch]' (or use CSV)") from None
    return pq


def arrow_available() -> bool:
    """True when pyarrow (with its CSV, Parquet and compute modules) can be imported."""
    try:
        import pyarrow.compute  # noqa: F401
        import pyarrow.csv  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


def read_columns(path: str | Path, rows: int = CHUNK_ROWS, progress: Any = None, engine: str = "auto",
                 encounter_ids: bool = True) -> Iterator[Columns]:
    """Columns of whole persons: a chunk's last person is carried into the next; input spanning chunks must be sorted by person_id.

    engine: "arrow" (vectorised, pyarrow), "python" (row by row, CSV only) or "auto" (arrow when installed);
    both give the same columns and report the same bad rows. encounter_ids=False skips that column (reports need no ids)."""
    path = Path(path)
    if engine not in ("auto", "arrow", "python"):
        raise ValueError(f"engine {engine!r}")
    use_arrow = _is_parquet(path) or engine == "arrow" or (engine == "auto" and arrow_available())
    if use_arrow:
        _arrow(f"{path}: Parquet input" if _is_parquet(path) else f"{path}: --engine arrow")
        yield from _read_arrow(path, rows, progress, encounter_ids)
    else:
        yield from _read_python(path, rows, progress, encounter_ids)


# -- pure-Python path (no pyarrow): csv module, checked value by value ----------------------------------------

def _csv_header(fh: Any, path: Path) -> list[str]:
    header = next(csv.reader([fh.readline()]), None)
    if not header:
        raise InputError(f"{path}:1: empty file: a header row with {', '.join(REQUIRED)} is required")
    header = [h.strip() for h in header]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise InputError(f"{path}:1: header lacks column(s) {', '.join(missing)} (required: {', '.join(REQUIRED)})")
    return header


def _raw_chunks(path: Path, rows: int) -> Iterator[tuple[dict[str, list[str]], int, float]]:
    """Chunks of string columns with the file line (1-based) of each chunk's first row."""
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    size = max(path.stat().st_size, 1)
    line = 1
    try:
        with fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path}:1: empty file: a header row with {', '.join(REQUIRED)} is required")
            header = [h.strip() for h in header]
            missing = [h for h in REQUIRED if h not in header]
            if missing:
                raise InputError(f"{path}:1: header lacks column(s) {', '.join(missing)} (required: {', '.join(REQUIRED)})")
            idx = {h: i for i, h in enumerate(header) if h in REQUIRED or h in OPTIONAL}
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
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e.reason}); save the file as UTF-8") from None
    except csv.Error as e:
        raise InputError(f"{path}:{line}: not readable as CSV: {e}") from None


def _read_python(path: Path, rows: int, progress: Any, encounter_ids: bool) -> Iterator[Columns]:
    if _is_parquet(path):
        raise InputError(f"{path}: Parquet input needs pyarrow")
    carry: dict[str, list[str]] | None = None
    carry_lines: list[int] = []
    done_max: str | None = None
    for cols, line, frac in _raw_chunks(path, rows):
        if progress is not None:
            progress(frac)
        if not encounter_ids:
            cols.pop("encounter_id", None)
        lines = list(range(line, line + len(cols["person_id"])))
        if done_max is not None:
            low = min(cols["person_id"])
            if low <= done_max:
                _unsorted(path, lines[cols["person_id"].index(low)], low, done_max)
        if carry is not None:
            cols = {h: carry.get(h, [""] * len(carry_lines)) + v for h, v in cols.items()}
            lines = carry_lines + lines
        ids = cols["person_id"]
        last = ids[-1]
        keep = [i for i, p in enumerate(ids) if p != last]
        tail = [i for i, p in enumerate(ids) if p == last]
        if keep:
            yield to_columns({h: [v[i] for i in keep] for h, v in cols.items()}, [lines[i] for i in keep], str(path))
            high = max(ids[i] for i in keep)
            done_max = high if done_max is None else max(done_max, high)
        carry = {h: [v[i] for i in tail] for h, v in cols.items()}
        carry_lines = [lines[i] for i in tail]
    if carry is not None and carry_lines:
        yield to_columns(carry, carry_lines, str(path))


def _unsorted(path: Path, line: int, low: str, done_max: str) -> None:
    raise InputError(f"{path}:{line}: person_id '{low}' comes after person '{done_max}' in an earlier chunk: "
                     "input larger than one chunk must be sorted by person_id (e.g. LC_ALL=C sort)")


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
        if not s.isascii():
            raise ValueError(f"'{s}' is not a whole number")
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


def _checks() -> dict[str, Any]:
    """The check (raw string -> value, ValueError saying why) of every coded column, in reporting order."""
    return {"person_id": str, "region": _region, "categories": _cats, "scheme": _choice(SCHEMES), "type": _choice(ENCOUNTER_TYPES),
            "date": _day, "hospital_level": _int(1, 3), "tier": _int(1, 9, 0),
            "coverage_start": lambda s: _day(s) if s.strip() else -1, "late": _flag,
            "lapsed_years": _int(0, 99, 0), "repaid_years": _int(0, 99, 0)}


DEFAULTS = {"categories": "", "scheme": "resident", "tier": "", "coverage_start": "", "late": "", "lapsed_years": "", "repaid_years": ""}


class _Problems:
    """Bad values in reporting order (column by column, row by row), stopping at MAX_PROBLEMS."""

    def __init__(self, path: str) -> None:
        self.path, self.items = path, []

    def add(self, line: int, field: str, why: str, message: str | None = None) -> None:
        self.items.append(Problem(self.path, int(line), 1, message or f"{field}: {why}", field))
        if len(self.items) >= MAX_PROBLEMS:
            raise InputError(f"{self.path}: bad claims rows (first {MAX_PROBLEMS} shown)", sorted(self.items))

    def raise_any(self) -> None:
        if self.items:
            raise InputError(f"{self.path}: bad claims rows", sorted(self.items))


def to_columns(cols: dict[str, list[str]], lines: Any, path: str = "<claims>") -> Columns:
    """Check and convert string columns row by row; every bad value is reported as PATH:LINE: field and why."""
    n = len(lines)
    problems = _Problems(path)
    coders = {name: _Coder(check) for name, check in _checks().items()}
    out: dict[str, np.ndarray] = {}
    for name, coder in coders.items():
        vals = cols.get(name) or [DEFAULTS[name]] * n
        codes = np.empty(n, dtype=np.int64)
        for i, v in enumerate(vals):
            try:
                codes[i] = coder(v)
            except ValueError as e:
                codes[i] = 0
                problems.add(lines[i], name, str(e))
        out[name] = codes
    money = {}
    unread = np.zeros(n, dtype=bool)
    for name in ("total_cost", "eligible_cost"):
        arr = np.empty(n, dtype=np.int64)
        for i, v in enumerate(cols[name]):
            try:
                arr[i] = _money(v)
            except ValueError as e:
                arr[i], unread[i] = 0, True
                problems.add(lines[i], name, str(e))
        money[name] = arr
    money["unread"] = unread
    values = {name: coder.values for name, coder in coders.items()}
    return _finish(out, values, money, cols.get("encounter_id"), np.asarray(lines, dtype=np.int64), "coverage_start" in cols, problems)


def _finish(codes: dict[str, np.ndarray], values: dict[str, list], money: dict[str, np.ndarray], encounter_ids: list[str] | None,
            lines: np.ndarray, enrolment: bool, problems: _Problems) -> Columns:
    """The checked columns as Columns (both paths end here): eligible <= total, then the person-year checks."""
    n = len(lines)
    path = problems.path
    for i in np.flatnonzero((money["eligible_cost"] > money["total_cost"]) & ~money["unread"]):
        problems.add(lines[i], "eligible_cost", "", f"eligible_cost {fen_str(money['eligible_cost'][i])} is above total_cost {fen_str(money['total_cost'][i])}")
    problems.raise_any()

    def value_of(name: str) -> np.ndarray:
        return np.array(values[name], dtype=np.int64)[codes[name]] if values[name] else np.zeros(n, dtype=np.int64)

    c = Columns(codes["person_id"], values["person_id"], codes["region"], values["region"], codes["categories"],
                values["categories"], codes["scheme"], values["scheme"], value_of("tier"), value_of("date"),
                codes["type"], values["type"], value_of("hospital_level"), money["total_cost"], money["eligible_cost"],
                encounter_ids=encounter_ids, lines=lines)
    if enrolment:
        c.cov_start, c.late = value_of("coverage_start"), value_of("late").astype(bool)
        c.lapsed, c.repaid = value_of("lapsed_years"), value_of("repaid_years")
    check_person_years(c, path)
    return c


# -- pyarrow path: block reads, dictionary-coded columns, vectorised money ---------------------------------------

def _arrow_tables(path: Path, rows: int) -> Iterator[tuple[Any, int, float]]:
    """Tables of about `rows` rows holding only the known columns as non-null strings, with the first row's line and progress."""
    import pyarrow as pa

    wanted = REQUIRED + OPTIONAL
    if _is_parquet(path):
        import pyarrow.parquet as pq

        try:
            f = pq.ParquetFile(path)
        except (OSError, pa.ArrowException) as e:
            raise InputError(f"{path}: cannot read as Parquet: {e}") from None
        names = f.schema_arrow.names
        missing = [h for h in REQUIRED if h not in names]
        if missing:
            raise InputError(f"{path}: column(s) {', '.join(missing)} missing (required: {', '.join(REQUIRED)})")
        cols = [h for h in wanted if h in names]
        line, total = 2, max(f.metadata.num_rows, 1)
        for batch in f.iter_batches(batch_size=rows, columns=cols):
            if batch.num_rows:
                yield _strings(pa.Table.from_batches([batch]), cols), line, (line - 2 + batch.num_rows) / total
                line += batch.num_rows
        return
    import pyarrow.csv as pcsv

    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = _csv_header(fh, path)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    except (UnicodeDecodeError, csv.Error):
        yield from _locate_python(path, rows, "the header is not readable")
        return
    if len(set(header)) != len(header):
        raise InputError(f"{path}:1: header names a column twice: {', '.join(sorted(h for h in set(header) if header.count(h) > 1))}")
    cols = [h for h in wanted if h in header]
    size = max(path.stat().st_size, 1)
    src = pa.OSFile(str(path))
    try:
        reader = pcsv.open_csv(src, read_options=pcsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 22),
                               parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                               convert_options=pcsv.ConvertOptions(column_types={h: pa.string() for h in header}, include_columns=cols,
                                                                   strings_can_be_null=False))
        line, pending, held = 2, [], 0
        for batch in reader:  # exactly `rows` rows a chunk, as the row-by-row reader
            pending.append(batch)
            held += batch.num_rows
            while held >= rows:
                tbl = pa.Table.from_batches(pending)
                yield _strings(tbl.slice(0, rows), cols), line, src.tell() / size
                rest = tbl.slice(rows)
                line, pending, held = line + rows, rest.to_batches(), rest.num_rows
        if held:
            yield _strings(pa.Table.from_batches(pending, schema=reader.schema), cols), line, 1.0
    except pa.ArrowInvalid as e:
        yield from _locate_python(path, rows, str(e))
    finally:
        src.close()


def _locate_python(path: Path, rows: int, why: str) -> NoReturn:
    """pyarrow refused the file: let the row-by-row reader name the bad line, else pass pyarrow's reason on."""
    for _ in _raw_chunks(path, rows):
        pass
    raise InputError(f"{path}: not readable as CSV: {why}")


def _strings(tbl: Any, cols: list[str]) -> Any:
    """The table's columns as non-null strings (Parquet may hold numbers, dates or nulls)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = {}
    for h in cols:
        a = tbl.column(h)
        if a.type != pa.string():
            a = a.cast(pa.string())
        if a.null_count:
            a = pc.fill_null(a, "")
        out[h] = a.combine_chunks() if a.num_chunks != 1 else a.chunk(0)
    return pa.table(out)


def _read_arrow(path: Path, rows: int, progress: Any, encounter_ids: bool) -> Iterator[Columns]:
    import pyarrow as pa
    import pyarrow.compute as pc

    carry, carry_lines = None, np.zeros(0, dtype=np.int64)
    done_max: str | None = None
    for tbl, line, frac in _arrow_tables(path, rows):
        if progress is not None:
            progress(frac)
        if not encounter_ids and "encounter_id" in tbl.column_names:
            tbl = tbl.drop_columns(["encounter_id"])
        lines = np.arange(line, line + tbl.num_rows, dtype=np.int64)
        if done_max is not None:
            low = pc.min(tbl.column("person_id")).as_py()
            if low <= done_max:
                _unsorted(path, int(lines[pc.index(tbl.column("person_id"), low).as_py()]), low, done_max)
        if carry is not None:
            tbl = pa.concat_tables([carry, tbl])
            lines = np.concatenate([carry_lines, lines])
        ids = tbl.column("person_id")
        tail = pc.equal(ids, ids[-1]).to_numpy(zero_copy_only=False)
        if not tail.all():
            keep = tbl.filter(pa.array(~tail))
            yield arrow_columns(keep, lines[~tail], str(path))
            high = pc.max(keep.column("person_id")).as_py()
            done_max = high if done_max is None else max(done_max, high)
        carry, carry_lines = tbl.filter(pa.array(tail)), lines[tail]
    if carry is not None and len(carry_lines):
        yield arrow_columns(carry, carry_lines, str(path))


def _col(tbl: Any, name: str) -> Any:
    """One column as a single Array."""
    a = tbl.column(name)
    return a.chunk(0) if a.num_chunks == 1 else a.combine_chunks()


_MONEY_RE2 = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"


def _arrow_money(a: Any) -> tuple[np.ndarray, np.ndarray]:
    """Integer fen of the strings that are plain amounts (digits, optional '.' and 1-2 digits), and the mask of the others."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = pc.match_substring_regex(a, _MONEY_RE2).to_numpy(zero_copy_only=False)
    fen = np.zeros(len(a), dtype=np.int64)
    good = a if ok.all() else a.filter(pa.array(ok))
    if len(good):
        digits = pc.cast(pc.replace_substring(good, ".", ""), "int64").to_numpy()
        dot = pc.find_substring(good, ".").to_numpy()
        places = np.where(dot < 0, 0, pc.utf8_length(good).to_numpy() - 1 - dot)  # 0, 1 or 2 decimals
        fen[ok] = digits * np.array([100, 10, 1], dtype=np.int64)[places]
    return fen, ~ok


def arrow_columns(tbl: Any, lines: np.ndarray, path: str = "<claims>") -> Columns:
    """Check and convert a table of string columns, vectorised: each distinct value is checked once with the same checks as
    to_columns, money is parsed to integer fen with integer arithmetic, and bad values are reported at their lines."""
    n = tbl.num_rows
    problems = _Problems(path)
    codes: dict[str, np.ndarray] = {}
    values: dict[str, list] = {}
    for name, check in _checks().items():
        if name not in tbl.column_names:
            codes[name] = np.zeros(n, dtype=np.int64)
            values[name] = [check(DEFAULTS[name])]
            continue
        enc = _col(tbl, name).dictionary_encode()
        idx = enc.indices.to_numpy().astype(np.int64)
        vals, bad = [], {}
        if check is str:  # person ids: any text
            codes[name], values[name] = idx, enc.dictionary.to_pylist()
            continue
        for j, raw in enumerate(enc.dictionary.to_pylist()):
            try:
                vals.append(check(raw))
            except ValueError as e:
                vals.append(None)
                bad[j] = str(e)
        if bad:
            at = np.isin(idx, np.fromiter(bad, dtype=np.int64))
            for i in np.flatnonzero(at):
                problems.add(lines[i], name, bad[int(idx[i])])
        codes[name], values[name] = idx, vals
    money = {}
    unread = np.zeros(n, dtype=bool)
    for name in ("total_cost", "eligible_cost"):
        a = _col(tbl, name)
        fen, other = _arrow_money(a)
        for i in np.flatnonzero(other):  # not plain digits: the row-by-row check decides (e.g. surrounding spaces) and says why
            try:
                fen[i] = _money(a[int(i)].as_py())
            except ValueError as e:
                unread[i] = True
                problems.add(lines[i], name, str(e))
        money[name] = fen
    money["unread"] = unread
    ids = _col(tbl, "encounter_id").to_pylist() if "encounter_id" in tbl.column_names else None
    return _finish(codes, values, money, ids, np.asarray(lines, dtype=np.int64), "coverage_start" in tbl.column_names, problems)


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


def result_table(c: Columns, st: Any) -> Any:
    """The output rows as a pyarrow table of strings, vectorised: the same text as result_rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def coded(values: list[str], codes: np.ndarray) -> Any:
        return pa.array(values, pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))

    n = len(c)
    if c.encounter_ids:
        eid = pa.array(c.encounter_ids, pa.string())
    else:
        eid = pc.cast(pa.array(c.lines if c.lines is not None else np.arange(n, dtype=np.int64)), pa.string())
    cols = [coded(c.person_ids, c.person), eid, pc.cast(pa.array(c.day.astype(np.int32), pa.date32()), pa.string()),
            coded(c.regions, c.region), coded(["|".join(sorted(x)) for x in c.cat_sets], c.cats), coded(c.etypes, c.etype),
            pc.cast(pa.array(c.level), pa.string()), fen_strings(c.total), fen_strings(c.eligible),
            fen_strings(st.basic), fen_strings(st.si), fen_strings(st.ma), fen_strings(st.oop),
            coded(["false", "true"], st.warn.astype(np.int64)), coded(["ok", *st.errors], st.error + 1)]
    return pa.table(dict(zip(OUT_HEADER, cols)))


def _csv_bytes(table: Any) -> memoryview:
    """A table of strings as CSV lines ending in CRLF, quoted only where needed: what csv.writer writes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for a in table.columns:
        a = a.combine_chunks()
        need = pc.match_substring_regex(a, '[,"\r\n]')
        if pc.any(need).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(a, '"', '""'), '"', "")
            a = pc.if_else(need, quoted, a)
        cols.append(a)
    lines = pc.binary_join_element_wise(*cols, ",")
    lines = pc.binary_join_element_wise(lines, "\r\n", "")
    if not isinstance(lines, pa.StringArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    lo, hi = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return memoryview(lines.buffers()[2])[lo:hi]


class ResultWriter:
    """Writes settled rows to CSV, or Parquet when the name ends in .parquet; vectorised with pyarrow when installed."""

    def __init__(self, path: str | Path, engine: str = "auto") -> None:
        self.path = Path(path)
        self.parquet = _is_parquet(self.path)
        self.arrow = self.parquet or engine == "arrow" or (engine == "auto" and arrow_available())
        if self.arrow:
            self.pq = _arrow(f"{path}: Parquet output" if self.parquet else f"{path}: --engine arrow")
            self.writer = None
        if not self.parquet:
            try:
                self.fh = open(self.path, "w", newline="", encoding="utf-8")
            except OSError as e:
                raise InputError(f"{path}: cannot write: {e.strerror}") from None
            self.csv = csv.writer(self.fh)
            self.csv.writerow(OUT_HEADER)

    def write(self, c: Columns, st: Any) -> None:
        if not self.arrow:
            self.csv.writerows(result_rows(c, st))
            return
        table = result_table(c, st)
        if not self.parquet:
            self.fh.flush()
            self.fh.buffer.write(_csv_bytes(table))
            self.fh.buffer.flush()
            return
        if self.writer is None:
            self.writer = self.pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.parquet:
            if self.writer is not None:
                self.writer.close()
        else:
            self.fh.close()

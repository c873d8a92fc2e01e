"""The pyarrow claims reader: CSV or Parquet in block reads, dictionary-coded columns, vectorised money, same results as batch_csv."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator, NoReturn

import numpy as np

from engine.batch.model import Columns
from engine.batch.check import DEFAULTS, OPTIONAL, REQUIRED, Problems, checks, fen_of, finish, unsorted, why_of
from engine.batch.csvio import csv_header, is_parquet, raw_chunks
from engine.core.messages import Text, os_reason
from engine.core.problems import InputError

_MONEY_RE2 = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"


def arrow_module(what: str) -> Any:
    """pyarrow.parquet, or InputError saying that `what` needs pyarrow."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise InputError(Text("usage.needs_pyarrow", what=what)) from None
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


def arrow_for(path: str | Path, engine: str, role: str) -> Any:
    """pyarrow.parquet when `path` is read or written with pyarrow (Parquet, engine "arrow", or "auto" with pyarrow installed), else None."""
    parquet = is_parquet(Path(path))
    if not (parquet or engine == "arrow" or (engine == "auto" and arrow_available())):
        return None
    return arrow_module(f"{path}: Parquet {role}" if parquet else f"{path}: --engine arrow")


def _parquet_tables(path: Path, rows: int) -> Iterator[tuple[Any, int, float]]:
    """Record batches of a Parquet file as string tables of the known columns, with the first row's line and progress."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as e:
        raise InputError(Text("batch.not_parquet", path=path, why=str(e))) from None
    names = f.schema_arrow.names
    missing = [h for h in REQUIRED if h not in names]
    if missing:
        raise InputError(Text("batch.columns_missing", path=path, names=", ".join(missing), required=", ".join(REQUIRED)))
    cols = [h for h in REQUIRED + OPTIONAL if h in names]
    line, total = 2, max(f.metadata.num_rows, 1)
    for batch in f.iter_batches(batch_size=rows, columns=cols):
        if batch.num_rows:
            yield _strings(pa.Table.from_batches([batch]), cols), line, (line - 2 + batch.num_rows) / total
            line += batch.num_rows


def _arrow_tables(path: Path, rows: int) -> Iterator[tuple[Any, int, float]]:
    """Tables of about `rows` rows holding only the known columns as non-null strings, with the first row's line and progress."""
    if is_parquet(path):
        yield from _parquet_tables(path, rows)
        return
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = csv_header(fh, path)
    except OSError as e:
        raise InputError(Text("file.cannot_read_at", path=path, why=os_reason(e))) from None
    except (UnicodeDecodeError, csv.Error):
        yield from _locate_python(path, rows, "the header is not readable")
        return
    cols = [h for h in REQUIRED + OPTIONAL if h in header]
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
    for _ in raw_chunks(path, rows):
        pass
    raise InputError(Text("batch.not_csv_file", path=path, why=why))


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
        out[h] = _single(a)
    return pa.table(out)


def read_arrow(path: Path, rows: int, progress: Any, encounter_ids: bool) -> Iterator[Columns]:
    """Columns of whole persons, vectorised; a chunk's last person is carried into the next."""
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
                unsorted(path, int(lines[pc.index(tbl.column("person_id"), low).as_py()]), low, done_max)
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


def _single(a: Any) -> Any:
    """A chunked array as a single Array."""
    return a.chunk(0) if a.num_chunks == 1 else a.combine_chunks()


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
    problems = Problems(path)
    codes: dict[str, np.ndarray] = {}
    values: dict[str, list] = {}
    for name, check in checks().items():
        if name not in tbl.column_names:
            codes[name] = np.zeros(n, dtype=np.int64)
            values[name] = [check(DEFAULTS[name])]
            continue
        enc = _single(tbl.column(name)).dictionary_encode()
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
                bad[j] = why_of(e)
        if bad:
            at = np.isin(idx, np.fromiter(bad, dtype=np.int64))
            for i in np.flatnonzero(at):
                problems.add(lines[i], name, bad[int(idx[i])])
        codes[name], values[name] = idx, vals
    money = {}
    unread = np.zeros(n, dtype=bool)
    for name in ("total_cost", "eligible_cost"):
        a = _single(tbl.column(name))
        fen, other = _arrow_money(a)
        for i in np.flatnonzero(other):  # not plain digits: the row-by-row check decides (e.g. surrounding spaces) and says why
            try:
                fen[i] = fen_of(a[int(i)].as_py())
            except ValueError as e:
                unread[i] = True
                problems.add(lines[i], name, why_of(e))
        money[name] = fen
    if "out_of_catalogue_cost" in tbl.column_names:  # optional: empty = not given (-1)
        a = _single(tbl.column("out_of_catalogue_cost"))
        raw = a.to_pylist()
        fen = np.full(n, -1, dtype=np.int64)
        for i, v in enumerate(raw):
            if v is not None and v.strip():
                try:
                    fen[i] = fen_of(v)
                except ValueError as e:
                    unread[i] = True
                    problems.add(lines[i], "out_of_catalogue_cost", str(e))
        money["out_of_catalogue_cost"] = fen
    money["unread"] = unread
    ids = _single(tbl.column("encounter_id")).to_pylist() if "encounter_id" in tbl.column_names else None
    return finish(codes, values, money, ids, np.asarray(lines, dtype=np.int64), "coverage_start" in tbl.column_names, problems)

"""The pyarrow claims reader: CSV or Parquet in block reads, dictionary-coded columns, vectorised money, same results as batch_csv."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator, NoReturn

import numpy as np

from engine.batch.model import Columns
from engine.batch.arrowcols import MONEY, arrow_columns, equal_rows, extreme, normal
from engine.batch.check import OPTIONAL, REQUIRED, unsorted
from engine.batch.csvio import csv_header, is_parquet, raw_chunks
from engine.core.messages import Text, os_reason
from engine.core.problems import InputError


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


def _parquet_tables(path: Path, rows: int, wanted: tuple[str, ...]) -> Iterator[tuple[Any, int, float]]:
    """Tables of the wanted known columns of a Parquet file (text read as dictionary codes), first row's line, progress."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(path)
        names = f.schema_arrow.names
        missing = [h for h in REQUIRED if h not in names]
        if missing:
            raise InputError(Text("batch.columns_missing", path=path, names=", ".join(missing), required=", ".join(REQUIRED)))
        cols = [h for h in wanted if h in names]
        text = [h for h in cols if h not in MONEY and h != "encounter_id" and pa.types.is_string(f.schema_arrow.field(h).type)]
        # coded text columns as dictionary codes: each distinct value decoded once, no string per row; no pre-buffering:
        # pyarrow keeps every pre-buffered row group's bytes until the file is closed (memory growing with the file)
        f = pq.ParquetFile(path, read_dictionary=text or None, pre_buffer=False)
    except (OSError, pa.ArrowException) as e:
        raise InputError(Text("batch.not_parquet", path=path, why=str(e))) from None
    total = max(f.metadata.num_rows, 1)
    for tbl, line in _rows_at_a_time(f.iter_batches(batch_size=rows, columns=cols), rows, cols, None):
        yield tbl, line, (line - 2 + tbl.num_rows) / total


def _rows_at_a_time(batches: Iterator[Any], rows: int, cols: list[str], schema: Any) -> Iterator[tuple[Any, int]]:
    """Tables of exactly `rows` rows (the last one fewer) from record batches of any sizes, with the first row's line."""
    import pyarrow as pa

    line, pending, held = 2, [], 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            tbl = pa.Table.from_batches(pending)
            yield _normal(tbl.slice(0, rows), cols), line
            rest = tbl.slice(rows)
            line, pending, held = line + rows, rest.to_batches(), rest.num_rows
    if held:
        yield _normal(pa.Table.from_batches(pending, schema=schema), cols), line


def _arrow_tables(path: Path, rows: int, wanted: tuple[str, ...]) -> Iterator[tuple[Any, int, float]]:
    """Tables of `rows` rows of the wanted known columns as non-null strings (or their codes), first row's line, progress."""
    if is_parquet(path):
        yield from _parquet_tables(path, rows, wanted)
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
    cols = [h for h in wanted if h in header]
    size = max(path.stat().st_size, 1)
    src = pa.OSFile(str(path))
    try:
        reader = pcsv.open_csv(src, read_options=pcsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 22),
                               parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                               convert_options=pcsv.ConvertOptions(column_types={h: pa.string() for h in header}, include_columns=cols,
                                                                   strings_can_be_null=False))
        for tbl, line in _rows_at_a_time(reader, rows, cols, reader.schema):  # exactly `rows` rows a chunk, as the row-by-row reader
            yield tbl, line, src.tell() / size if tbl.num_rows == rows else 1.0
    except pa.ArrowInvalid as e:
        yield from _locate_python(path, rows, str(e))
    finally:
        src.close()


def _locate_python(path: Path, rows: int, why: str) -> NoReturn:
    """pyarrow refused the file: let the row-by-row reader name the bad line, else pass pyarrow's reason on."""
    for _ in raw_chunks(path, rows):
        pass
    raise InputError(Text("batch.not_csv_file", path=path, why=why))


def _normal(tbl: Any, cols: list[str]) -> Any:
    """The table's columns as non-null strings (Parquet may hold numbers, dates or nulls); coded columns may stay dictionaries."""
    import pyarrow as pa

    return pa.table({h: normal(tbl.column(h), h not in MONEY and h != "encounter_id") for h in cols})


def _concat(a: Any, b: Any) -> Any:
    """Table a's rows (the few carried) then b's, each column one array, b's dictionary codes kept (see _prepend)."""
    import pyarrow as pa

    if a.schema != b.schema:
        a, b = (pa.table({h: normal(t.column(h), False) for h in t.column_names}) for t in (a, b))
    return pa.table({h: _prepend(a.column(h).chunk(0) if a.num_rows else a.column(h).combine_chunks(), b.column(h).combine_chunks())
                     for h in b.column_names})


def _prepend(a: Any, b: Any) -> Any:
    """Array a's values then b's as one array; a's few values are looked up in b's dictionary (no whole-dictionary merge)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(b.type) or not len(a):
        return pa.concat_arrays([a, b]) if len(a) else b
    values = a.dictionary.take(a.indices)
    small = pc.unique(values)
    hit = pc.fill_null(pc.index_in(b.dictionary, value_set=small), -1).to_numpy()  # b's entries among a's few values
    where = np.full(len(small), -1, dtype=np.int64)
    found = np.flatnonzero(hit >= 0)
    where[hit[found]] = found
    new = np.flatnonzero(where < 0)
    where[new] = len(b.dictionary) + np.arange(len(new))
    dictionary = pa.concat_arrays([b.dictionary, small.take(pa.array(new))]) if len(new) else b.dictionary
    codes = where[pc.index_in(values, value_set=small).to_numpy()]
    indices = np.concatenate([codes.astype(np.int32), b.indices.to_numpy().astype(np.int32, copy=False)])
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), dictionary)


def _split(tbl: Any, mask: np.ndarray) -> tuple[Any, Any]:
    """The rows outside mask and those inside it; slices without copying when the mask is a run at the end."""
    import pyarrow as pa

    k = len(mask) - int(mask.sum())
    if not mask[:k].any():
        return tbl.slice(0, k), tbl.slice(k)
    return tbl.filter(pa.array(~mask)), tbl.filter(pa.array(mask))


def read_arrow(path: Path, rows: int, progress: Any, encounter_ids: bool) -> Iterator[Columns]:
    """Columns of whole persons, vectorised; a chunk's last person is carried into the next."""
    wanted = tuple(h for h in REQUIRED + OPTIONAL if encounter_ids or h != "encounter_id")
    carry, carry_lines, carry_id = None, np.zeros(0, dtype=np.int64), None
    done_max: str | None = None
    for tbl, line, frac in _arrow_tables(path, rows, wanted):
        if progress is not None:
            progress(frac)
        lines = np.arange(line, line + tbl.num_rows, dtype=np.int64)
        ids = tbl.column("person_id").chunk(0)
        if done_max is not None:
            low = extreme(ids, False)
            if low <= done_max:
                unsorted(path, int(lines[int(np.argmax(equal_rows(ids, low)))]), low, done_max)
        last = ids[len(ids) - 1].as_py()
        tail = equal_rows(ids, last)  # the last person's rows, with the carried ones if they are the same person's
        keep, rest = _split(tbl, tail)
        keep_lines, rest_lines = lines[~tail], lines[tail]
        highs = [extreme(keep.column("person_id").chunk(0), True)] if keep.num_rows else []
        if carry is not None and carry_id == last:
            rest, rest_lines = _concat(carry, rest), np.concatenate([carry_lines, rest_lines])
        elif carry is not None:  # the carried person is complete: it goes first
            keep = _concat(carry, keep) if keep.num_rows else carry
            keep_lines = np.concatenate([carry_lines, keep_lines])
            highs.append(carry_id)
        if keep.num_rows:
            yield arrow_columns(keep, keep_lines, str(path))
            done_max = max(highs) if done_max is None else max(done_max, *highs)
        carry, carry_lines, carry_id = rest, rest_lines, last
    if carry is not None and len(carry_lines):
        yield arrow_columns(carry, carry_lines, str(path))

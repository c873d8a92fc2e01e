"""The pure-Python claims reader (no pyarrow): CSV with the csv module, checked value by value, in chunks of whole persons."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator

from engine.batch.model import Columns
from engine.batch.check import OPTIONAL, REQUIRED, header_columns, to_columns, unsorted
from engine.core.messages import Text, os_reason
from engine.core.problems import InputError


def is_parquet(path: Path) -> bool:
    """True when the file name says Parquet (.parquet or .pq)."""
    return path.suffix.lower() in (".parquet", ".pq")


def empty_file(path: Path) -> InputError:
    """The error for a file without a header row."""
    return InputError(Text("batch.empty", path=path, required=", ".join(REQUIRED)))


def csv_header(fh: Any, path: Path) -> list[str]:
    """The checked header from the first line of an open CSV file."""
    header = next(csv.reader([fh.readline()]), None)
    if not header:
        raise empty_file(path)
    return header_columns(header, path)


def raw_chunks(path: Path, rows: int) -> Iterator[tuple[dict[str, list[str]], int, float]]:
    """Chunks of string columns with the file line (1-based) of each chunk's first row."""
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as e:
        raise InputError(Text("file.cannot_read_at", path=path, why=os_reason(e))) from None
    size = max(path.stat().st_size, 1)
    line = 1
    try:
        with fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise empty_file(path)
            header = header_columns(header, path)
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
                        raise InputError(Text("batch.field_count", path=path, line=line + j, n=len(row), m=len(header)))
                line += len(block)
                yield {h: [r[i] for r in block] for h, i in idx.items()}, line - len(block), fh.buffer.tell() / size
    except UnicodeDecodeError as e:
        raise InputError(Text("file.not_utf8_at", path=path, why=e.reason)) from None
    except csv.Error as e:
        raise InputError(Text("batch.not_csv", path=path, line=line, why=str(e))) from None


def read_python(path: Path, rows: int, progress: Any, encounter_ids: bool) -> Iterator[Columns]:
    """Columns of whole persons, row by row; a chunk's last person is carried into the next."""
    if is_parquet(path):
        raise InputError(Text("batch.needs_pyarrow", path=path))
    carry: dict[str, list[str]] | None = None
    carry_lines: list[int] = []
    done_max: str | None = None
    for cols, line, frac in raw_chunks(path, rows):
        if progress is not None:
            progress(frac)
        if not encounter_ids:
            cols.pop("encounter_id", None)
        lines = list(range(line, line + len(cols["person_id"])))
        if done_max is not None:
            low = min(cols["person_id"])
            if low <= done_max:
                unsorted(path, lines[cols["person_id"].index(low)], low, done_max)
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

"""Claims tables in and out: CSV or Parquet, read in chunks by person and checked; vectorised with pyarrow (extra `batch`),
row by row with the csv module without it (CSV only), with the same results either way.

The work is done in check (columns and checks), csvio (row-by-row reader), arrow and arrowcols (pyarrow reader) and
write (result writers); this module picks the reader and keeps the names other modules import from here."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from engine.batch.model import Columns
from engine.batch.arrow import arrow_available, arrow_for, read_arrow
from engine.batch.arrowcols import arrow_columns
from engine.batch.arrow import arrow_module as _arrow
from engine.batch.check import CHUNK_ROWS, DEFAULTS, MAX_PROBLEMS, OPTIONAL, REQUIRED, check_person_years, fen_str, to_columns
from engine.batch.csvio import read_python
from engine.batch.write import OUT_HEADER, RESULT, ResultWriter, fen_strings, result_rows, result_table

__all__ = ["CHUNK_ROWS", "DEFAULTS", "MAX_PROBLEMS", "OPTIONAL", "OUT_HEADER", "REQUIRED", "RESULT", "ResultWriter", "_arrow",
           "arrow_available", "arrow_columns", "check_person_years", "fen_str", "fen_strings", "read_columns", "result_rows",
           "result_table", "to_columns"]


def read_columns(path: str | Path, rows: int = CHUNK_ROWS, progress: Any = None, engine: str = "auto",
                 encounter_ids: bool = True) -> Iterator[Columns]:
    """Columns of whole persons: a chunk's last person is carried into the next; input spanning chunks must be sorted by person_id.

    engine: "arrow" (vectorised, pyarrow), "python" (row by row, CSV only) or "auto" (arrow when installed);
    both give the same columns and report the same bad rows. encounter_ids=False skips that column (reports need no ids)."""
    path = Path(path)
    if engine not in ("auto", "arrow", "python"):
        raise ValueError(f"engine {engine!r}")
    if arrow_for(path, engine, "input") is not None:
        yield from read_arrow(path, rows, progress, encounter_ids)
    else:
        yield from read_python(path, rows, progress, encounter_ids)

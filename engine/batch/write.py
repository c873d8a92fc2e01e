"""Settled claims out: one result row per encounter as CSV (csv module or vectorised) or Parquet, the same text either way."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from engine.batch.model import EPOCH, Columns
from engine.batch.arrow import arrow_for
from engine.batch.check import fen_str
from engine.batch.csvio import is_parquet
from engine.core.messages import Text
from engine.core.problems import InputError

RESULT = ("basic_insurance", "serious_illness", "medical_assistance", "out_of_pocket", "warning", "status", "undetermined")
OUT_HEADER = ("person_id", "encounter_id", "date", "region", "categories", "type", "hospital_level", "total_cost", "eligible_cost") + RESULT


WARNING = ("false", "true", "undetermined")  # the warning column: undetermined where no threshold is in force
# the undetermined column: what the row cannot state as a figure (its medical_assistance cell is then empty, not 0.00)
def undetermined_codes(st: Any) -> tuple[np.ndarray, list[str]]:
    """Per row a code, and the text of each code: the parts not computed ("medical_assistance.rate") and an undetermined
    warning ("monitoring.threshold"), joined by '|'; empty for rows that settled fully or did not settle."""
    n = len(st.error)
    unknown = getattr(st, "unknown", {}) or {}
    sids = [sid for sid, u in unknown.items() if u is not None and u.any()]
    codes = np.zeros(n, dtype=np.int64)
    for j, sid in enumerate(sids):
        codes |= unknown[sid].astype(np.int64) << j
    und = st.py_undetermined[st.py] if getattr(st, "py_undetermined", None) is not None and n else np.zeros(n, dtype=bool)
    codes |= (und & ~st.warn).astype(np.int64) << len(sids)
    names = [f"{sid}.rate" for sid in sids] + ["monitoring.threshold"]
    texts = ["|".join(name for j, name in enumerate(names) if code >> j & 1) for code in range(1 << len(names))]
    return np.where(st.error < 0, codes, 0), texts


def warning_codes(st: Any) -> np.ndarray:
    """Per row: 0 no warning, 1 warning, 2 undetermined (no warning and no threshold for the person-year)."""
    codes = st.warn.astype(np.int64)
    und = getattr(st, "py_undetermined", None)
    if und is not None and getattr(st, "py", None) is not None and len(codes):
        codes = np.where(~st.warn & und[st.py], 2, codes)
    return codes


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


def _known(text: Any, unknown: np.ndarray) -> Any:
    """Amounts as text, empty where not computed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.if_else(pa.array(unknown), "", text) if unknown.any() else text


def coded_strings(values: Sequence[str], codes: np.ndarray) -> Any:
    """values[codes] as a pyarrow string array."""
    import pyarrow as pa

    strings = getattr(values, "arrow", None)  # arrowcols.Strings: already a pyarrow array
    return (pa.array(values, pa.string()) if strings is None else strings.cast(pa.string())).take(pa.array(np.asarray(codes, dtype=np.int64)))


def date_strings(days: np.ndarray) -> Any:
    """Day numbers as a pyarrow array of ISO dates."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(pa.array(days.astype(np.int32), pa.date32()), pa.string())


def category_texts(c: Columns) -> list[str]:
    """Each category set of the chunk as sorted ids joined by '|'."""
    return ["|".join(sorted(s)) for s in c.cat_sets]


def _unknown(st: Any, sid: str, n: int) -> np.ndarray:
    """Rows whose `sid` payment was not computed for lack of a figure (written empty: not computed, never 0.00)."""
    u = getattr(st, "unknown", {}).get(sid)
    return u if u is not None else np.zeros(n, dtype=bool)


def further_funds(st: Any) -> tuple[str, ...]:
    """The ids of the payment steps after the three tiers that the settlement has, in paying order."""
    return tuple(k for k in getattr(st, "paid", {}) if k not in RESULT[:3])


def header(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The output columns: a further fund's payment comes after medical_assistance, under its step id."""
    return OUT_HEADER[:12] + extra + OUT_HEADER[12:]


def _parts(st: Any, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each payment column (three tiers, then the further funds) with the rows where it was not computed."""
    cols = [(st.basic, "basic_insurance"), (st.si, "serious_illness"), (st.ma, "medical_assistance")]
    cols += [(st.paid[k], k) for k in further_funds(st)]
    return [(v, _unknown(st, sid, n)) for v, sid in cols]


def result_rows(c: Columns, st: Any) -> Iterator[list[str]]:
    """Output rows: the input's identifying fields, each step's payment (empty if not computed), out-of-pocket, warning, status."""
    warn, (und, und_text) = warning_codes(st), undetermined_codes(st)
    parts = _parts(st, len(c))
    for i in range(len(c)):
        err = int(st.error[i])
        yield [c.person_ids[c.person[i]], c.encounter_ids[i] if c.encounter_ids else str(int(c.lines[i]) if c.lines is not None else i),
               str(EPOCH + dt.timedelta(days=int(c.day[i]))), c.regions[c.region[i]], "|".join(sorted(c.cat_sets[c.cats[i]])),
               c.etypes[c.etype[i]], str(int(c.level[i])), fen_str(c.total[i]), fen_str(c.eligible[i]),
               *("" if u[i] else fen_str(v[i]) for v, u in parts), fen_str(st.oop[i]),
               WARNING[warn[i]], "ok" if err < 0 else st.errors[err], und_text[und[i]]]


def result_table(c: Columns, st: Any) -> Any:
    """The output rows as a pyarrow table of strings, vectorised: the same text as result_rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(c)
    if c.encounter_ids:
        eid = pa.array(c.encounter_ids, pa.string())
    else:
        eid = pc.cast(pa.array(c.lines if c.lines is not None else np.arange(n, dtype=np.int64)), pa.string())
    cols = [coded_strings(c.person_ids, c.person), eid, date_strings(c.day),
            coded_strings(c.regions, c.region), coded_strings(category_texts(c), c.cats), coded_strings(c.etypes, c.etype),
            pc.cast(pa.array(c.level), pa.string()), fen_strings(c.total), fen_strings(c.eligible),
            *(_known(fen_strings(v), u) for v, u in _parts(st, n)),
            fen_strings(st.oop),
            coded_strings(list(WARNING), warning_codes(st)), coded_strings(["ok", *st.errors], st.error + 1),
            coded_strings(*reversed(undetermined_codes(st)))]
    return pa.table(dict(zip(header(further_funds(st)), cols)))


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
        self.parquet = is_parquet(self.path)
        self.pq = arrow_for(path, engine, "output")
        self.arrow = self.pq is not None
        self.writer = None
        if not self.parquet:
            try:
                self.fh = open(self.path, "w", newline="", encoding="utf-8")
            except OSError as e:
                raise InputError(Text("file.cannot_write", path=path, why=e.strerror)) from None
            self.csv = csv.writer(self.fh)
        self.headed = False

    def _head(self, extra: tuple[str, ...]) -> None:
        if not self.parquet and not self.headed:
            self.csv.writerow(header(extra))
            self.fh.flush()
        self.headed = True

    def write(self, c: Columns, st: Any) -> None:
        """Write one settled chunk (the header, with the set's further funds, before the first)."""
        self._head(further_funds(st))
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
        """Close the file (and the Parquet writer)."""
        self._head(())
        if self.parquet:
            if self.writer is not None:
                self.writer.close()
        else:
            self.fh.close()

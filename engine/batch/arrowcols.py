"""Claims columns from pyarrow arrays, vectorised: first-appearance codes, dates and money parsed in bulk, same values as to_columns."""
from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Iterator

import numpy as np

from engine.batch.check import DEFAULTS, Problems, checks, fen_of, finish, why_of
from engine.batch.model import Columns

MONEY = ("total_cost", "eligible_cost", "out_of_catalogue_cost")
_MONEY_RE2 = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"
_ISO_DAY = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"  # the shape both Python's and Arrow's ISO date parsers read alike
DATES = {"date": False, "coverage_start": True, "birth_date": True}  # column: empty allowed (NO_DAY, not given)
_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[list(b"0123456789.")] = True


class Strings(Sequence):
    """A pyarrow string array read as a list of str, each string made only when asked for (person ids: most never are)."""

    def __init__(self, arrow: Any) -> None:
        self.arrow = arrow

    def __len__(self) -> int:
        return len(self.arrow)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return self.arrow[i].to_pylist()
        return self.arrow[int(i)].as_py()

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrow.to_pylist())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, Strings)) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Strings({self.arrow.to_pylist()!r})"


def single(a: Any) -> Any:
    """A chunked array as a single Array (chunks of different dictionaries are unified)."""
    if not hasattr(a, "num_chunks"):
        return a
    return a.chunk(0) if a.num_chunks == 1 else a.combine_chunks()


def normal(a: Any, coded: bool) -> Any:
    """A column as one array of non-null strings; a coded column read as dictionary codes of strings stays so."""
    import pyarrow as pa
    import pyarrow.compute as pc

    a = single(a)
    if pa.types.is_dictionary(a.type):
        if coded and a.type.value_type == pa.string() and not a.null_count and not a.dictionary.null_count:
            return a
        a = a.cast(a.type.value_type).cast(pa.string())
    if a.type != pa.string():
        a = a.cast(pa.string())
    if a.null_count:
        a = pc.fill_null(a, "")
    return a


def coded(a: Any, rows: np.ndarray | None = None) -> tuple[np.ndarray, Any]:
    """Codes in order of first appearance (as check.Coder gives them) and the distinct strings in that order (rows: 0..n-1)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(a.type):
        idx = a.indices.to_numpy()
        n, size = len(idx), len(a.dictionary)
        if size == 1 and n:  # one value (region, scheme, type ... of a single-region file)
            return np.zeros(n, dtype=np.int64), a.dictionary
        first = np.full(size, n, dtype=np.int64)
        np.minimum.at(first, idx, np.arange(n, dtype=np.int64) if rows is None else rows)  # each code's first row
        used = np.flatnonzero(first < n)
        if len(used) > 1 and not (np.diff(first[used]) > 0).all():
            used = used[np.argsort(first[used])]
        values = a.dictionary.take(pa.array(used))
        if _distinct(values):
            rank = np.zeros(size, dtype=np.int64)
            rank[used] = np.arange(len(used), dtype=np.int64)
            return rank[idx], values
        a = a.cast(pa.string())  # a dictionary holding a string twice: code the strings themselves
    enc = a.dictionary_encode()
    return enc.indices.to_numpy().astype(np.int64), enc.dictionary


def _distinct(values: Any) -> bool:
    """True when no string occurs twice (at once when they rise, as the person ids of a sorted file do)."""
    import pyarrow.compute as pc

    m = len(values)
    if m < 2 or pc.all(pc.less(values.slice(0, m - 1), values.slice(1))).as_py():
        return True
    return pc.count_distinct(values).as_py() == m


def equal_rows(a: Any, value: str) -> np.ndarray:
    """The rows of a string or dictionary column equal to value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(a.type):
        return pc.equal(a.dictionary, value).to_numpy(zero_copy_only=False)[a.indices.to_numpy()]
    return pc.equal(a, value).to_numpy(zero_copy_only=False)


def extreme(a: Any, largest: bool) -> str:
    """The smallest (or largest) string of a string or dictionary column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(a.type):
        a = a.dictionary.take(pa.array(np.flatnonzero(np.bincount(a.indices.to_numpy(), minlength=len(a.dictionary)))))
    return (pc.max if largest else pc.min)(a).as_py()


def _checked(name: str, check: Any, values: Any) -> tuple[Any, dict[int, str]]:
    """Each distinct value checked once: the checked values (dates vectorised) and the reason of each bad one by its code."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if name in DATES:
        out = np.zeros(len(values), dtype=np.int64)
        iso = pc.match_substring_regex(values, _ISO_DAY).to_numpy(zero_copy_only=False)
        if iso.any():
            try:
                out[iso] = pc.cast(values.filter(pa.array(iso)), pa.date32()).cast(pa.int32()).to_numpy()
            except pa.ArrowInvalid:  # an impossible day (2021-02-30): every value goes through the check, which says why
                iso[:] = False
        rest = np.flatnonzero(~iso)
        raws = values.take(pa.array(rest)).to_pylist() if len(rest) else []
    else:
        out, rest, raws = [None] * len(values), range(len(values)), values.to_pylist()
    bad = {}
    for j, raw in zip(rest, raws):
        try:
            out[j] = check(raw)
        except ValueError as e:
            bad[int(j)] = why_of(e)
    return out, bad


def plain_money(a: Any) -> tuple[np.ndarray, np.ndarray]:
    """Integer fen of the strings that are plain amounts (1-13 digits, optional '.' and 1-2 digits), and the mask of the others."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(a)
    ok = None
    if n and sys.byteorder == "little":
        off = np.frombuffer(a.buffers()[1], dtype=np.int32, count=n + 1, offset=a.offset * 4)
        data = np.frombuffer(a.buffers()[2], dtype=np.uint8)[off[0]:off[-1]] if a.buffers()[2] is not None else np.zeros(0, np.uint8)
        if len(data) and _PLAIN[data].all():  # only digits and dots: the shape is read from lengths and the first dot
            size, dot = np.diff(off), pc.find_substring(a, ".").to_numpy()
            after = size - 1 - dot
            end = off[1:] - off[0]
            ok = np.where(dot < 0, (size >= 1) & (size <= 13), (dot >= 1) & (dot <= 13) & (after >= 1) & (after <= 2))
            ok &= data[np.clip(end - 1, 0, len(data) - 1)] != 46  # no second dot after the first
            ok &= (after != 2) | (data[np.clip(end - 2, 0, len(data) - 1)] != 46)
    if ok is None:
        ok = pc.match_substring_regex(a, _MONEY_RE2).to_numpy(zero_copy_only=False)
    every = bool(ok.all())
    good = a if every else a.filter(pa.array(ok))
    if not len(good):
        return np.zeros(n, dtype=np.int64), ~ok
    dec = pc.cast(good, pa.decimal128(15, 2))  # exact: at most 13 + 2 digits
    if sys.byteorder == "little":  # the low 64 bits of each 128-bit integer of fen (all below 10^15)
        got = np.frombuffer(dec.buffers()[1], dtype=np.int64)[2 * dec.offset:2 * (dec.offset + len(dec)):2]
    else:
        got = pc.cast(pc.multiply(dec, pa.scalar(100, pa.decimal128(3, 0))), pa.int64()).to_numpy()
    if every:
        return np.array(got, dtype=np.int64), np.zeros(n, dtype=bool)
    fen = np.zeros(n, dtype=np.int64)
    fen[ok] = got
    return fen, ~ok


def arrow_columns(tbl: Any, lines: np.ndarray, path: str = "<claims>") -> Columns:
    """Checked Columns of a table of text (or coded text) columns: each distinct value checked once as to_columns does."""
    n = tbl.num_rows
    problems = Problems(path)
    codes: dict[str, np.ndarray] = {}
    values: dict[str, Any] = {}
    rows = np.arange(n, dtype=np.int64)
    for name, check in checks().items():
        if name not in tbl.column_names:
            codes[name] = np.zeros(n, dtype=np.int64)
            values[name] = [check(DEFAULTS[name])]
            continue
        idx, distinct = coded(normal(tbl.column(name), True), rows)
        if check is str:  # person ids: any text
            codes[name], values[name] = idx, Strings(distinct)
            continue
        vals, bad = _checked(name, check, distinct)
        if bad:
            at = np.isin(idx, np.fromiter(bad, dtype=np.int64))
            for i in np.flatnonzero(at):
                problems.add(lines[i], name, bad[int(idx[i])])
        codes[name], values[name] = idx, vals
    money = {}
    unread = np.zeros(n, dtype=bool)
    for name in MONEY:
        if name not in tbl.column_names:
            continue
        a = normal(tbl.column(name), False)
        fen, other = plain_money(a)
        if name == "out_of_catalogue_cost":  # optional: empty = not given (-1)
            fen[other] = -1
            size = np.diff(np.frombuffer(a.buffers()[1], dtype=np.int32, count=n + 1, offset=a.offset * 4)) if n else np.zeros(0)
            other &= size > 0
        for i in np.flatnonzero(other):  # not plain digits: the row-by-row check decides (e.g. surrounding spaces) and says why
            v = a[int(i)].as_py()
            if name == "out_of_catalogue_cost" and not v.strip():
                continue
            try:
                fen[i] = fen_of(v)
            except ValueError as e:
                unread[i] = True
                problems.add(lines[i], name, why_of(e) if name != "out_of_catalogue_cost" else str(e))
        money[name] = fen
    money["unread"] = unread
    ids = normal(tbl.column("encounter_id"), False).to_pylist() if "encounter_id" in tbl.column_names else None
    return finish(codes, values, money, ids, np.asarray(lines, dtype=np.int64), "coverage_start" in tbl.column_names, problems)

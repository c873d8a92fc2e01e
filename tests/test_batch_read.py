"""The fast claims reading of `yibao report` (issue 14) gives exactly what the row-by-row reader gives (SYNTHETIC data)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from test_batch import _claims_csv, assert_same_columns
from engine.batch.ahead import ReadAhead
from engine.batch.claims import generate, write_csv
from engine.batch.io import arrow_available, read_columns, to_columns
from engine.batch.report import Indicators
from engine.batch.settle import Batch
from engine.core.problems import InputError
from engine.policy.policyset import load_policy_set

needs_arrow = pytest.mark.skipif(not arrow_available(), reason="pyarrow not installed")


def test_read_ahead_keeps_order_progress_and_raises_where_reading_stopped():
    seen: list[float] = []

    def make(note):
        for i in range(5):
            note(i / 10)
            yield i
        raise ValueError("row 6 is bad")

    got = []
    with pytest.raises(ValueError, match="row 6 is bad"):
        for x in ReadAhead(make, seen.append):
            got.append(x)
    assert got == [0, 1, 2, 3, 4] and seen == [0.0, 0.1, 0.2, 0.3, 0.4, 0.4]


def test_read_ahead_stops_its_thread_when_the_consumer_stops():
    made = []

    def make(note):
        for i in range(1000):
            made.append(i)
            yield i

    r = ReadAhead(make, None)
    for x in r:
        if x == 2:
            break
    r.close()
    assert not r._thread.is_alive() and len(made) < 10  # at most a few items ahead, then stopped


def _parquet(tmp_path: Path, group: int, **extra) -> tuple[Path, Path]:
    """The same SYNTHETIC claims as CSV and as Parquet in row groups of `group` rows (coded columns dictionary-encoded)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    f = _claims_csv(tmp_path / "c.csv", n=2000, seed=5)
    tbl = pcsv.read_csv(f, convert_options=pcsv.ConvertOptions(strings_can_be_null=False, column_types={"tier": "string"}))
    for name, arr in extra.items():
        tbl = tbl.set_column(tbl.column_names.index(name), name, arr(tbl))
    pq.write_table(tbl, tmp_path / "c.parquet", row_group_size=group)
    return f, tmp_path / "c.parquet"


@needs_arrow
@pytest.mark.parametrize("group,rows", [(300, 700), (700, 300), (1000, 1000), (64, 2000)])
def test_parquet_in_row_groups_reads_as_the_row_by_row_reader(tmp_path: Path, group, rows):
    # chunks that cut row groups (and persons) anywhere: the same chunks, codes, values and lines as the CSV read row by row
    f, pq_file = _parquet(tmp_path, group)
    py = list(read_columns(f, rows=rows, engine="python"))
    pa_ = list(read_columns(pq_file, rows=rows))
    assert [len(c) for c in py] == [len(c) for c in pa_] and sum(map(len, py)) == 2000
    for a, b in zip(py, pa_):
        assert_same_columns(a, b)


@needs_arrow
def test_parquet_with_nulls_and_numbers_in_coded_columns(tmp_path: Path):
    import pyarrow as pa

    # hospital_level stored as integers; categories with nulls (read as ''): the same as the CSV with '' there
    def level(t):
        return pa.array([int(x) for x in t.column("hospital_level").to_pylist()], pa.int64())

    def cats(t):
        return pa.array([None if x == "" else x for x in t.column("categories").to_pylist()], pa.string())

    f, pq_file = _parquet(tmp_path, 500, hospital_level=level, categories=cats)
    for a, b in zip(read_columns(f, rows=600, engine="python"), read_columns(pq_file, rows=600)):
        assert_same_columns(a, b)


@needs_arrow
@pytest.mark.parametrize("amount", ["1.", ".5", "1.234", "12345678901234", "1..2", "1.2.", "+1", "1e3", "", " 7.5 ", "0", "00.10",
                                    "1234567890123.45", "12.3"])
@pytest.mark.parametrize("day", ["2020-03-01", "2021-02-29", "0999-12-31", " 2020-03-01", "2020-3-1", "20200301"])
def test_amounts_and_dates_are_read_as_the_row_by_row_check_reads_them(amount, day):
    from test_batch import _table

    from engine.batch.arrowcols import arrow_columns

    cols = {"person_id": ["a", "a", "b"], "region": ["500000"] * 3, "date": ["2020-01-02", day, "2020-01-03"], "type": ["inpatient"] * 3,
            "hospital_level": ["1"] * 3, "total_cost": ["99999999999.00", "1234567890123.99", amount],
            "eligible_cost": ["1.00", amount, "0.00"], "out_of_catalogue_cost": ["", amount, " "], "birth_date": ["", day, "1990-01-01"]}
    lines = [2, 3, 4]
    try:
        c = to_columns(cols, lines, "<t>")
    except InputError as e:
        with pytest.raises(InputError) as ea:
            arrow_columns(_table(cols), np.array(lines), "<t>")
        assert (str(ea.value), ea.value.problems) == (str(e), e.problems)
        return
    assert_same_columns(c, arrow_columns(_table(cols), np.array(lines), "<t>"))


@needs_arrow
def test_unsorted_parquet_is_refused_at_the_line(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = {"person_id": ["b", "c", "a"], "region": ["500000"] * 3, "date": ["2020-01-01", "2020-01-01", "2020-01-02"],
            "type": ["inpatient"] * 3, "hospital_level": ["1"] * 3, "total_cost": ["10.00"] * 3, "eligible_cost": ["5.00"] * 3}
    pq.write_table(pa.table(rows), tmp_path / "c.parquet", row_group_size=2)
    with pytest.raises(InputError, match=r"c.parquet:4: person_id 'a'.*sorted by person_id"):
        list(read_columns(tmp_path / "c.parquet", rows=2))


def test_the_total_counts_distinct_persons_and_sums_the_groups():
    # the total of one Indicators equals what a second one grouped by nothing gave before (issue 14 keeps one)
    ps = load_policy_set(None)
    buf = io.StringIO()
    write_csv(generate(3000, seed=3), buf)
    c = to_columns({k: list(v) for k, v in _csv_columns(buf.getvalue()).items()}, list(range(2, 3002)))
    st = Batch(ps).settle(c)
    ind, alone = Indicators(), Indicators(())
    ind.add(c, st)
    alone.add(c, st)
    assert ind.total() == alone.groups[()]
    assert ind.total()["persons"] < sum(v["persons"] for v in ind.groups.values())  # a person in two years is one person


def _csv_columns(text: str) -> dict[str, list[str]]:
    import csv

    rows = list(csv.reader(io.StringIO(text)))
    return {h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}


@pytest.mark.parametrize("engine", ["python", pytest.param("arrow", marks=needs_arrow)])
def test_person_year_contradictions_are_named_at_their_lines_in_any_row_order(tmp_path: Path, engine):
    # a's rows come after b's and out of date order: in date order a's January row (line 4) has 110000, February's (line 3)
    # 500000, so line 3 differs; b has two rows on 1 March (lines 2 and 5) with different categories: line 5
    f = tmp_path / "c.csv"
    f.write_text("person_id,region,date,type,hospital_level,total_cost,eligible_cost,categories\n"
                 "b,500000,2020-03-01,inpatient,1,10.00,5.00,dibao\n"
                 "a,500000,2020-02-01,inpatient,1,10.00,5.00,\n"
                 "a,110000,2020-01-01,inpatient,1,10.00,5.00,\n"
                 "b,500000,2020-03-01,inpatient,1,10.00,5.00,tekun\n"
                 "c,500000,2020-01-01,inpatient,1,10.00,5.00,\n", encoding="utf-8")  # c, the last person, is carried
    with pytest.raises(InputError) as e:
        list(read_columns(f, rows=10, engine=engine))
    assert [(p.line, p.field) for p in e.value.problems] == [(3, "region"), (5, "categories")]
    assert "(person a)" in str(e.value.problems[0]) and "person b on the same day" in str(e.value.problems[1])

"""Batch settlement equals the single-case interpreter to the fen, encounter by encounter (SYNTHETIC data)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_synth import policies
from engine.batch.settle import Batch
from engine.batch.case import person_year_case
from engine.batch.io import ResultWriter, arrow_available, arrow_columns, read_columns, to_columns
from engine.batch.claims import generate
from engine.settle.evaluate import Evaluator
from engine.policy.policyset import load_policy_set
from engine.core.problems import InputError, MissingParameter

CATS = ("", "dibao", "tekun", "dibao_bianyuan", "dibao|tekun", "dibao_bianyuan|tekun")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return load_policy_set(policies(tmp_path_factory.mktemp("batch-policies")))


def compare(ps, c) -> int:
    """Settle with both paths; assert every figure is identical; return the number of encounters compared."""
    st_ = Batch(ps).settle(c)
    ev = Evaluator(ps)
    seen = 0
    for py in range(len(st_.py_first)):
        rows = np.flatnonzero(st_.py == py)
        case = person_year_case(c, rows)
        try:
            s = ev.settle(case)
        except (MissingParameter, InputError):
            assert st_.py_error[py] >= 0, f"batch settled person-year {py} that the interpreter cannot"
            assert (st_.error[rows] >= 0).all()
            continue
        assert st_.py_error[py] < 0, st_.errors[st_.py_error[py]]
        for e in s.encounters:
            i = int(e["id"][1:])
            assert Decimal(int(st_.oop[i])) / 100 == Decimal(e["out_of_pocket"]), (case, e["id"])
            for sid, v in e["paid"].items():  # every payment step, the further funds too; null = not computed in both
                assert bool(st_.unknown[sid][i]) == (v is None), (case, e["id"], sid)
                if v is not None:
                    assert Decimal(int(st_.paid[sid][i])) / 100 == Decimal(v), (case, e["id"], sid)
            seen += 1
        warning = s.monitoring.get("warning")
        assert bool(st_.py_warning[py]) == (warning is True)
        assert bool(st_.py_undetermined[py]) == (warning is None)
        sub = s.premium.get("subsidy")
        assert int(st_.py_subsidy[py]) == (-1 if sub is None else int(Decimal(sub) * 100))
    return seen


@st.composite
def claims(draw):
    """Person-years of 1-6 encounters: levels 1-3, costs up to 150,000 yuan, categories that may change mid-year, late enrolment."""
    rows = []
    for p in range(draw(st.integers(1, 6))):
        year = draw(st.sampled_from((2021, 2022, 2023)))
        days = sorted(draw(st.lists(st.integers(0, 364), min_size=1, max_size=6)))
        before, after = draw(st.sampled_from(CATS)), draw(st.sampled_from(CATS))
        split = draw(st.integers(0, 365))
        late = draw(st.booleans()) and draw(st.booleans())
        cov = dt.date(year, 1, 1) + dt.timedelta(days=draw(st.integers(0, 200)))
        lapsed, repaid = draw(st.integers(0, 3)), draw(st.integers(0, 2))
        for d in days:
            total = draw(st.one_of(st.integers(0, 15_000_000), st.integers(0, 500_000)))
            eligible = total * draw(st.integers(0, 100)) // 100
            rows.append({"person_id": f"p{p}", "region": "500000", "categories": before if d < split else after, "scheme": "resident",
                         "tier": "1", "date": (dt.date(year, 1, 1) + dt.timedelta(days=d)).isoformat(), "type": "inpatient",
                         "hospital_level": str(draw(st.integers(1, 3))), "total_cost": f"{total // 100}.{total % 100:02d}",
                         "eligible_cost": f"{eligible // 100}.{eligible % 100:02d}", "coverage_start": cov.isoformat(),
                         "late": "true" if late else "false", "lapsed_years": str(lapsed), "repaid_years": str(repaid)})
    return rows


def columns(rows):
    """Columns read row by row; when pyarrow is installed, the vectorised reader must give the same columns or problems."""
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    lines = list(range(2, len(rows) + 2))
    try:
        c = to_columns(cols, lines, "<test>")
    except InputError as e:
        if arrow_available():
            with pytest.raises(InputError) as ea:
                arrow_columns(_table(cols), np.array(lines), "<test>")
            assert (str(ea.value), ea.value.problems) == (str(e), e.problems)
        raise
    if arrow_available():
        assert_same_columns(c, arrow_columns(_table(cols), np.array(lines), "<test>"))
    return c


def _table(cols):
    import pyarrow as pa

    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})


def assert_same_columns(a, b) -> None:
    """Two Columns hold the same encounters with the same codes and values."""
    for name in ("person", "region", "cats", "scheme", "tier", "day", "etype", "level", "total", "eligible", "cov_start", "late",
                 "lapsed", "repaid", "lines", "ooc", "pool", "admin"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y), name
    for name in ("person_ids", "regions", "cat_sets", "schemes", "etypes", "encounter_ids"):
        assert getattr(a, name) == getattr(b, name), name


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(claims())
def test_property_batch_equals_single_case(synthetic, rows):
    assert compare(synthetic, columns(rows)) == len(rows)


def test_generated_claims_on_shipped_policies_match_single_case():
    # 3,000 SYNTHETIC encounters 2019-2024 on the shipped Chongqing policies: both paths agree on every encounter; those of
    # years or categories whose figures were not found (2019, 2021, assistance before 2022-10-28, ...) are refused by both
    ps = load_policy_set(None)
    assert 1000 <= compare(ps, generate(3000, seed=7)) < 3000


def test_hand_counted_caps_and_bands(synthetic):
    # dibao, 2021, level 3, eligible 30000 twice: rate 0.55+0.05=0.60, deductible 800:
    # 1st basic (30000-800)x0.60 = 17520.00; 2nd would be 17520.00 but the cap 30000 leaves 12480.00.
    # SI (threshold 8000x0.5 = 4000): owed 12480 -> 8480 above x0.60 = 5088.00; then owed 30000-12480 = 17520, year 30000:
    #   band 0.60 up to 20000 above threshold: (20000-8480)x0.60 = 6912.00, band 0.70 on 26000-20000 = 6000 -> 4200.00; SI 11112.00
    rows = [{"person_id": "a", "region": "500000", "categories": "dibao", "date": d, "type": "inpatient", "hospital_level": "3",
             "total_cost": "30000.00", "eligible_cost": "30000.00"} for d in ("2021-02-01", "2021-03-01")]
    st_ = Batch(synthetic).settle(columns(rows))
    assert list(st_.basic) == [1752000, 1248000]
    assert list(st_.si) == [508800, 1111200]
    # assistance 0.70 on what is left: (12480-5088)x0.70 = 5174.40; (30000-12480-11112)=6408 x0.70 = 4485.60
    assert list(st_.ma) == [517440, 448560]


def test_unsorted_across_chunks_is_an_error(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text("person_id,region,date,type,hospital_level,total_cost,eligible_cost\n"
                 "b,500000,2020-01-01,inpatient,1,10.00,5.00\nc,500000,2020-01-01,inpatient,1,10.00,5.00\n"
                 "a,500000,2020-01-02,inpatient,1,10.00,5.00\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"c.csv:4: person_id 'a'.*sorted by person_id"):
        list(read_columns(f, rows=2))


def test_chunks_keep_a_person_whole(tmp_path: Path):
    f = tmp_path / "c.csv"
    f.write_text("person_id,region,date,type,hospital_level,total_cost,eligible_cost\n"
                 + "".join(f"a,500000,2020-0{m}-01,inpatient,1,10.00,5.00\n" for m in range(1, 6))
                 + "b,500000,2020-01-01,inpatient,1,10.00,5.00\n", encoding="utf-8")
    chunks = list(read_columns(f, rows=2))
    assert [sorted(set(c.person_ids[i] for i in c.person)) for c in chunks] == [["a"], ["b"]]
    assert [len(c) for c in chunks] == [5, 1]


@pytest.mark.parametrize("field,value,why", [
    ("total_cost", "12.345", "at most two decimals"), ("eligible_cost", "99.00", "above total_cost"),
    ("region", "999999", "unknown region"), ("categories", "rich", "unknown category"), ("date", "2020-13-01", "eligible_cost|date"),
    ("hospital_level", "4", "not in 1..3"), ("type", "dental", "not one of"),
])
def test_bad_rows_name_line_field_and_why(field, value, why):
    row = {"person_id": "a", "region": "500000", "categories": "", "date": "2020-01-01", "type": "inpatient", "hospital_level": "1",
           "total_cost": "50.00", "eligible_cost": "10.00"}
    row[field] = value
    with pytest.raises(InputError) as e:
        columns([row])
    text = " ".join(str(p) for p in e.value.problems)
    assert "<test>:2:" in text and field in text
    assert any(w in text for w in why.split("|")) or field == "date"


def test_cli_batch_writes_one_row_per_encounter(tmp_path: Path, capsys):
    from engine.cli.main import main

    f = tmp_path / "c.csv"
    f.write_text("person_id,region,categories,tier,date,type,hospital_level,total_cost,eligible_cost,birth_date\n"
                 "a,500000,dibao,1,2023-06-10,inpatient,2,55000.00,50000.00,1980-01-01\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["batch", str(f), "-o", str(out), "--quiet"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    # examples/cq-2023-dibao.yaml by hand: basic (50000 - 300) x 0.70 = 34790.00; serious illness (15210 - 8450.50) x 0.65
    # = 4393.68; assistance (50000 - 34790 - 4393.68) x 0.75 = 8112.24; out of pocket 7704.08
    row = dict(zip(lines[0].split(","), lines[1].split(",")))  # by name: further funds of the set add columns
    assert [row[k] for k in ("basic_insurance", "serious_illness", "medical_assistance", "out_of_pocket")] == ["34790.00", "4393.68", "8112.24", "7704.08"]
    assert [row[k] for k in ("jiankang_fupin_fund", "fupin_jikun_fund", "jingzhun_tuopin_bao")] == ["0.00", "0.00", "0.00"]  # ended 2021
    assert main(["batch", str(tmp_path / "missing.csv"), "-o", str(out)]) == 2


def test_parquet_in_and_out_match_csv(tmp_path: Path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from engine.cli.main import main

    rows = {"person_id": ["a", "a"], "region": ["500000", "500000"], "categories": ["dibao", "dibao"], "tier": ["1", "1"],
            "date": ["2023-06-10", "2023-07-01"], "type": ["inpatient"] * 2, "hospital_level": [2, 1],
            "total_cost": ["55000.00", "1000.00"], "eligible_cost": ["50000.00", "900.00"], "birth_date": ["1980-01-01"] * 2}
    pq.write_table(pa.table(rows), tmp_path / "c.parquet")
    assert main(["batch", str(tmp_path / "c.parquet"), "-o", str(tmp_path / "out.parquet"), "--quiet"]) == 0
    out = pq.read_table(tmp_path / "out.parquet").to_pydict()
    # 1st as examples/cq-2023-dibao.yaml: 34790.00; 2nd level 1, tier 1 (2023): (900 - 100) x 0.80 = 640.00
    assert out["basic_insurance"] == ["34790.00", "640.00"] and out["status"] == ["ok", "ok"]


def _claims_csv(path: Path, n: int = 3000, seed: int = 11) -> Path:
    """Generated SYNTHETIC claims as CSV, with spaces around some amounts and a person id that needs quoting."""
    import io

    from engine.batch.claims import write_csv

    buf = io.StringIO()
    write_csv(generate(n, seed=seed), buf)
    lines = buf.getvalue().splitlines()
    for k in range(5, len(lines), 97):  # ' 123.40 ' is accepted by both readers (the row-by-row check strips it)
        f = lines[k].split(",")
        f[9] = f" {f[9]} "
        lines[k] = ",".join(f)
    lines[1] = '"P,""0"""' + lines[1][lines[1].index(","):]  # person id  P,"0"  (sorts before P00000000)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(not arrow_available(), reason="pyarrow not installed")
def test_arrow_and_python_readers_settle_identically(tmp_path: Path):
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    f = _claims_csv(tmp_path / "c.csv")
    ps = load_policy_set(None)
    py = list(read_columns(f, rows=700, engine="python"))
    ar = list(read_columns(f, rows=700, engine="arrow"))
    pq.write_table(pcsv.read_csv(f, convert_options=pcsv.ConvertOptions(strings_can_be_null=False, column_types={"tier": "string"})),
                   tmp_path / "c.parquet")
    pa_ = list(read_columns(tmp_path / "c.parquet", rows=700))
    assert [len(c) for c in py] == [len(c) for c in ar] == [len(c) for c in pa_] and sum(len(c) for c in py) == 3000
    assert len(py) > 3  # persons carried across several chunks
    assert py[0].person_ids[0] == 'P,"0"' and py[0].total[4] == ar[0].total[4]
    for a, b, q in zip(py, ar, pa_):
        assert_same_columns(a, b)
        assert_same_columns(a, q)
        sa, sb = Batch(ps).settle(a), Batch(ps).settle(b)
        for name in ("basic", "si", "ma", "oop", "warn", "error", "py_warning", "py_subsidy"):
            assert np.array_equal(getattr(sa, name), getattr(sb, name)), name
    # the results written both ways are byte for byte the same (quoting of P,"0" included)
    for engine in ("python", "arrow"):
        w = ResultWriter(tmp_path / f"out-{engine}.csv", engine)
        for c in ar:
            w.write(c, Batch(ps).settle(c))
        w.close()
    out = (tmp_path / "out-arrow.csv").read_bytes()
    assert out == (tmp_path / "out-python.csv").read_bytes() and out.count(b"\r\n") == 3001
    assert b'\r\n"P,""0""",E000000000,' in out


@pytest.mark.parametrize("engine", ["python", pytest.param("arrow", marks=pytest.mark.skipif(not arrow_available(), reason="no pyarrow"))])
def test_bad_rows_in_a_file_are_reported_at_their_lines(tmp_path: Path, engine):
    f = tmp_path / "c.csv"
    row = "{p},500000,2020-0{m}-01,inpatient,1,{t},{e}\n"
    f.write_text("person_id,region,date,type,hospital_level,total_cost,eligible_cost\n"
                 + row.format(p="a", m=1, t="10.00", e="5.00") + row.format(p="a", m=2, t="10.00", e="5.00")
                 + row.format(p="b", m=1, t="10.00", e="5.00") + row.format(p="c", m=1, t="12.345", e="5.00")
                 + row.format(p="c", m=2, t="1e3", e="5.00") + row.format(p="c", m=3, t="10.00", e="10.01"), encoding="utf-8")
    # rows=2: lines 2-3 (a) and 4 (b) settle in the first chunks; c's rows are lines 5, 6 and 7
    with pytest.raises(InputError) as e:
        list(read_columns(f, rows=2, engine=engine))
    assert [str(p) for p in e.value.problems] == [
        f"{f}:5:1: total_cost: '12.345' is not an amount of yuan with at most two decimals (and not negative) [total_cost]",
        f"{f}:6:1: total_cost: '1e3' is not an amount of yuan with at most two decimals (and not negative) [total_cost]",
        f"{f}:7:1: eligible_cost 10.01 is above total_cost 10.00 [eligible_cost]"]
    ragged = tmp_path / "r.csv"
    ragged.write_text(f.read_text(encoding="utf-8").replace("b,500000,2020-01-01,", "b,500000,2020-01-01,x,"), encoding="utf-8")
    with pytest.raises(InputError, match=r"r.csv:4: 8 fields, the header has 7"):
        list(read_columns(ragged, rows=2, engine=engine))


@pytest.mark.skipif(not arrow_available(), reason="pyarrow not installed")
def test_bad_row_in_parquet_is_reported_at_its_row_line(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 5
    rows = {"person_id": [f"p{i}" for i in range(n)], "region": ["500000"] * n, "date": ["2020-03-01"] * n, "type": ["inpatient"] * n,
            "hospital_level": [1, 2, 3, 4, 1], "total_cost": ["1.00"] * n, "eligible_cost": ["1.00", "1.00", None, "1.00", "1.00"]}
    pq.write_table(pa.table(rows), tmp_path / "c.parquet")
    # row 4 (line 5) has level 4; the null eligible cost of row 3 (line 4) reads as '' (not an amount)
    with pytest.raises(InputError) as e:
        list(read_columns(tmp_path / "c.parquet", rows=10))
    assert [(p.line, p.field) for p in e.value.problems] == [(4, "eligible_cost"), (5, "hospital_level")]
    assert "c.parquet:5:1: hospital_level: 4 is not in 1..3" in str(e.value.problems[1])
    # in chunks of 2 rows, the chunk holding line 4 (p1 carried, p2) stops the run before line 5 is read
    with pytest.raises(InputError) as e:
        list(read_columns(tmp_path / "c.parquet", rows=2))
    assert [(p.line, p.field) for p in e.value.problems] == [(4, "eligible_cost")]


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_a_header_naming_a_column_twice_is_refused_by_both_readers(tmp_path, capsys, engine):
    pytest.importorskip("numpy")
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    from engine.cli.main import main

    f = tmp_path / "claims.csv"
    f.write_text("person_id,region,date,type,hospital_level,total_cost,eligible_cost,region\n"
                 "p1,500000,2020-06-10,inpatient,2,100.00,100.00,500000\n", encoding="utf-8")
    assert main(["report", str(f), "--engine", engine, "--lang", "en"]) == 2
    assert "claims.csv:1: header names a column twice: region" in capsys.readouterr().err


def test_a_person_born_before_1970_is_settled_not_refused():
    # regression: day numbers count from 1970-01-01 and "not given" was -1, so a birth date before 1970 read as missing
    # and the batch refused every Chongqing encounter from 2022 (the minors' +5 points rule asks the age) of anyone over 52
    rows = [{"person_id": pid, "region": "500000", "categories": "dibao", "scheme": "resident", "tier": "1", "date": "2023-06-10",
             "type": "inpatient", "hospital_level": "2", "total_cost": "20000.00", "eligible_cost": "18000.00",
             "in_pooling_area": "true", "hospital_admin_level": "county", "birth_date": born}
            for pid, born in (("old", "1931-12-31"), ("eve", "1969-12-31"), ("new", "1970-01-01"), ("none", ""))]
    c = columns(rows)
    st_ = Batch(load_policy_set(None)).settle(c)
    assert [st_.errors[e] if e >= 0 else "ok" for e in st_.error[:3]] == ["ok"] * 3
    assert "birth_date" in st_.errors[st_.error[3]]  # not given: the rule that asks the age needs it, as in the single case
    assert compare(load_policy_set(None), c) == 3


def test_a_step_for_minors_is_settled_by_age_in_the_batch_as_in_the_single_case(tmp_path):
    # review of 0.3.0: the batch keyed rows by age only where a rule tests it, and refused every row of a set whose only
    # age test is a step's `who: age_below` ("birth_date is needed" even with a birth date given)
    from test_single_case_paths import steps_copy

    ps = load_policy_set(steps_copy(tmp_path, who="who: {categories: [jiandang_pinkun]}=>who: {categories: [jiandang_pinkun], age_below: 18}"))
    assert not ps.problems and not ps.resolver.ages
    rows = [{"person_id": pid, "region": "110000", "categories": "jiandang_pinkun", "scheme": "resident", "tier": "", "date": day,
             "type": "inpatient", "hospital_level": "2", "total_cost": "50000.00", "eligible_cost": "40000.00",
             "out_of_catalogue_cost": "5000.00", "birth_date": born}
            for pid, born in (("minor", "2006-06-01"), ("adult", "1960-01-01")) for day in ("2024-03-01", "2024-09-01")]
    c = columns(rows)
    st_ = Batch(ps).settle(c)
    assert (st_.error < 0).all(), [st_.errors[e] for e in st_.error if e >= 0][:1]
    assert int(st_.paid["band_fund"][0]) > 0 and int(st_.paid["band_fund"][1]) == 0  # 17, then 18 on 2024-09-01
    assert compare(ps, c) == 4


def test_an_error_names_the_failing_rows_own_day():
    # review of 0.4.0 (old: 0.3.0 did the same): rows of one key on different days were all told the day of the key's
    # first row; the interpreter names the failing encounter's own date, and so does the batch now
    def row(person, day, region="500000"):
        return dict(person_id=person, region=region, categories="dibao", scheme="resident", date=day, type="outpatient_special",
                    hospital_level="2", total_cost="100.00", eligible_cost="100.00", out_of_catalogue_cost="0.00")

    unknowns = load_policy_set(Path(__file__).parent / "fixtures" / "unknowns" / "policies")
    for ps, days in ((unknowns, ("2024-03-01", "2024-05-01")), (load_policy_set(Path(__file__).resolve().parents[1] / "policies"), ("1990-03-01", "1990-05-01"))):
        c = columns([row("a", days[0]), row("b", days[1])])
        st = Batch(ps).settle(c)
        for i, day in enumerate(days):
            text = st.errors[st.error[i]]
            assert f"on {day}" in text and f"on {days[1 - i]}" not in text, text
    # the single case says the same day for the missing figure
    c = columns([row("a", "2024-03-01"), row("b", "2024-05-01")])
    with pytest.raises(MissingParameter) as e:
        Evaluator(unknowns, "en").settle(person_year_case(c, np.array([0])))
    assert "2024-03-01" in str(e.value)

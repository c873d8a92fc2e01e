"""Participation against the 99% floor (seed 003) and duplicate enrolments, on small hand-made rosters."""
from __future__ import annotations

import json
from pathlib import Path

from engine.cli.main import main

ROSTER = """person_id,id_hash,region,scheme,categories,enrolled_from,enrolled_until
p1,h1,500000,resident,dibao,2022-01-01,
p2,h2,500000,resident,dibao,2022-01-01,2023-01-01
p3,h3,500000,resident,tuopin,,
p4,h4,110000,resident,tekun,2021-01-01,
p4b,h4,500000,employee,tekun,2022-06-01,
p5,h5,110000,resident,,2020-01-01,2022-03-01
p5b,h5,500000,resident,,2022-03-01,
"""


def test_rates_floor_and_duplicates(tmp_path: Path, capsys):
    f = tmp_path / "roster.csv"
    f.write_text(ROSTER, encoding="utf-8")
    assert main(["participation", str(f), "--date", "2023-06-01", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rate = {(r["region"], r["category"]): r for r in out["participation"]}
    # Chongqing dibao: p1 enrolled, p2 ended 2023-01-01 -> 1 of 2 = 0.5000, below 0.99
    assert (rate[("500000", "dibao")]["enrolled"], rate[("500000", "dibao")]["population"], rate[("500000", "dibao")]["rate"]) == (1, 2, "0.5000")
    # Chongqing all: h1, h4 (employee), h5 enrolled of h1 h2 h3 h4 h5 -> 3/5 = 0.6000
    assert rate[("500000", "all")]["rate"] == "0.6000" and rate[("500000", "all")]["below_floor"]
    assert rate[("110000", "tekun")]["rate"] == "1.0000" and not rate[("110000", "tekun")]["below_floor"]
    # h4 is enrolled in Beijing from 2021 and in Chongqing (employee) from 2022-06-01: overlap; the earliest started is kept.
    # h5 moved on 2022-03-01 (until is exclusive): no overlap.
    assert [d["id_hash"] for d in out["duplicates"]] == ["h4"]
    d = out["duplicates"][0]
    assert d["keep"]["line"] == 5 and [o["line"] for o in d["drop"]] == [6] and d["kinds"] == ["region"]
    assert out["floor"] == "0.99"


def test_population_file_is_the_denominator(tmp_path: Path, capsys):
    f = tmp_path / "roster.csv"
    f.write_text(ROSTER, encoding="utf-8")
    pop = tmp_path / "pop.csv"
    pop.write_text("region,category,population\n500000,dibao,1\n500000,all,3\n", encoding="utf-8")
    assert main(["participation", str(f), "--date", "2023-06-01", "--population", str(pop), "--format", "json"]) == 0
    rate = {(r["region"], r["category"]): r for r in json.loads(capsys.readouterr().out)["participation"]}
    assert rate[("500000", "dibao")]["rate"] == "1.0000" and not rate[("500000", "dibao")]["below_floor"]  # 1 of 1
    assert rate[("500000", "all")]["rate"] == "1.0000"  # 3 enrolled of 3


def test_bad_roster_exits_2(tmp_path: Path, capsys):
    f = tmp_path / "roster.csv"
    f.write_text(ROSTER.replace("p3,h3,500000", "p3,h3,999999"), encoding="utf-8")
    assert main(["participation", str(f), "--date", "2023-06-01", "--lang", "en"]) == 2
    assert "roster.csv:4:1: region: unknown region '999999'" in capsys.readouterr().err
    assert main(["participation", str(f), "--date", "June"]) == 2

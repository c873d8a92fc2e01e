"""Chinese first: every command in Chinese by default and English with --lang en, on the shipped policies and on bad input.

A Chinese output fails if it holds an English word outside ids (snake_case, dotted parameter names, document and rule
ids, file paths) and a short allow-list. Every command is checked, the
settlement with its whole trace included.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
UNK = Path(__file__).parent / "fixtures" / "unknowns"
INVALID = Path(__file__).parent / "invalid"

# words a Chinese reader meets in ids, units and tool names
ALLOW = {"yibao", "yaml", "json", "csv", "utf", "v", "sha", "l", "e", "git", "help", "pip", "install", "numpy", "pyarrow",
         "batch", "yyyy", "mm", "dd", "null", "true", "false", "set", "add", "scale", "remove_cap", "guardrail", "implements",
         "stacks_with", "supersedes", "inpatient", "outpatient_special", "resident", "employee", "synthetic", "unverified",
         "text", "markdown", "evaluate", "validate", "params", "test", "diff", "bundle", "docs", "report", "participation",
         "release", "check", "generate", "claims", "region", "date", "category", "tier", "scheme", "format", "lang", "strict",
         "policies", "ref", "by", "case", "categories",
         "parquet", "arrow", "auto", "python", "zh", "en", "mkdocs", "build", "serve", "base", "head", "roster", "paths",
         "dir", "changelog", "tests", "scenarios", "gb", "person", "encounters", "id", "type", "cost", "value", "total_cost", "eligible_cost",
         "primary", "secondary", "low", "inferred", "seed", "gaps", "year", "code", "host", "port", "workers",
         "critical", "info", "debug", "grade"}  # option values and names


def english_words(text: str) -> list[str]:
    """English words in `text` outside ids, paths, quoted values and the allow-list."""
    text = re.sub(r"\S*[/\\]\S*", " ", text)                       # file paths
    text = re.sub(r"sha256:[0-9a-f]+", " ", text)                    # fingerprints
    text = re.sub(r"`[^`]*`", " ", text)                              # code spans: ids, versions, fingerprints
    text = re.sub(r"(?:[a-z_]+(?:, |、))+[a-z_]+", " ", text)           # lists of keys or ids (column names)
    text = re.sub(r"'[^']*'|\"[^\"]*\"|「[^」]*」", " ", text)          # quoted values and clause names
    text = re.sub(r"[A-Za-z0-9_]+(?:[.#-][A-Za-z0-9_]+)+", " ", text)  # dotted names, rule and document ids, dates
    text = re.sub(r"\b[a-z0-9]+_[a-z0-9_]+\b", " ", text)            # snake_case ids
    text = re.sub(r"--[a-z-]+", " ", text)                           # options
    text = re.sub(r"\[[^\]]*\]", " ", text)                          # [field] after a problem
    words = re.findall(r"[A-Za-z]{2,}", text)
    return [w for w in words if w.lower() not in ALLOW and not re.fullmatch(r"[A-Z0-9]+", w)]


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


CASE = [str(EX / "cq-2023-dibao.yaml"), "--no-trace"]
COMMANDS = {
    "validate": ["validate"],
    "validate bad": ["validate", str(INVALID / "three-problems")],
    "validate conflict": ["validate", str(INVALID / "same-layer-conflict")],
    "evaluate with trace": ["evaluate", str(EX / "cq-2023-dibao.yaml")],
    "evaluate waiting period": ["evaluate", str(EX / "cq-2025-waiting-period.yaml")],
    "evaluate bands": ["evaluate", str(EX / "cq-2020-ordinary-resident.yaml")],
    "evaluate unknowns": ["evaluate", str(UNK / "case.yaml"), "--policies", str(UNK / "policies"), "--no-trace"],
    "evaluate bad case": ["evaluate", str(INVALID / "three-problems" / "bad.yaml")],
    "usage no command": [],
    "usage missing arg": ["evaluate"],
    "usage bad choice": ["evaluate", "x.yaml", "--format", "xml"],
    "usage bad int": ["params", "--region", "500000", "--date", "2020-01-01", "--tier", "x"],
    "params": ["params", "--region", "500000", "--date", "2024-06-10", "--category", "tekun"],
    "params missing figure": ["params", "--region", "500000", "--date", "2018-01-01", "--category", "dibao"],
    "params bad date": ["params", "--region", "500000", "--date", "2020-13-01"],
    "params bad region": ["params", "--region", "999999", "--date", "2020-01-01"],
    "report bad by": ["report", "c.csv", "--by", "hospital"],
    "participation bad date": ["participation", "r.csv", "--date", "x"],
    "test missing": ["test", "no-such-scenarios"],
    "evaluate missing file": ["evaluate", "nope.yaml"],
    "report": ["report", str(UNK / "claims.csv"), "--quiet"],
    "report markdown": ["report", str(UNK / "claims.csv"), "--quiet", "--format", "markdown"],
    "batch bad claims": ["batch", str(UNK / "bad-claims.csv"), "-o", "{tmp}/out.csv", "--quiet"],
    "batch": ["batch", str(UNK / "claims.csv"), "-o", "{tmp}/out.csv", "--quiet"],
    "participation": ["participation", str(UNK / "roster.csv"), "--date", "2021-06-01"],
    "participation bad roster": ["participation", str(UNK / "bad-roster.csv"), "--date", "2021-06-01"],
    "bundle": ["bundle", "-o", "{tmp}/b.json"],
    "bundle bad": ["evaluate", CASE[0], "--bundle", str(UNK / "claims.csv")],
    "diff": ["diff", str(EX / "synthetic-policies"), str(UNK / "policies")],
    "diff bad ref": ["diff", "no-such-ref", str(UNK / "policies")],
    "release-check": ["release-check", str(EX / "synthetic-policies"), str(UNK / "policies")],
    "test": ["test", str(ROOT / "tests" / "scenarios" / "CN")],
    "test failing": ["test", str(UNK / "scenarios" / "failing.yaml")],
    "test bad file": ["test", str(INVALID / "three-problems" / "bad.yaml")],
}
HELP = {f"help {c}": [c, "--help"] for c in ("validate", "evaluate", "params", "bundle", "diff", "release-check", "test", "report",
                                               "batch", "generate-claims", "participation", "docs")}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_chinese_by_default_english_on_request(capsys, tmp_path, name):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in COMMANDS[name]]
    code, out, err = _run(capsys, argv)
    assert "Traceback" not in out + err
    assert out + err, name
    leaks = english_words(out + err)
    assert not leaks, (name, leaks, out + err)
    code_en, out_en, err_en = _run(capsys, [*argv, "--lang", "en"] if argv else ["--lang", "en"])
    assert code_en == code and "Traceback" not in out_en + err_en
    assert re.search(r"[A-Za-z]{3,}", out_en + err_en)
    assert not re.search(r"[\u4e00-\u9fff]", err_en), (name, err_en)   # errors in English (Chinese only inside data)


@pytest.mark.parametrize("name", sorted(HELP))
def test_help_in_chinese_by_default(capsys, name):
    with pytest.raises(SystemExit) as done:
        main(HELP[name])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith("用法：")
    assert not english_words(out), (name, english_words(out), out)
    with pytest.raises(SystemExit):
        main([*HELP[name], "--lang", "en"])
    assert capsys.readouterr().out.startswith("usage: ")


def test_errors_under_format_json_are_json_with_code_and_location(capsys):
    code, out, err = _run(capsys, ["evaluate", str(INVALID / "three-problems" / "bad.yaml"), "--format", "json"])
    assert code == 2 and out == ""
    e = json.loads(err)["error"]
    assert e["code"] == "case.bad" and e["message"] == "案例有误"
    assert {"code", "message", "file", "line", "column", "field"} <= set(e["problems"][0])
    code, out, err = _run(capsys, ["params", "--region", "500000", "--format", "json", "--lang", "en"])
    e = json.loads(err)["error"]
    assert code == 2 and e["code"] == "usage.required" and "--date" in e["message"] and "yibao: yibao" not in err


def test_usage_error_names_the_program_once(capsys):
    _, _, err = _run(capsys, ["evaluate"])
    assert err.count("yibao") == 2 and "yibao: yibao" not in err   # "yibao: …（参见 'yibao evaluate --help'）"

"""Trust for downstream systems (#10): hostile input is exit 2 naming file, field and value; outputs are never lost;
bundles are strict; validate reports everything; the release record works without tags."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import ROOT
from engine.cli.main import main
from engine.core.limits import MAX_DEPTH, number_problem, strict_json, JSONLimit
from engine.core.output import atomic_output
from engine.core.problems import InputError
from engine.policy.policyset import PolicySet, canonical_decimal, load_policy_set

EXAMPLE = (ROOT / "examples" / "cq-2023-dibao.yaml").read_text(encoding="utf-8")


def cli(args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """Run one command in-process, messages in English (these tests read them): exit code, stdout, stderr."""
    rc = main(args if "--lang" in args else [*args, "--lang", "en"])
    out, err = capsys.readouterr()
    return rc, out, err


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and "Error:" not in err.split("yibao:", 1)[0]


# -- hostile cases: exit 2, the field and the value named ----------------------------------------------------------------
CASES = {
    # name: (text replacing the example's cost line, field expected in the message, value expected)
    "cost-1e26": ('total_cost: 1e26', "encounters/0/total_cost", "1e26"),
    "cost-1e9999": ('total_cost: 1e9999', "encounters/0/total_cost", "1e9999"),
    "cost-quoted-27-digits": ('total_cost: "1000000000000000000000000000"', "encounters/0/total_cost", "1000000000000000000000000000"),
    "cost-5000-digits": ("total_cost: " + "7" * 5000, "encounters/0/total_cost", "77777777777777777777"),
    "cost-fine": ("total_cost: 1.000000000000000000000001", "encounters/0/total_cost", "1.000000000000000000000001"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_numbers_in_a_case_are_exit_2_naming_field_and_value(name, tmp_path, capsys):
    line, field, value = CASES[name]
    f = tmp_path / f"{name}.yaml"
    text = re.sub(r'total_cost: "[0-9.]+"', lambda m: line, EXAMPLE, count=1)
    assert text != EXAMPLE
    f.write_text(text, encoding="utf-8")
    rc, _, err = cli(["evaluate", str(f)], capsys)
    assert rc == 2 and f"[{field}]" in err and value in err and str(f) in err, err
    no_traceback(err)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 30_000])
@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_yaml_is_refused_before_the_composer(depth, style, tmp_path, capsys):
    # 30,000 deep in 60 KB crashed libyaml's composer (segmentation fault); 500 deep was a RecursionError
    f = tmp_path / "deep.yaml"
    if style == "flow":
        f.write_text("a: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    else:
        f.write_text("a:\n" + "- " * depth + "x\n", encoding="utf-8")  # a sequence in a sequence in ..., 2 bytes a level
    rc, _, err = cli(["evaluate", str(f)], capsys)
    assert rc == 2 and f"{f}:" in err and f"{MAX_DEPTH}" in err, err
    no_traceback(err)


def test_a_deep_yaml_file_in_a_subprocess_does_not_crash(tmp_path):
    f = tmp_path / "deep.yaml"
    f.write_text("a: " + "[" * 30_000 + "]" * 30_000, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "engine.cli.main", "validate", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and "deep.yaml:1:" in r.stdout and "Traceback" not in r.stderr, (r.returncode, r.stderr[-500:])


def test_a_folder_given_as_a_case_is_exit_2(tmp_path, capsys):
    rc, _, err = cli(["evaluate", str(tmp_path), "--lang", "zh"], capsys)
    assert rc == 2 and str(tmp_path) in err and "不是普通文件" in err
    no_traceback(err)


def test_lapsed_years_of_8000_is_out_of_range(tmp_path, capsys):
    f = tmp_path / "c.yaml"
    text = (ROOT / "examples" / "cq-2025-waiting-period.yaml").read_text(encoding="utf-8").replace("lapsed_years: 2", "lapsed_years: 8000")
    f.write_text(text, encoding="utf-8")
    rc, _, err = cli(["evaluate", str(f)], capsys)
    assert rc == 2 and "8000" in err and "[person/enrolment/lapsed_years]" in err
    no_traceback(err)


def _policies_with(tmp_path: Path, old: str, new: str, name: str = "500000/2017-resident-inpatient-benefits.yaml") -> Path:
    import shutil

    dest = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", dest)
    f = dest / name
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dest


def test_a_deductible_of_1e9999_does_not_pass_validation(tmp_path, capsys):
    text = (ROOT / "policies" / "500000" / "2017-resident-inpatient-benefits.yaml").read_text(encoding="utf-8")
    assert "set: {\"1\": 100" in text or "set: {'1': 100" in text or "deductible" in text
    pol = tmp_path / "policies"
    pol.mkdir()
    (pol / "x.yaml").write_text(text.replace("inpatient.deductible\n    set:", "inpatient.deductible\n    set: 1e9999\n    x:", 1), encoding="utf-8")
    rc, out, err = cli(["validate", str(pol)], capsys)
    assert rc == 1 and "1e9999" in out and "x.yaml:" in out, out
    rc, _, err = cli(["evaluate", str(ROOT / "examples" / "cq-2023-dibao.yaml"), "--policies", str(pol)], capsys)
    assert rc == 2 and "1e9999" in err
    no_traceback(err)


def test_number_limits() -> None:
    assert number_problem(Decimal("999999999999999.99")) is None and number_problem("0.70") is None and number_problem(10**14) is None
    assert number_problem(10**15)[0] == "error.number_too_large"
    assert number_problem(10**5000)[0] == "error.number_too_long"
    assert number_problem(Decimal("NaN"))[0] == "error.number_too_large"
    assert number_problem("1" * 41)[0] == "error.number_too_long"
    assert number_problem("0." + "0" * 20 + "1")[0] == "error.number_too_fine"
    assert number_problem("p-001") is None and number_problem(True) is None


# -- bundles ------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle_data(tmp_path_factory) -> dict:
    f = tmp_path_factory.mktemp("bundle") / "b.json"
    assert main(["bundle", "-o", str(f)]) == 0
    return json.loads(f.read_text(encoding="utf-8"))


def _mutations(d: dict) -> dict[str, tuple[str, str]]:
    """name -> (bundle text, what the message must name)."""
    text = json.dumps(d, ensure_ascii=False)
    first_rate = '"0.7"'
    assert first_rate in text
    deep = '{"format": "yibao-rules-bundle/1", "documents": ' + "[" * 5000 + "]" * 5000 + "}"
    return {
        "version edited": (json.dumps({**d, "version": "9.9.9"}), "fingerprint"),
        "duplicate id": (json.dumps({**d, "documents": d["documents"] + d["documents"][:1]}), d["documents"][0]["id"]),
        "documents not a list": (json.dumps({**d, "documents": {"a": 1}}), "documents"),
        "documents empty": (json.dumps({**d, "documents": []}), "documents"),
        "a document not an object": (json.dumps({**d, "documents": [1, *d["documents"]]}), "documents/0"),
        "a float": (text.replace(first_rate, "0.7", 1), "0.7"),
        "NaN": (text.replace(first_rate, "NaN", 1), "NaN"),
        "Infinity": (text.replace(first_rate, "-Infinity", 1), "Infinity"),
        "5000-digit integer": (text.replace(first_rate, "9" * 5000, 1), "5000"),
        "31-digit decimal string": (text.replace(first_rate, '"0.7000000000000000000000000000001"', 1), "0.7000000000000000000000000000001"),
        "deep nesting": (deep, f"{MAX_DEPTH}"),
        "duplicate key": ('{"version": "0", ' + text[1:], "version"),
        "top level a list": ("[1, 2]", "yibao-rules-bundle/2"),
        "unknown key": (json.dumps({**d, "extra": 1}), "extra"),
        "fingerprint a number": (json.dumps({**d, "fingerprint": 1}), "fingerprint"),
        "not JSON": ('{"format": "yibao-rules-bundle/1",', "JSON"),
        "not UTF-8": ("\udcff", "bundle"),
    }


def test_every_malformed_bundle_is_exit_2_with_a_message(bundle_data, tmp_path, capsys):
    for name, (text, named) in _mutations(bundle_data).items():
        f = tmp_path / "bad.json"
        f.write_bytes(text.encode("utf-8", "surrogateescape"))
        rc, out, err = cli(["evaluate", str(ROOT / "examples" / "cq-2023-dibao.yaml"), "--bundle", str(f), "--lang", "en"], capsys)
        assert rc == 2 and not out, name
        assert str(f) in err and named in err, (name, err[:400])
        no_traceback(err)


def test_a_folder_as_a_bundle_is_exit_2(tmp_path, capsys):
    rc, _, err = cli(["evaluate", str(ROOT / "examples" / "cq-2023-dibao.yaml"), "--bundle", str(tmp_path)], capsys)
    assert rc == 2 and str(tmp_path) in err
    no_traceback(err)


def test_fingerprint_covers_the_version_and_exact_numbers() -> None:
    docs = {"d": type("D", (), {"raw": {"id": "d", "x": Decimal("123456789012345.12345678901234567891")}})()}
    other = {"d": type("D", (), {"raw": {"id": "d", "x": Decimal("123456789012345.12345678901234567892")}})()}
    a, b = PolicySet("m", docs, {}, "1.0.0"), PolicySet("m", other, {}, "1.0.0")
    assert a.fingerprint != b.fingerprint  # differ only in the 35th significant digit (past Decimal's 28)
    assert a.fingerprint != PolicySet("m", docs, {}, "1.0.1").fingerprint  # the version is covered
    assert a.documents_fingerprint == PolicySet("m", docs, {}, "1.0.1").documents_fingerprint
    assert canonical_decimal(Decimal("0.70")) == "0.7" and canonical_decimal(Decimal("300.00")) == 300
    assert canonical_decimal(Decimal("-0.00")) == 0 and canonical_decimal(Decimal("1E+3")) == 1000
    assert canonical_decimal(Decimal("123456789012345.12345678901234567891")) == "123456789012345.12345678901234567891"


def test_strict_json() -> None:
    assert strict_json('{"a": [1, "0.5"]}') == {"a": [1, "0.5"]}
    for bad in ('{"a": 0.5}', '{"a": NaN}', '{"a": 1, "a": 2}', "[" * 60 + "]" * 60, "1" * 50):
        with pytest.raises(JSONLimit):
            strict_json(bad)


def test_bundle_settles_byte_identically_from_any_folder(tmp_path, capsys):
    f = tmp_path / "b.json"
    assert main(["bundle", "-o", str(f)]) == 0
    runs = [subprocess.run([sys.executable, "-m", "engine.cli.main", "evaluate", "examples/cq-2023-dibao.yaml", "--bundle", str(f),
                            "--format", "json"], capture_output=True, cwd=cwd, check=True).stdout for cwd in (tmp_path, ROOT)]
    assert runs[0] == runs[1] and json.loads(runs[0])["policy_set"]["version"] == json.loads(f.read_text())["version"]


# -- outputs ------------------------------------------------------------------------------------------------------------
CLAIMS_HEAD = "person_id,region,date,type,hospital_level,total_cost,eligible_cost\n"


def _claims(tmp_path: Path, bad_last: bool = False) -> Path:
    rows = "".join(f"p{i:04d},500000,2020-03-0{1 + i % 9},inpatient,2,1000.00,800.00\n" for i in range(3000))
    if bad_last:
        rows += "p9999,500000,2020-03-01,inpatient,2,12.345,5.00\n"
    f = tmp_path / "claims.csv"
    f.write_text(CLAIMS_HEAD + rows, encoding="utf-8")
    return f


def _siblings(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_a_failed_batch_leaves_the_old_output_byte_for_byte(suffix, engine, tmp_path, capsys):
    pytest.importorskip("numpy")
    if suffix == ".parquet" or engine == "arrow":
        pytest.importorskip("pyarrow")
    claims = _claims(tmp_path, bad_last=True)
    out = tmp_path / f"settled{suffix}"
    out.write_bytes(b"the old results\n")
    before = _siblings(tmp_path)
    rc, _, err = cli(["batch", str(claims), "-o", str(out), "--chunk-rows", "1000", "--quiet", "--engine", engine], capsys)
    assert rc == 2 and "12.345" in err and "total_cost" in err, err
    assert out.read_bytes() == b"the old results\n" and _siblings(tmp_path) == before  # no partial or temporary file
    no_traceback(err)


def test_batch_output_equal_to_the_input_is_refused_before_anything_is_opened(tmp_path, capsys):
    pytest.importorskip("numpy")
    claims = _claims(tmp_path)
    data = claims.read_bytes()
    for same in (str(claims), str(tmp_path / "." / "claims.csv")):
        rc, _, err = cli(["batch", str(claims), "-o", same, "--quiet"], capsys)
        assert rc == 2 and "claims.csv" in err and claims.read_bytes() == data
        no_traceback(err)
    link = tmp_path / "link.csv"
    link.symlink_to(claims)
    rc, _, err = cli(["batch", str(link), "-o", str(claims), "--quiet"], capsys)
    assert rc == 2 and claims.read_bytes() == data


def test_an_empty_input_reports_and_keeps_the_old_file(tmp_path, capsys):
    pytest.importorskip("numpy")
    claims = tmp_path / "claims.csv"
    claims.write_text(CLAIMS_HEAD, encoding="utf-8")
    out = tmp_path / "settled.csv"
    out.write_text("old\n", encoding="utf-8")
    rc, _, err = cli(["batch", str(claims), "-o", str(out), "--quiet", "--lang", "en"], capsys)
    assert rc == 2 and "no encounters" in err and "left as it was" in err and out.read_text(encoding="utf-8") == "old\n"


def test_a_successful_batch_replaces_the_old_file(tmp_path, capsys):
    pytest.importorskip("numpy")
    claims = _claims(tmp_path)
    out = tmp_path / "settled.csv"
    out.write_text("old\n", encoding="utf-8")
    rc, _, err = cli(["batch", str(claims), "-o", str(out), "--quiet"], capsys)
    assert rc == 0, err
    assert out.read_text(encoding="utf-8").count("\n") == 3001 and _siblings(tmp_path) == {"claims.csv", "settled.csv"}
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file's mode, not the temporary file's 0600


@pytest.mark.parametrize("command", [["bundle"], ["generate-claims", "-n", "5"], ["batch", "CLAIMS", "--quiet"]])
def test_output_into_a_missing_folder_is_exit_2(command, tmp_path, capsys):
    if command[0] != "bundle":
        pytest.importorskip("numpy")
    args = [str(_claims(tmp_path)) if a == "CLAIMS" else a for a in command]
    target = tmp_path / "no-such-folder" / "out.csv"
    rc, _, err = cli(args + ["-o", str(target)], capsys)
    assert rc == 2 and "no-such-folder" in err and not target.parent.exists()
    no_traceback(err)


def test_bundle_output_equal_to_its_bundle_input_is_refused(tmp_path, capsys):
    f = tmp_path / "b.json"
    assert main(["bundle", "-o", str(f)]) == 0
    data = f.read_bytes()
    rc, _, err = cli(["bundle", "--bundle", str(f), "-o", str(f)], capsys)
    assert rc == 2 and f.read_bytes() == data


def test_atomic_output_removes_its_temporary_file_on_failure(tmp_path):
    out = tmp_path / "x.txt"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_output(out) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("boom")
    assert out.read_text(encoding="utf-8") == "old" and _siblings(tmp_path) == {"x.txt"}
    with pytest.raises(InputError):
        with atomic_output(tmp_path, []):
            pass


# -- validate reports everything -----------------------------------------------------------------------------------------
def test_a_dangling_implements_does_not_hide_guardrail_violations(tmp_path, capsys):
    # Chongqing's serious-illness bands (50% then 60%) implement the national floor of 60%; pointing the implements at a
    # rule that does not exist must report both the dangling reference and the 50% band below the floor.
    pol = _policies_with(tmp_path, "implements: [cn-serious-illness-insurance-standards#rate-floor-60pct]", "implements: [cn-nope#missing]",
                         "500000/2016-serious-illness-insurance-rate-adjustment.yaml")
    rc, out, _ = cli(["validate", str(pol)], capsys)
    assert rc == 1 and "implements 'cn-nope#missing' names no rule" in out
    assert "below the floor 0.60" in out, out


def test_an_empty_policy_folder_is_an_error(tmp_path, capsys):
    rc, out, _ = cli(["validate", str(tmp_path)], capsys)
    assert rc == 1 and ".yaml" in out and "INVALID" in out


def test_a_broken_symlink_is_an_error(tmp_path, capsys):
    pol = _policies_with(tmp_path, "id:", "id:")
    (pol / "CN" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    rc, out, _ = cli(["validate", str(pol)], capsys)
    assert rc == 1 and "gone.yaml:1:1:" in out and "nowhere.yaml" in out and "1 problem(s)" in out, out


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_an_error(tmp_path, capsys):
    pol = _policies_with(tmp_path, "id:", "id:")
    f = next((pol / "CN").glob("*.yaml"))
    f.chmod(0)
    rc, out, _ = cli(["validate", str(pol)], capsys)
    assert rc == 1 and f.name in out


# -- the package: version, data, release record ------------------------------------------------------------------------
def test_version_names_package_policy_set_and_fingerprint(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    out = capsys.readouterr().out
    ps = load_policy_set(None)
    assert e.value.code == 0 and ps.version in out and ps.fingerprint in out and out.startswith("yibao-rules ")


def test_release_record_maps_released_versions_to_commits() -> None:
    from engine.review.release import last_release, read_releases, release_commit

    rel = read_releases(ROOT)
    assert ("0.1.0", "18f7aac253317c7819b66213bfb5b83c9a8cd5a5") in rel
    assert release_commit(ROOT, "0.1.0") == release_commit(ROOT, "v0.1.0") == "18f7aac253317c7819b66213bfb5b83c9a8cd5a5"
    assert last_release(ROOT) == max((v for v, _ in rel), key=lambda v: tuple(map(int, v.split(".")[:3])))


def test_release_check_and_ref_work_on_a_clone_without_tags(tmp_path, capsys, monkeypatch):
    import importlib.util

    import engine.policy.policyset

    spec = importlib.util.spec_from_file_location("synthetic_policy", ROOT / "tests" / "fixtures" / "synthetic_policy.py")
    syn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(syn)
    repo = syn.build_repo(tmp_path / "repo")
    (repo["root"] / "releases.txt").write_text(f"# SYNTHETIC\n1.0.0 {repo['v1']}\n1.1.0 {repo['v2']}\n", encoding="utf-8")
    syn.commit(repo["root"], "record releases")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-tags", str(repo["root"]), str(clone)], check=True)
    assert not subprocess.run(["git", "-C", str(clone), "tag"], capture_output=True, text=True).stdout
    rc, out, err = cli(["release-check", "--repo", str(clone)], capsys)
    assert rc == 0 and "release check 1.1.0 →" in out, out + err
    monkeypatch.setattr(engine.policy.policyset, "REPO_ROOT", clone)
    case = tmp_path / "case.yaml"
    # dibao 2024, level 2, 10,300 in scope: (10300 - 300) x 0.70 = 7000.00 under 1.0.0 (x 0.80 = 8000.00 under 1.1.0)
    case.write_text('person: {id: A, region: "500000", scheme: resident, categories: [dibao]}\nencounters:\n'
                    '  - {id: e-1, date: 2024-03-01, type: inpatient, hospital_level: 2, total_cost: "10300.00", eligible_cost: "10300.00"}\n',
                    encoding="utf-8")
    for ref, paid in (("1.0.0", "7000.00"), ("v1.1.0", "8000.00")):
        rc, out, err = cli(["evaluate", str(case), "--ref", ref, "--format", "json"], capsys)
        assert rc == 0, err
        assert json.loads(out)["totals"]["paid"]["basic_insurance"] == paid
    rc, _, err = cli(["evaluate", str(case), "--ref", "7.7.7"], capsys)
    assert rc == 2 and "7.7.7" in err


def test_a_malformed_release_record_is_exit_2(tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    (tmp_path / "releases.txt").write_text("0.1.0\n", encoding="utf-8")
    rc, _, err = cli(["release-check", "--repo", str(tmp_path)], capsys)
    assert rc == 2 and "releases.txt:1:" in err


def test_release_check_outside_a_checkout_is_exit_2(tmp_path, capsys):
    rc, _, err = cli(["release-check", "--repo", str(tmp_path)], capsys)
    assert rc == 2 and "git" in err


def test_a_bundle_of_0_1_0_still_loads_and_its_documents_are_still_checked(bundle_data, tmp_path, capsys):
    from engine.policy.bundle import load_bundle

    old = {**bundle_data, "format": "yibao-rules-bundle/1"}
    ps = load_bundle(_write(tmp_path / "new.json", bundle_data))
    old["fingerprint"] = ps.documents_fingerprint  # what 0.1.0 wrote: sha256 of the documents alone
    assert load_bundle(_write(tmp_path / "old.json", old)).fingerprint == ps.fingerprint
    old["documents"] = [{**old["documents"][0], "title": {"zh": "改", "en": "edited"}}] + old["documents"][1:]
    rc, _, err = cli(["evaluate", str(ROOT / "examples" / "cq-2023-dibao.yaml"), "--bundle", str(_write(tmp_path / "e.json", old)),
                      "--lang", "zh"], capsys)
    assert rc == 2 and "指纹不符" in err


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_atomic_folder_replaces_a_built_site_only_on_success(tmp_path):
    from engine.core.output import atomic_folder

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_folder(site) as tmp:
            (tmp / "index.html").write_text("half", encoding="utf-8")
            raise RuntimeError("mkdocs failed")
    assert (site / "index.html").read_text(encoding="utf-8") == "old" and _siblings(tmp_path) == {"site"}
    with atomic_folder(site) as tmp:
        (tmp / "index.html").write_text("new", encoding="utf-8")
    assert (site / "index.html").read_text(encoding="utf-8") == "new" and _siblings(tmp_path) == {"site"}


def test_docs_output_onto_a_source_folder_is_refused(capsys):
    for target in (ROOT / "policies", ROOT / "docs", ROOT):
        rc, _, err = cli(["docs", "-o", str(target)], capsys)
        assert rc == 2 and str(ROOT) in err and (ROOT / "policies").is_dir(), err


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_hostile_numbers_in_a_claims_table_are_named_and_shortened(engine, tmp_path, capsys):
    pytest.importorskip("numpy")
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    f = tmp_path / "claims.csv"
    f.write_text(CLAIMS_HEAD.strip() + ",lapsed_years\n" + f"a,500000,2020-03-01,inpatient,2,{'9' * 5000},5.00,{'9' * 5000}\n", encoding="utf-8")
    rc, _, err = cli(["batch", str(f), "-o", str(tmp_path / "out.csv"), "--quiet", "--engine", engine], capsys)
    assert rc == 2 and "[total_cost]" in err and "[lapsed_years]" in err and len(err) < 1000, err
    assert not (tmp_path / "out.csv").exists()
    no_traceback(err)

"""`yibao serve` on a free loopback port: every endpoint, pinned versions, byte-identical answers, each bad request."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

if not os.environ.get("CI"):  # CI installs the serve extra: there a missing package must fail, not skip
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    pytest.importorskip("httpx")
import httpx  # noqa: E402
from serve_support import CHANGED_DOC, CHANGED_RULE, ThreadServer, case_json, free_port, write_bundles  # noqa: E402
from engine.policy.policyset import fingerprint_of  # noqa: E402
from engine.core.limits import MAX_DEPTH, number_problem  # noqa: E402
from engine.core.messages import msg, tr  # noqa: E402

from engine.cli.main import main  # noqa: E402
from engine.core.problems import InputError  # noqa: E402
from engine.policy.load import MAX_BYTES  # noqa: E402
from engine.settle.case import parse_case  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OLD_VERSION, NEW_VERSION = "0.1.0", "9.0.0-test"


@pytest.fixture(scope="module")
def bundles(shipped, tmp_path_factory):
    return write_bundles(shipped, tmp_path_factory.mktemp("bundles"))


@pytest.fixture(scope="module")
def service(bundles):
    """`yibao serve --bundle old --bundle new` as its own process, the way downstream systems run it."""
    port = free_port()
    old, new = bundles
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli.main", "serve", "--bundle", str(old), "--bundle", str(new),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/v1/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "service did not start"
        time.sleep(0.1)
    with httpx.Client(base_url=base, timeout=30) as client:
        yield client
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err, err


def settle(client, body, path="/v1/settle", **kw):
    return client.post(path, content=body if isinstance(body, bytes) else body.encode(), headers={"content-type": "application/json", **kw.pop("headers", {})}, **kw)


# -- what is served --------------------------------------------------------------
def test_health_and_versions_name_both_sets_newest_first(service, bundles):
    fps = [json.loads(b.read_text())["fingerprint"] for b in bundles]
    h = service.get("/v1/health").json()
    assert h["status"] == "ok" and h["versions"] == [NEW_VERSION, OLD_VERSION]
    assert h["default"] == {"version": NEW_VERSION, "fingerprint": fps[1]}
    vs = service.get("/v1/versions").json()["versions"]
    assert [(v["version"], v["fingerprint"], v["default"]) for v in vs] == [(NEW_VERSION, fps[1], True), (OLD_VERSION, fps[0], False)]
    assert [v["source"] for v in vs] == ["bundle:new.json", "bundle:old.json"]  # no server path
    one = service.get(f"/v1/versions/{OLD_VERSION}")
    assert one.json()["fingerprint"] == fps[0] and one.headers["Yibao-Policy-Fingerprint"] == fps[0]


def test_root_points_to_the_api_and_its_docs(service):
    for path in ("/", "/v1"):
        assert service.get(path).json() == {"service": "yibao-rules", "api": "/v1", "docs": "/v1/docs", "openapi": "/v1/openapi.json"}


def test_pinned_old_version_and_newest_answer_differently(service, bundles):
    # examples/cq-2023-dibao.yaml, level 3: basic = (50000 - 800) x 0.50 = 24600.00 under the shipped set;
    # the new set's level-3 rate is 0.55: (50000 - 800) x 0.55 = 27060.00.
    old_fp, new_fp = (json.loads(b.read_text())["fingerprint"] for b in bundles)
    newest = settle(service, case_json())
    by_path = settle(service, case_json(), f"/v1/versions/{OLD_VERSION}/settle")
    by_header = settle(service, case_json(), headers={"Yibao-Policy-Version": OLD_VERSION})
    by_fp = settle(service, case_json(), f"/v1/versions/{old_fp}/settle")
    assert newest.status_code == by_path.status_code == by_header.status_code == by_fp.status_code == 200
    assert newest.json()["encounters"][0]["paid"]["basic_insurance"] == "27060.00"
    assert by_path.json()["encounters"][0]["paid"]["basic_insurance"] == "24600.00"
    assert newest.json()["policy_set"] == {"version": NEW_VERSION, "fingerprint": new_fp}
    assert by_path.json()["policy_set"] == {"version": OLD_VERSION, "fingerprint": old_fp}
    assert (newest.headers["Yibao-Policy-Version"], by_path.headers["Yibao-Policy-Version"]) == (NEW_VERSION, OLD_VERSION)
    assert by_path.headers["Yibao-Policy-Fingerprint"] == old_fp
    assert by_path.content == by_header.content == by_fp.content  # one pinned set, however it is named


def test_same_request_same_bytes(service):
    bodies = {settle(service, case_json(), f"/v1/versions/{OLD_VERSION}/settle").content for _ in range(5)}
    assert len(bodies) == 1
    params = {service.get("/v1/params", params={"region": "500000", "date": "2023-06-10", "category": "dibao"}).content for _ in range(3)}
    assert len(params) == 1


def test_settle_result_is_the_clis(service, bundles, tmp_path, capsys):
    f = tmp_path / "case.json"
    f.write_text(case_json(), encoding="utf-8")
    assert main(["evaluate", str(f), "--format", "json", "--bundle", str(bundles[0])]) == 0
    cli = json.loads(capsys.readouterr().out)
    served = settle(service, case_json(), f"/v1/versions/{OLD_VERSION}/settle").json()
    cli["policy_set"]["version"] = OLD_VERSION  # a bundle loaded by the CLI carries the same version
    assert served == cli


def test_params_are_the_clis(service, bundles, capsys):
    assert main(["params", "--region", "500000", "--date", "2020-06-10", "--category", "dibao", "--format", "json",
                 "--bundle", str(bundles[0])]) == 0
    cli = json.loads(capsys.readouterr().out)
    r = service.get(f"/v1/versions/{OLD_VERSION}/params", params={"region": "500000", "date": "2020-06-10", "category": "dibao"})
    assert r.status_code == 200 and r.json() == cli


def test_documents_and_one_document_with_its_rules(service, shipped):
    r = service.get("/v1/documents", headers={"Yibao-Policy-Version": OLD_VERSION})
    docs = r.json()["documents"]
    assert [d["id"] for d in docs] == sorted(shipped.documents)
    assert all(d["rules"] == len(shipped.documents[d["id"]].rules) for d in docs)
    one = service.get(f"/v1/versions/9.0.0-test/documents/{CHANGED_DOC}").json()
    rule = next(x for x in one["document"]["rules"] if x["id"] == CHANGED_RULE)
    assert rule["set"]["3"] == "0.55" and one["policy_set"]["version"] == NEW_VERSION
    missing = service.get("/v1/documents/no-such-doc")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_document"


def _cli_gaps(capsys, bundle, *args):
    """`yibao gaps --format json --bundle BUNDLE ARGS` as data."""
    capsys.readouterr()
    rc = main(["gaps", "--format", "json", "--bundle", str(bundle), *args])
    return rc, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("query", [{}, {"region": "500000", "from": "2023", "to": "2023"}, {"region": "500000", "to": "2019"}])
def test_gaps_is_the_commands_json_in_the_chosen_version(service, bundles, capsys, query):
    args = [x for k, v in query.items() for x in (f"--{k}", v)]
    for version, bundle in zip((OLD_VERSION, NEW_VERSION), bundles):
        r = service.get(f"/v1/versions/{version}/gaps", params=query)
        assert r.status_code == 200, r.text[:300]
        rc, want = _cli_gaps(capsys, bundle, *args)
        assert r.json() == want and rc == 1  # the shipped set has gaps (e.g. caps no rule gives): exit 1, still 200
        assert r.json()["policy_set"]["version"] == version == r.headers["Yibao-Policy-Version"]
    assert service.get("/v1/gaps", params=query).json()["policy_set"]["version"] == NEW_VERSION  # default: the newest


@pytest.mark.parametrize("query, field", [({"region": "nowhere"}, "region"), ({"from": "20x3"}, "from"), ({"to": "２０２３"}, "to"),
                                          ({"from": "2026", "to": "2017"}, "from"), ({"from": "1900"}, "from"), ({"to": "2101"}, "to")])
def test_gaps_query_refused_as_the_command_refuses_it(service, bundles, capsys, query, field):
    r = service.get("/v1/gaps", params={**query, "lang": "en"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_query" and r.json()["error"]["field"] == field, r.text
    assert r.json()["error"]["message"].startswith("bad query parameter: ")
    assert service.get("/v1/gaps", params=query).json()["error"]["message"].startswith("查询参数有误：")  # Chinese first
    if query.get(field, "").isascii() and query.get(field, "x").isdigit() or field == "region":  # the command reads it too
        capsys.readouterr()
        assert main(["gaps", "--bundle", str(bundles[1]), "--lang", "en", *[x for k, v in query.items() for x in (f"--{k}", v)]]) == 2
        assert r.json()["error"]["message"].removeprefix("bad query parameter: ") in capsys.readouterr().err


def test_gaps_of_an_unknown_version_is_404(service):
    assert service.get("/v1/versions/0.0.0/gaps").status_code == 404


def test_openapi_is_built_from_the_contract_schemas(service):
    spec = service.get("/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    case_schema = json.loads((ROOT / "schema" / "case.schema.json").read_text(encoding="utf-8"))
    result_schema = json.loads((ROOT / "schema" / "result.schema.json").read_text(encoding="utf-8"))
    for s in (case_schema, result_schema):
        s.pop("$schema"), s.pop("$id")
    assert spec["components"]["schemas"]["Case"] == case_schema
    assert spec["components"]["schemas"]["Result"] == result_schema
    assert {"/v1/settle", "/v1/versions/{version}/settle", "/v1/params", "/v1/documents", "/v1/documents/{doc_id}",
            "/v1/gaps", "/v1/versions", "/v1/health"} <= set(spec["paths"])
    from openapi_spec_validator import validate

    validate(spec)
    page = service.get("/v1/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert NEW_VERSION in page.text and "/v1/versions/{version}/settle" in page.text and "<script" not in page.text


def test_result_validates_against_the_result_schema(service):
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "schema" / "result.schema.json").read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(settle(service, case_json()).json()))
    assert not errors, errors[0].message


# -- bad requests ------------------------------------------------------------------
BAD = {  # label: (body, field named)
    "impossible date": (case_json(date="2023-02-30"), "encounters/0/date"),
    "unknown region": (case_json(region="999999"), "person/region"),
    "wrong type": (case_json().replace('"hospital_level": 3', '"hospital_level": "3"'), "encounters/0/hospital_level"),
    "eligible above total": (case_json().replace('"50000.00"', '"70000.00"'), "encounters/0/eligible_cost"),
    "duplicate key": (case_json().replace('"scheme": "resident"', '"scheme": "resident", "scheme": "employee"'), "person/scheme"),
    "escaped text, unknown key": (case_json().replace('"scheme": "resident"', '"sch\\u0065me": "resident", "colour": "blue"'), "person"),
}


@pytest.mark.parametrize("label", sorted(BAD))
def test_a_case_the_cli_refuses_is_400_with_the_clis_problems(service, label):
    body, field = BAD[label]
    with pytest.raises(InputError) as cli:
        parse_case(body, "request")  # what `yibao evaluate` reads a file with
    r = settle(service, body)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "bad_case"
    want = [{"path": "request", "line": p.line, "col": p.col, "field": p.field, "message": tr(p.message, "zh"), "code": p.code}
            for p in cli.value.problems]
    assert err["problems"] == want
    assert any(p["field"].startswith(field) for p in err["problems"]), err
    assert want[0]["message"] in err["message"] and err["message"].startswith("病例有误")


def test_a_date_no_policy_covers_is_400(service):
    r = settle(service, case_json(date="2001-06-10"), params={"lang": "en"})
    assert r.status_code == 400 and "no policy in the set covers region 500000 on 2001-06-10" in r.json()["error"]["message"]


@pytest.mark.parametrize("label, body, code", [
    ("malformed JSON", b'{"person": ', "bad_json"),
    ("NaN", case_json().replace('"62000.00"', "NaN").encode(), "bad_json"),
    ("not UTF-8", b'{"person": "\xff"}', "not_utf8"),
    ("too many encounters", json.dumps({"person": {}, "encounters": [{}] * 1001}).encode(), "too_many_encounters"),
    ("not an object", b"[1, 2]", "bad_case"),
])
def test_hostile_bodies_are_400(service, label, body, code):
    r = settle(service, body)
    assert r.status_code == 400, (label, r.text[:300])
    assert r.json()["error"]["code"] == code
    assert "Traceback" not in r.text and "engine/" not in r.text


# Past the engine's own limits (engine.core.limits: MAX_DEPTH, number_problem): refused as `yibao evaluate` refuses the
# same text, same message, line, column and field (one set of limits, the engine's).
_BIG = "1" + "0" * 5000


def _number(text: str) -> str:
    """The engine's own sentence for a number past its limits (engine.core.limits.number_problem), in English."""
    key, fields = number_problem(text)
    return msg(key, "en", **fields)


ENGINE_LIMITS = {  # label: (body, the first problem's English message, its field)
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, msg("error.too_deep", "en", limit=MAX_DEPTH), ""),
    "deep but parseable": (b'{"a":' * 200 + b"1" + b"}" * 200, msg("error.too_deep", "en", limit=MAX_DEPTH), ""),
    "huge integer": (case_json().replace('"62000.00"', _BIG).encode(), _number(_BIG), "encounters/0/total_cost"),
    "huge exponent": (case_json().replace('"62000.00"', "1e999999").encode(), _number("1e999999"), "encounters/0/total_cost"),
    "too fine": (case_json().replace('"62000.00"', "1e-30").encode(), _number("1e-30"), "encounters/0/total_cost"),
    "huge digit string": (case_json().replace('"62000.00"', '"1' + "0" * 40 + '"').encode(), _number("1" + "0" * 40),
                          "encounters/0/total_cost"),
    "duplicate key": (case_json().replace('"scheme"', '"region": "500000", "scheme"', 1).encode(), None, "person/region"),
}


@pytest.mark.parametrize("label", sorted(ENGINE_LIMITS))
def test_the_engines_limits_answer_as_the_cli_does(service, label):
    body, first, field = ENGINE_LIMITS[label]
    with pytest.raises(InputError) as cli:
        parse_case(body.decode(), "request")  # what `yibao evaluate` reads a file with
    r = settle(service, body, params={"lang": "en"})
    assert r.status_code == 400, (label, r.text[:300])
    err = r.json()["error"]
    assert err["code"] == "bad_case" and "Traceback" not in r.text
    want = [{"path": "request", "line": p.line, "col": p.col, "field": p.field, "message": tr(p.message, "en"), "code": p.code}
            for p in cli.value.problems]
    assert err["problems"] == want
    assert err["problems"][0]["field"] == field, err["problems"][0]
    if first is not None:  # the engine's own sentence for its limit
        assert err["problems"][0]["message"] == first, err["problems"][0]


def test_a_refusal_lists_at_most_a_hundred_problems_and_counts_them_all(service):
    body = "[" + ",".join(["1e999"] * 150) + "]"  # 150 numbers past the engine's limit, each a problem for the CLI
    with pytest.raises(InputError) as cli:
        parse_case(body, "request")
    err = settle(service, body.encode(), params={"lang": "en"}).json()["error"]
    assert len(cli.value.problems) == 150 and len(err["problems"]) == 100
    assert [p["col"] for p in err["problems"]] == [p.col for p in cli.value.problems[:100]]
    assert "(150 problem(s), see problems)" in err["message"]


def test_many_encounters_take_the_exact_depth_scan(service):
    body = json.loads(case_json())
    body["encounters"] = [dict(body["encounters"][0], id=f"e{i}") for i in range(60)]  # 60 brackets, 3 levels deep
    r = settle(service, json.dumps(body).encode())
    assert r.status_code == 200, r.text[:300]


def test_body_over_the_limit_is_413_before_parsing(service):
    r = settle(service, b" " * (MAX_BYTES + 1))
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    chunked = service.post("/v1/settle", content=iter([b"[" * 600_000, b"[" * 600_000]))  # no content-length: counted while read
    assert chunked.status_code == 413


def test_unknown_version_is_404_and_conflicting_versions_400(service):
    for r in (settle(service, case_json(), "/v1/versions/0.0.1/settle"),
              settle(service, case_json(), headers={"Yibao-Policy-Version": "sha256:" + "0" * 64})):
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_version"
        assert OLD_VERSION in r.json()["error"]["message"] and NEW_VERSION in r.json()["error"]["message"]
    r = settle(service, case_json(), f"/v1/versions/{OLD_VERSION}/settle", headers={"Yibao-Policy-Version": NEW_VERSION})
    assert r.status_code == 400 and r.json()["error"]["code"] == "version_conflict"
    r = settle(service, case_json(), "/v1/versions/0.0.1/settle", headers={"Yibao-Policy-Version": NEW_VERSION})
    assert r.status_code == 404  # an unknown version is unknown, whatever else is asked
    old_fp = service.get(f"/v1/versions/{OLD_VERSION}").json()["fingerprint"]
    r = settle(service, case_json(), f"/v1/versions/{OLD_VERSION}/settle", headers={"Yibao-Policy-Version": old_fp})
    assert r.status_code == 200  # the same set named twice, once by version and once by fingerprint


def test_bad_params_query_is_400_naming_the_field(service):
    for q, field in (({"date": "2023-01-01"}, "region"), ({"region": "500000", "date": "2023-13-01"}, "date"),
                     ({"region": "999999", "date": "2023-01-01"}, "region"),
                     ({"region": "500000", "date": "2023-01-01", "category": "pinkun"}, "category"),
                     ({"region": "500000", "date": "2023-01-01", "tier": "x"}, "tier")):
        r = service.get("/v1/params", params=q)
        assert r.status_code == 400 and r.json()["error"]["field"] == field, (q, r.text)


def test_unknown_address_and_method_are_json(service):
    r = service.get("/v1/nowhere")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = service.get("/v1/settle")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed" and "POST" in r.headers["allow"]


def test_messages_chinese_first_english_on_request(service):
    zh = settle(service, b"{").json()["error"]["message"]
    en = settle(service, b"{", params={"lang": "en"}).json()["error"]["message"]
    en2 = settle(service, b"{", headers={"Accept-Language": "en-GB,en;q=0.9"}).json()["error"]["message"]
    assert zh.startswith("请求体不是有效的 JSON") and en.startswith("the body is not valid JSON") and en2 == en


def test_still_healthy_after_every_bad_request(service):
    assert service.get("/v1/health").status_code == 200
    assert settle(service, case_json()).status_code == 200


# -- an unforeseen failure ------------------------------------------------------------
def test_an_unforeseen_error_is_a_json_500_without_internals(shipped):
    from engine.serve.app import create_app
    from engine.serve.versions import load_catalog

    catalog = load_catalog([], [str(ROOT / "policies")])

    def boom(case):
        raise RuntimeError("secret internal detail /etc/passwd")

    catalog.default.evaluator.settle = boom
    srv = ThreadServer(create_app(catalog))
    try:
        r = httpx.post(srv.base + "/v1/settle", content=case_json(), timeout=30)
        assert r.status_code == 500
        err = r.json()["error"]
        assert err["code"] == "internal" and len(err["request_id"]) == 12
        assert "secret" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
        assert httpx.get(srv.base + "/v1/health", timeout=30).status_code == 200
    finally:
        srv.stop()


def test_two_sets_claiming_one_version_are_refused(bundles, tmp_path, capsys):
    clash = tmp_path / "clash.json"
    data = json.loads(bundles[1].read_text())
    data["version"] = OLD_VERSION
    data["fingerprint"] = fingerprint_of({"version": OLD_VERSION, "documents": data["documents"]})  # a well-formed bundle
    clash.write_text(json.dumps(data), encoding="utf-8")
    assert main(["serve", "--bundle", str(bundles[0]), "--bundle", str(clash), "--port", str(free_port())]) == 2
    assert "both say version 0.1.0 but differ" in capsys.readouterr().err


def test_worker_processes_load_the_same_sets(bundles, monkeypatch):
    from engine.serve.app import CONFIG_ENV, app_from_env

    monkeypatch.setenv(CONFIG_ENV, json.dumps({"bundles": [str(b) for b in bundles], "policies": []}))
    catalog = app_from_env().state.catalog
    assert [s.version for s in catalog.sets] == [NEW_VERSION, OLD_VERSION]
    assert [s.fingerprint for s in catalog.sets] == [json.loads(b.read_text())["fingerprint"] for b in reversed(bundles)]


def test_a_port_in_use_is_exit_2_in_one_line(service, capsys):
    port = int(str(service.base_url).rsplit(":", 1)[1].strip("/"))
    assert main(["serve", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_strict_refuses_a_result_with_missing_values(service):
    # A dibao recipient on 2022-06-10: the assistance rate before 渝府办发〔2022〕116号 is not known, so medical assistance
    # is not computed and listed as missing.
    lenient = settle(service, case_json(date="2022-06-10"), f"/v1/versions/{OLD_VERSION}/settle")
    assert lenient.status_code == 200 and any(m["parameter"].startswith("medical_assistance") for m in lenient.json()["missing"])
    strict = settle(service, case_json(date="2022-06-10"), f"/v1/versions/{OLD_VERSION}/settle", params={"strict": "1", "lang": "en"})
    assert strict.status_code == 400 and strict.json()["error"]["code"] == "strict_missing"
    assert strict.json()["error"]["message"].startswith("strict: ")


def test_a_parameter_no_rule_supplies_is_400_as_in_the_cli(service):
    # As tests/test_evaluate.py: a national (CN) case in 2023 has no rule for the inpatient deductible.
    r = settle(service, case_json(region="CN"), params={"lang": "en"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_value"
    assert "no rule in force supplies basic_insurance.inpatient.deductible" in r.json()["error"]["message"]

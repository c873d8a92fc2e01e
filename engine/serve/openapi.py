"""The OpenAPI 3.1 document, built from the contract's JSON Schemas, and a self-contained page describing it."""
from __future__ import annotations

import copy
import html
import json
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.policy import schemas

if TYPE_CHECKING:
    from engine.serve.versions import Catalog

_SET = {"type": "object", "required": ["version", "fingerprint"],
        "properties": {"version": {"type": "string"}, "fingerprint": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}}}
_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["status", "code", "message"],
    "properties": {"status": {"type": "integer"}, "code": {"type": "string", "description": "Stable code, e.g. bad_case, too_large."},
                   "message": {"type": "string", "description": "Chinese by default; English with ?lang=en or Accept-Language: en."},
                   "field": {"type": "string"},
                   "problems": {"type": "array", "description": "Every problem the engine found, as `yibao evaluate` reports them.",
                                "items": {"type": "object", "properties": {
                                    "path": {"type": "string"}, "line": {"type": "integer"}, "col": {"type": "integer"},
                                    "field": {"type": "string"}, "message": {"type": "string"}}}}}}}}
_INFO = {"type": "object", "properties": {"version": {"type": "string"}, "fingerprint": {"type": "string"}, "source": {"type": "string"},
                                          "documents": {"type": "integer"}, "rules": {"type": "integer"}, "default": {"type": "boolean"}}}
_OBJ = {"type": "object", "required": ["policy_set"], "properties": {"policy_set": {"$ref": "#/components/schemas/PolicySet"}}}


def _contract(name: str) -> dict[str, Any]:
    """schema/<name>.schema.json as the CLI uses it, without the keys that only make sense at a document's root."""
    s = copy.deepcopy(schemas.validator(name).schema)
    for k in ("$schema", "$id"):
        s.pop(k, None)
    return s


def _resp(desc: str, ref: str | None = None) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}} if ref else {}
    return {"description": desc, **({"content": content} if content else {})}


_ERRORS = {"400": _resp("Bad request: the case or a query parameter is refused (same message, field and position as the CLI)", "Error"),
           "404": _resp("Unknown policy version, document or address", "Error"),
           "413": _resp("Body over the size limit (checked before parsing)", "Error"),
           "500": _resp("Internal error: logged, no internals shown", "Error")}
_PINNED = [  # path, method, summary, query parameters, success schema, body
    ("/settle", "post", "Settle a case (the contract's case in, the contract's result out)",
     [("strict", "boolean", "Refuse (400) a result with missing values, as `yibao evaluate --strict`")], "Result", True),
    ("/params", "get", "Parameters in force for a person on a day (as `yibao params --format json`)",
     [("region", "string", "GB/T 2260 code (required)"), ("date", "string", "YYYY-MM-DD (required)"),
      ("category", "string", "a category held (repeat the parameter for several)"), ("tier", "integer", "contribution tier"),
      ("scheme", "string", "resident (default) or employee")], "Params", False),
    ("/documents", "get", "The documents of the policy set", [], "Documents", False),
    ("/documents/{doc_id}", "get", "One document with its rules and reference data (canonical form)", [], "Document", False),
    ("/gaps", "get", "Figures a settlement may need that no rule supplies (as `yibao gaps --format json`)",
     [("region", "string", "GB/T 2260 code (default: every region with rules)"), ("from", "integer", "first year, 1949-2100 (default 2017)"),
      ("to", "integer", "last year, from-2100 (default 2026)")], "Gaps", False),
]


def openapi(catalog: "Catalog") -> dict[str, Any]:
    """The OpenAPI document of a service serving `catalog`."""
    served = [s.version for s in catalog.sets]
    common = [{"name": "lang", "in": "query", "schema": {"enum": ["zh", "en"]}, "description": "Message language (default zh)"}]
    header = {"name": "Yibao-Policy-Version", "in": "header", "required": False, "schema": {"type": "string", "enum": served},
              "description": f"Policy version or fingerprint to answer under (default: the newest served, {catalog.default.version})"}
    in_path = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"},
               "description": "Policy version or fingerprint (see /v1/versions)"}
    echo = {"Yibao-Policy-Version": {"schema": {"type": "string"}, "description": "The version that answered"},
            "Yibao-Policy-Fingerprint": {"schema": {"type": "string"}, "description": "sha256 of that policy set's canonical form"}}
    paths: dict[str, Any] = {}
    for path, method, summary, query, ok, body in _PINNED:
        params = [{"name": n, "in": "query", "schema": {"type": t}, "description": d} for n, t, d in query] + common
        if "{doc_id}" in path:
            params.append({"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}})
        op: dict[str, Any] = {"summary": summary, "responses": {
            "200": {**_resp("OK", ok), "headers": echo},
            **_ERRORS}}
        if body:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}}
        paths["/v1" + path] = {method: {**op, "operationId": f"{method}_{path.strip('/').split('/')[0]}" + ("_one" if "{" in path else ""),
                                        "parameters": [header] + params}}
        paths["/v1/versions/{version}" + path] = {method: {**op, "operationId": f"{method}_{path.strip('/').split('/')[0]}"
                                                           + ("_one" if "{" in path else "") + "_pinned", "parameters": [in_path] + params}}
    paths["/v1/versions"] = {"get": {"summary": "Policy versions served, newest first, with fingerprints", "operationId": "get_versions",
                                     "responses": {"200": _resp("OK", "Versions")}}}
    paths["/v1/versions/{version}"] = {"get": {"summary": "One served policy version", "operationId": "get_version",
                                               "parameters": [in_path], "responses": {"200": _resp("OK", "VersionInfo"), "404": _ERRORS["404"]}}}
    paths["/v1/health"] = {"get": {"summary": "Liveness and what is served", "operationId": "get_health", "responses": {"200": _resp("OK")}}}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "yibao-rules 医保扶贫规则", "version": __version__,
                 "description": "Settles a person-year under a pinned policy version. Every answer names the version and fingerprint "
                                "it was computed under (body and headers). Messages are Chinese by default; ?lang=en for English."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": {
            "Case": _contract("case"), "Result": _contract("result"), "PolicySet": _SET, "Error": _ERROR, "VersionInfo": _INFO,
            "Versions": {"type": "object", "properties": {"versions": {"type": "array", "items": {"$ref": "#/components/schemas/VersionInfo"}}}},
            "Params": {**_OBJ, "properties": {**_OBJ["properties"], "region": {"type": "string"}, "date": {"type": "string"},
                                              "categories": {"type": "array", "items": {"type": "string"}},
                                              "parameters": {"type": "array", "items": {"type": "object"}}}},
            "Gaps": {**_OBJ, "properties": {**_OBJ["properties"], "from": {"type": "integer"}, "to": {"type": "integer"},
                                            "regions": {"type": "array", "items": {"type": "object", "properties": {
                                                "region": {"type": "string"}, "gaps": {"type": "array", "items": {"type": "object"}}}}}}},
            "Documents": {**_OBJ, "properties": {**_OBJ["properties"], "documents": {"type": "array", "items": {"type": "object"}}}},
            "Document": {**_OBJ, "properties": {**_OBJ["properties"], "document": {
                "type": "object", "description": "The document as in a bundle (schema/policy.schema.json)"}}},
        }},
    }


def docs_html(catalog: "Catalog") -> str:
    """The docs page: what is served and every endpoint, from the OpenAPI document; no script, no outside asset."""
    spec = openapi(catalog)
    e = html.escape
    rows = "".join(f"<tr><td><code>{e(v['version'])}</code>{' (默认 default)' if v['default'] else ''}</td>"
                   f"<td><code>{e(str(v['fingerprint']))}</code></td><td>{e(str(v['source']))}</td><td>{v['documents']}</td></tr>"
                   for v in catalog.versions())
    eps = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            ps = ", ".join(f"<code>{e(p['name'])}</code> ({e(p['in'])})" for p in op.get("parameters", []) if p["name"] != "lang")
            eps.append(f"<tr><td><b>{method.upper()}</b></td><td><code>{e(path)}</code></td><td>{e(op['summary'])}</td><td>{ps}</td></tr>")
    example = {"person": {"id": "p-001", "region": "500000", "scheme": "resident", "categories": ["dibao"]},
               "encounters": [{"id": "e-1", "date": "2023-06-10", "type": "inpatient", "hospital_level": 3,
                               "total_cost": "62000.00", "eligible_cost": "50000.00"}]}
    curl = (f"curl -s -X POST http://HOST:PORT/v1/settle -H 'Content-Type: application/json' "
            f"-H 'Yibao-Policy-Version: {catalog.default.version}' -d '{json.dumps(example, ensure_ascii=False)}'")
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>yibao-rules HTTP 服务 service</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}}pre{{background:#f4f4f4;padding:1em;overflow-x:auto}}</style></head><body>
<h1>yibao-rules HTTP 服务 <small>service</small></h1>
<p>按指定政策版本结算一个参保人年度；每个回答都在响应体 <code>policy_set</code> 和响应头 <code>Yibao-Policy-Version</code>、
<code>Yibao-Policy-Fingerprint</code> 中写明所用的版本和指纹。Settles a person-year under a pinned policy version; every answer names
the version and fingerprint it was computed under. 版本 Version：路径 <code>/v1/versions/{{version}}/…</code> 或请求头
<code>Yibao-Policy-Version</code>（版本号或指纹），缺省为最新版本 (default: the newest served). 错误信息默认中文，<code>?lang=en</code> 英文。</p>
<h2>提供的政策版本 Policy versions served</h2><table><tr><th>version</th><th>fingerprint</th><th>source</th><th>documents</th></tr>{rows}</table>
<h2>接口 Endpoints</h2><table><tr><th></th><th>path</th><th>what</th><th>parameters</th></tr>{''.join(eps)}</table>
<h2>示例 Example</h2><pre>{e(curl)}</pre>
<p>OpenAPI 3.1: <a href="/v1/openapi.json">/v1/openapi.json</a>（病例与结果的模式即 schema/case.schema.json、schema/result.schema.json）。</p>
</body></html>"""

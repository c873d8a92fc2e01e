"""The Starlette application: routes under /v1, one policy set per request, JSON bodies, no traceback ever sent."""
from __future__ import annotations

import datetime as dt
import asyncio
import json
import logging
import re
import uuid
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from engine.core.messages import msg
from engine.core.problems import InputError, MissingParameter
from engine.policy.policyset import canonical_value
from engine.serve.errors import Refusal, refusal_body
from engine.serve.limits import MAX_BODY_BYTES
from engine.serve.reading import read_case
from engine.serve.openapi import docs_html, openapi
from engine.serve.versions import Catalog, Served

log = logging.getLogger("yibao.serve")
HEADER_VERSION, HEADER_FINGERPRINT = "Yibao-Policy-Version", "Yibao-Policy-Fingerprint"

try:  # orjson: about ten times faster than json for the result documents; same bytes for these plain values
    import orjson

    def dumps(v: Any) -> bytes:
        """Compact UTF-8 JSON."""
        return orjson.dumps(v)
except ImportError:  # pragma: no cover - orjson is a dependency of the package
    def dumps(v: Any) -> bytes:
        """Compact UTF-8 JSON."""
        return json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode()


def lang_of(request: Request) -> str:
    """zh unless ?lang=en or the first Accept-Language is English."""
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    first = request.headers.get("accept-language", "").split(",", 1)[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


def json_response(body: Any, status: int = 200, served: Served | None = None) -> Response:
    """A JSON response, with the policy version and fingerprint in headers when one set answered."""
    headers = {HEADER_VERSION: served.version, HEADER_FINGERPRINT: served.fingerprint} if served else None
    return Response(dumps(body), status, headers, media_type="application/json")


def pick(request: Request) -> Served:
    """The policy set the path segment or the Yibao-Policy-Version header names; default the newest."""
    catalog: Catalog = request.app.state.catalog
    path_v = request.path_params.get("version")
    header_v = request.headers.get(HEADER_VERSION)
    picked = []
    for want in (path_v, header_v):
        if want:
            served = catalog.pick(want)
            if served is None:
                raise Refusal(404, "serve.unknown_version", version=want[:80], served=", ".join(s.version for s in catalog.sets))
            picked.append(served)
    if len(picked) == 2 and picked[0] is not picked[1]:
        raise Refusal(400, "serve.version_conflict", path=path_v[:80], header=header_v[:80])
    return picked[0] if picked else catalog.default


async def read_body(request: Request) -> str:
    """The body as text, refused with 413 past the limit before anything parses it."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise Refusal(413, "serve.too_large", limit=MAX_BODY_BYTES)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refusal(413, "serve.too_large", limit=MAX_BODY_BYTES)
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(400, "serve.not_utf8", offset=exc.start) from None
    return text[1:] if text.startswith("\ufeff") else text


# -- endpoints ---------------------------------------------------------------
async def settle(request: Request) -> Response:
    """POST a case, get the contract's result, settled under the chosen policy version."""
    served = pick(request)
    case = read_case(await read_body(request))
    try:
        res = served.settle(case)
    except MissingParameter as exc:
        raise Refusal(400, "serve.missing_value", detail=f"{exc}: {exc.hint}") from None
    except InputError as exc:  # e.g. no policy in the set covers the region on a date
        raise Refusal(400, "serve.bad_case", exc.problems, detail=str(exc), count=max(1, len(exc.problems))) from None
    if request.query_params.get("strict") in ("1", "true") and res["missing"]:
        first = res["missing"][0]
        raise Refusal(400, "serve.strict_missing", count=len(res["missing"]), parameter=first["parameter"], reason=first["reason"])
    return json_response(res, served=served)


async def params(request: Request) -> Response:
    """Parameters in force for a person on a day (as `yibao params --format json`)."""
    from engine.settle.params import params_document

    served = pick(request)
    q = request.query_params
    for name in ("region", "date"):
        if not q.get(name):
            raise Refusal(400, "serve.bad_query", field=name, detail=f"{name} is required")
    try:
        day = dt.date.fromisoformat(q["date"])
    except ValueError:
        raise Refusal(400, "serve.bad_query", field="date", detail=f"date '{q['date'][:40]}' is not a date (YYYY-MM-DD)") from None
    tier = q.get("tier")
    if tier is not None and not (tier.isdigit() and 0 < len(tier) < 4):
        raise Refusal(400, "serve.bad_query", field="tier", detail=f"tier '{tier[:40]}' is not a whole number from 1")
    scheme = q.get("scheme", "resident")
    if scheme not in ("resident", "employee"):
        raise Refusal(400, "serve.bad_query", field="scheme", detail=f"scheme '{scheme[:40]}' is not resident or employee")
    cats = q.getlist("category")
    try:
        doc = params_document(served.ps, q["region"], day, cats, int(tier) if tier else None, scheme, lang_of(request))
    except InputError as exc:  # the CLI's own refusal of --region or --category, in the caller's language
        where = exc.location()
        named = (where.get("option") or where.get("field") or "").lstrip("-")
        raise Refusal(400, "serve.bad_query", field=named, detail=exc.render(lang_of(request))) from None
    return json_response(doc, served=served)


def _set(served: Served) -> dict[str, str]:
    return {"version": served.version, "fingerprint": served.fingerprint}


def _doc_summary(d: Any) -> dict[str, Any]:
    raw = d.raw
    return {"id": d.id, "version": d.version, "title": raw.get("title"), "document_number": raw.get("document_number"),
            "jurisdiction": d.jurisdiction, "status": d.status, "effective": canonical_value(raw.get("effective")),
            "rules": len(d.rules), "reference_data": len(d.data)}


async def documents(request: Request) -> Response:
    """The documents of the chosen policy set, by id."""
    served = pick(request)
    docs = [_doc_summary(served.ps.documents[k]) for k in sorted(served.ps.documents)]
    return json_response({"policy_set": _set(served), "documents": docs}, served=served)


async def document(request: Request) -> Response:
    """One document with its rules and reference data, in the bundle's canonical form."""
    served = pick(request)
    doc_id = request.path_params["doc_id"]
    d = served.ps.documents.get(doc_id)
    if d is None:
        raise Refusal(404, "serve.unknown_document", version=served.version, document=doc_id[:80])
    return json_response({"policy_set": _set(served), "document": canonical_value(d.raw)}, served=served)


_YEAR = re.compile(r"[0-9]{4}")


async def gaps(request: Request) -> Response:
    """Figures no rule supplies (as `yibao gaps --format json`); ?region, ?from, ?to checked as the command's options."""
    from engine.review.gaps import DEFAULT_FROM, DEFAULT_TO

    served = pick(request)
    q = request.query_params
    years = []
    for name, default in (("from", DEFAULT_FROM), ("to", DEFAULT_TO)):
        v = q.get(name)
        if v is not None and not _YEAR.fullmatch(v):
            raise Refusal(400, "serve.bad_query", field=name, detail=msg("usage.bad_year", lang_of(request), option=name, value=v[:40]))
        years.append(int(v) if v is not None else default)
    async with request.app.state.gaps_lock:  # one report computed at a time per worker, in a thread: settling goes on
        try:
            report = await run_in_threadpool(served.gaps, q.get("region") or None, *years)
        except InputError as exc:  # the command's own refusal of --region, --from or --to
            named = exc.location().get("option", "").lstrip("-")
            raise Refusal(400, "serve.bad_query", field=named, detail=exc.render(lang_of(request))) from None
    return json_response(report, served=served)


async def versions(request: Request) -> Response:
    """Every policy set served, newest first, with its fingerprint; the default is marked."""
    return json_response({"versions": request.app.state.catalog.versions()})


async def version(request: Request) -> Response:
    """One served policy set."""
    served = pick(request)
    return json_response(served.info(served is request.app.state.catalog.default), served=served)


async def health(request: Request) -> Response:
    """Liveness: ok and what is served."""
    from engine import __version__

    catalog: Catalog = request.app.state.catalog
    return json_response({"status": "ok", "engine": __version__, "default": _set(catalog.default),
                          "versions": [s.version for s in catalog.sets]})


async def openapi_json(request: Request) -> Response:
    """The OpenAPI 3.1 document, built from schema/case.schema.json and schema/result.schema.json."""
    return Response(request.app.state.openapi, media_type="application/json")


async def docs_page(request: Request) -> Response:
    """A self-contained page describing every endpoint (no assets fetched from elsewhere)."""
    return HTMLResponse(request.app.state.docs)


async def root(request: Request) -> Response:
    """Where to start."""
    return json_response({"service": "yibao-rules", "api": "/v1", "docs": "/v1/docs", "openapi": "/v1/openapi.json"})


# -- errors --------------------------------------------------------------------
async def on_refusal(request: Request, exc: Exception) -> Response:
    """A refusal as JSON, in the caller's language, echoing the policy version when one was picked."""
    assert isinstance(exc, Refusal)
    served = None
    if exc.key not in ("serve.unknown_version", "serve.version_conflict"):
        try:
            served = pick(request)
        except Exception:  # noqa: BLE001 - the echo is best effort
            served = None
    return json_response(refusal_body(exc, lang_of(request)), exc.status, served)


async def on_http(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405 in the same JSON form."""
    assert isinstance(exc, HTTPException)
    path = request.url.path[:200]
    if exc.status_code == 405:
        r = Refusal(405, "serve.method_not_allowed", path=path, method=request.method)
    elif exc.status_code == 404:
        r = Refusal(404, "serve.not_found", path=path)
    else:
        r = Refusal(exc.status_code, "serve.bad_query", detail=str(exc.detail)[:200])
    resp = json_response(refusal_body(r, lang_of(request)), r.status)
    resp.headers.update(exc.headers or {})  # Allow: on a 405
    return resp


async def on_error(request: Request, exc: Exception) -> Response:
    """Anything unforeseen: logged here with its traceback, answered with a JSON 500 that shows no internals."""
    rid = uuid.uuid4().hex[:12]
    log.error("request %s %s %s failed", rid, request.method, request.url.path, exc_info=exc)
    return json_response(refusal_body(Refusal(500, "serve.internal", request_id=rid), lang_of(request)), 500)


def _routes() -> list[Route]:
    out = [Route("/v1/settle", settle, methods=["POST"])]  # first: the route most requests take
    out += [Route("/", root), Route("/v1", root), Route("/v1/health", health), Route("/v1/versions", versions),
            Route("/v1/openapi.json", openapi_json), Route("/v1/docs", docs_page),
            Route("/v1/versions/{version}", version)]
    pinned: list[tuple[str, Callable, list[str]]] = [
        ("/settle", settle, ["POST"]), ("/params", params, ["GET"]), ("/documents", documents, ["GET"]),
        ("/documents/{doc_id}", document, ["GET"]), ("/gaps", gaps, ["GET"])]
    for path, fn, methods in pinned:
        out.append(Route("/v1" + path, fn, methods=methods))
        out.append(Route("/v1/versions/{version}" + path, fn, methods=methods))
    return out


def create_app(catalog: Catalog) -> Starlette:
    """The application serving every set of `catalog`."""
    app = Starlette(routes=_routes(), exception_handlers={Refusal: on_refusal, HTTPException: on_http, Exception: on_error})
    app.state.catalog = catalog
    app.state.gaps_lock = asyncio.Lock()
    app.state.openapi = dumps(openapi(catalog))
    app.state.docs = docs_html(catalog)
    return app


CONFIG_ENV = "YIBAO_SERVE_CONFIG"


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: the sets named in $YIBAO_SERVE_CONFIG ({"bundles": [...], "policies": [...]})."""
    import os

    from engine.serve.versions import load_catalog

    cfg = json.loads(os.environ.get(CONFIG_ENV, "{}"))
    return create_app(load_catalog(cfg.get("bundles", []), cfg.get("policies", [])))

"""The `yibao` command line: validate, evaluate, params, test, diff, bundle."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .policyset import PolicySet, load_policy_set, require_valid
from .problems import InputError, MissingParameter, PolicyError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(InputError):
    """Bad command-line usage."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit itself; we want our one-paragraph form
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def policy_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--policies", metavar="DIR", help="policy folder (default: the shipped one)")
    g.add_argument("--bundle", metavar="FILE", help="a bundle written by 'yibao bundle'")
    g.add_argument("--ref", metavar="GIT_REF", help="the policies/ folder of a git revision of this repository")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of text output")


def policy_set(args: argparse.Namespace) -> PolicySet:
    """The policy set the options pick, valid or an error."""
    if getattr(args, "bundle", None):
        from .bundle import load_bundle

        return load_bundle(args.bundle)
    if getattr(args, "ref", None):
        from .policyset import REPO_ROOT
        from .release import export_ref

        with tempfile.TemporaryDirectory(prefix="yibao-ref-") as tmp:
            export_ref(REPO_ROOT, args.ref, Path(tmp))
            return require_valid(load_policy_set(Path(tmp) / "policies"))
    return require_valid(load_policy_set(args.policies))


# -- commands -------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    ps = load_policy_set(args.dir or args.policies)
    if args.format == "json":
        print(json.dumps({"valid": not ps.problems, "problems": [p.__dict__ for p in ps.problems], "summary": _summary(ps)}, ensure_ascii=False, indent=2))
    else:
        for p in ps.problems:
            print(p)
        s = _summary(ps)
        state = "valid" if not ps.problems else f"INVALID, {len(ps.problems)} problem(s)"
        print(f"{state}: {s['documents']} documents, {s['rules']} rules, {s['reference_data']} reference figures; "
              f"values verified {s['verified']}, unverified {s['unverified']}; version {ps.version}")
    return EXIT_OK if not ps.problems else EXIT_FAIL


def _summary(ps: PolicySet) -> dict[str, Any]:
    c = Counter()
    for r in ps.rules:
        c["verified" if r.provenance.verified else "unverified"] += 1
    for d in ps.documents.values():
        for x in d.data:
            c["verified" if x.provenance.verified else "unverified"] += 1
    return {"documents": len(ps.documents), "rules": len(ps.rules),
            "reference_data": sum(len(d.data) for d in ps.documents.values()),
            "verified": c["verified"], "unverified": c["unverified"]}


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .case import read_case
    from .evaluate import Evaluator
    from .explain import render_text, result_json

    ps = policy_set(args)
    case = read_case(args.case)
    settlement = Evaluator(ps).settle(case)
    res = result_json(settlement, ps)
    if args.strict and res["missing"]:
        first = res["missing"][0]
        raise InputError(f"{args.case}: --strict: {len(res['missing'])} missing value(s), first {first['parameter']} for {first.get('for')} on {first.get('date')}: {first['reason']}")
    if args.format == "json":
        sys.stdout.write(json.dumps(res, ensure_ascii=False, indent=2, sort_keys=False) + "\n")
    else:
        print(render_text(res, args.lang, show_trace=not args.no_trace))
    return EXIT_OK


def cmd_params(args: argparse.Namespace) -> int:
    from .params import params_table, render_params

    ps = policy_set(args)
    try:
        day = dt.date.fromisoformat(args.date)
    except ValueError:
        raise UsageError(f"--date '{args.date}' is not a date (YYYY-MM-DD)") from None
    rows = params_table(ps, args.region, day, args.category or [], args.tier, args.scheme)
    if args.format == "json":
        print(json.dumps({"policy_set": {"version": ps.version, "fingerprint": ps.fingerprint}, "region": args.region,
                          "date": args.date, "categories": args.category or [], "parameters": rows}, ensure_ascii=False, indent=2))
    else:
        print(render_params(rows, args.lang))
    return EXIT_OK


def cmd_bundle(args: argparse.Namespace) -> int:
    from .bundle import bundle_text

    ps = policy_set(args)
    text = bundle_text(ps)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}: version {ps.version}, {ps.fingerprint}, {len(ps.documents)} documents", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    ap = _Parser(prog="yibao", description="Rules as code for China's medical-security poverty-alleviation policy.")
    ap.add_argument("--version", action="version", version=f"yibao-rules {__version__}")
    sub = ap.add_subparsers(dest="command", parser_class=_Parser)
    p = sub.add_parser("validate", help="schema and semantic checks of every policy document")
    p.add_argument("dir", nargs="?", help="policy folder (default: the shipped one)")
    p.add_argument("--policies", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("evaluate", help="settle a person-year")
    p.add_argument("case", help="case file, YAML or JSON")
    p.add_argument("--strict", action="store_true", help="a missing value (cap, threshold, tier rate) is an error")
    p.add_argument("--no-trace", action="store_true", help="text output without the trace")
    policy_args(p)
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("params", help="parameters in force for a person on a day, with the rule each came from")
    p.add_argument("--region", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--category", action="append", help="a category held (repeatable)")
    p.add_argument("--tier", type=int)
    p.add_argument("--scheme", choices=("resident", "employee"), default="resident")
    policy_args(p)
    p.set_defaults(func=cmd_params)
    p = sub.add_parser("bundle", help="one canonical JSON file of the whole policy set")
    p.add_argument("-o", "--output", metavar="FILE")
    policy_args(p)
    p.set_defaults(func=cmd_bundle)
    for name, (helptext, adder) in COMMANDS_EXTRA.items():
        p = sub.add_parser(name, help=helptext)
        adder(p)
    return ap


COMMANDS_EXTRA: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {}


def register(name: str, helptext: str) -> Callable:
    """Decorator for commands defined in other modules: the function adds its arguments and sets `func`."""
    def deco(adder: Callable[[argparse.ArgumentParser], None]) -> Callable:
        COMMANDS_EXTRA[name] = (helptext, adder)
        return adder
    return deco


def _load_extras() -> None:
    import importlib

    for mod in ("engine.scenarios", "engine.diff", "engine.docs", "engine.batch_cli", "engine.participation"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a command and map failures to the contract's exit codes, never a traceback."""
    _load_extras()
    try:
        args = build_parser().parse_args(argv)
        if not getattr(args, "func", None):
            raise UsageError("yibao: a command is required: validate, evaluate, params, test, diff or bundle (see 'yibao --help')")
        return args.func(args)
    except PolicyError as exc:
        print(f"yibao: the policy set is invalid ({len(exc.problems)} problem(s)); run 'yibao validate' for all of them. First:", file=sys.stderr)
        for p in exc.problems[:10]:
            print(f"  {p}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as exc:
        print(f"yibao: {exc}", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return EXIT_USAGE
    except MissingParameter as exc:
        print(f"yibao: missing value: {exc}: {exc.hint}.", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

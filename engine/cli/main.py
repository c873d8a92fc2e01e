"""The `yibao` command line: validate, evaluate, params, test, diff, bundle."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from engine import __version__
from engine.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError, Parser, policy_args, policy_set
from engine.core.paths import data_dir
from engine.core.problems import InputError, KeyedInputError, MissingParameter, PolicyError
from engine.policy.policyset import PolicySet, load_policy_set, require_valid

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
    from engine.settle.case import read_case
    from engine.settle.evaluate import Evaluator
    from engine.settle.explain import render_text, result_json

    ps = policy_set(args)
    case = read_case(shipped_example(args.case))
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


def shipped_example(path: str) -> str:
    """`examples/NAME` when no such file is here: the example shipped with the package (so the README works anywhere)."""
    p = Path(path)
    if not p.exists() and p.parts[:1] == ("examples",):
        shipped = data_dir("examples").joinpath(*p.parts[1:])
        if shipped.is_file():
            return str(shipped)
    return path


def cmd_params(args: argparse.Namespace) -> int:
    from engine.settle.params import params_table, render_params

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
    from engine.core.output import check_output, write_output
    from engine.policy.bundle import bundle_text

    if args.output:
        check_output(args.output, [args.bundle])
    ps = policy_set(args)
    text = bundle_text(ps)
    if args.output:
        write_output(args.output, text, [args.bundle])
        print(f"wrote {args.output}: version {ps.version}, {ps.fingerprint}, {len(ps.documents)} documents", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


class VersionAction(argparse.Action):
    """`yibao --version`: the package, and the policy set it settles with by default (loaded only when asked)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        print(f"yibao-rules {__version__}")
        ps = require_valid(load_policy_set())  # an invalid or missing set: exit 2 with its problems, after the version
        print(f"policy set {ps.version} {ps.fingerprint} ({len(ps.documents)} documents, {ps.root})")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    ap = Parser(prog="yibao", description="Rules as code for China's medical-security poverty-alleviation policy.")
    ap.add_argument("--version", action=VersionAction, nargs=0, help="package version, policy-set version and fingerprint")
    sub = ap.add_subparsers(dest="command", parser_class=Parser)
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
    for name, (helptext, adder) in extra_commands().items():
        p = sub.add_parser(name, help=helptext)
        adder(p)
    return ap


def extra_commands() -> dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]]:
    """The commands defined in the other cli modules, by name."""
    from engine.cli import batch, docs, review

    return {**review.COMMANDS, **batch.COMMANDS, **docs.COMMANDS}


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a command and map failures to the contract's exit codes, never a traceback."""
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
        print(f"yibao: {exc.text(_lang(argv)) if isinstance(exc, KeyedInputError) else exc}", file=sys.stderr)
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


def _lang(argv: list[str] | None) -> str:
    """The --lang asked for on the command line (zh unless en), even when parsing failed."""
    a = sys.argv[1:] if argv is None else argv
    return "en" if "--lang=en" in a or any(x == "--lang" and y == "en" for x, y in zip(a, a[1:])) else "zh"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

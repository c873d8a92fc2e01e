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
from engine.core.problems import InputError, MissingParameter, PolicyError
from engine.core.registry import GRADE_ORDER, GRADES, grade_rank
from engine.policy.policyset import PolicySet, load_policy_set

# -- commands -------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from engine.policy.validate import internal_source_problems

    ps = load_policy_set(args.dir or args.policies)
    problems = sorted(ps.problems + (internal_source_problems(ps) if not ps.problems else []))
    if args.format == "json":
        print(json.dumps({"valid": not problems, "problems": [p.__dict__ for p in problems], "summary": _summary(ps)}, ensure_ascii=False, indent=2))
    else:
        for p in problems:
            print(p)
        s = _summary(ps)
        state = "valid" if not problems else f"INVALID, {len(problems)} problem(s)"
        grades = s["grades"]
        if args.lang == "en":
            by = ", ".join(f"{g} {grades[g]}" for g in GRADE_ORDER)
        else:
            by = "、".join(f"{GRADES[g][0]} {grades[g]}" for g in GRADE_ORDER)
            by = f"按可信度 {by}"
        print(f"{state}: {s['documents']} documents, {s['rules']} rules, {s['reference_data']} reference figures; "
              f"values primary {s['verified']}, below primary (unverified) {s['unverified']}; {by}; version {ps.version}")
    return EXIT_OK if not problems else EXIT_FAIL


def _summary(ps: PolicySet) -> dict[str, Any]:
    """Counts of documents, rules, reference figures, and of values by confidence grade."""
    c = Counter({g: 0 for g in GRADE_ORDER})
    for r in ps.rules:
        c[r.provenance.grade] += 1
    for d in ps.documents.values():
        for x in d.data:
            c[x.provenance.grade] += 1
    total = sum(c.values())
    return {"documents": len(ps.documents), "rules": len(ps.rules),
            "reference_data": sum(len(d.data) for d in ps.documents.values()),
            "verified": c["primary"], "unverified": total - c["primary"], "grades": {g: c[g] for g in GRADE_ORDER}}


def _below(res: dict[str, Any], min_grade: str) -> list[dict[str, Any]]:
    """The figures a result used whose grade is below `min_grade`."""
    return [u for u in res["unverified"] if grade_rank(u["grade"]) > grade_rank(min_grade)]


def cmd_evaluate(args: argparse.Namespace) -> int:
    from engine.settle.case import read_case
    from engine.settle.evaluate import Evaluator
    from engine.settle.explain import render_text, result_json

    ps = policy_set(args)
    case = read_case(args.case)
    settlement = Evaluator(ps).settle(case)
    res = result_json(settlement, ps)
    if args.min_grade:
        weak = _below(res, args.min_grade)
        if weak:
            listed = "; ".join(f"{u['parameter']} <- {u['rule']} ({u['grade']})" for u in weak)
            raise InputError(f"{args.case}: --min-grade {args.min_grade}: {len(weak)} figure(s) below {args.min_grade} used: {listed}")
    if args.strict and res["missing"]:
        first = res["missing"][0]
        raise InputError(f"{args.case}: --strict: {len(res['missing'])} missing value(s), first {first['parameter']} for {first.get('for')} on {first.get('date')}: {first['reason']}")
    if args.format == "json":
        sys.stdout.write(json.dumps(res, ensure_ascii=False, indent=2, sort_keys=False) + "\n")
    else:
        print(render_text(res, args.lang, show_trace=not args.no_trace))
    return EXIT_OK


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
    from engine.policy.bundle import bundle_text

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
    ap = Parser(prog="yibao", description="Rules as code for China's medical-security poverty-alleviation policy.")
    ap.add_argument("--version", action="version", version=f"yibao-rules {__version__}")
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
    p.add_argument("--min-grade", choices=GRADE_ORDER, metavar="GRADE",
                   help="refuse the result if it uses a figure below this confidence grade "
                        "(primary > secondary > low > inferred > seed), e.g. --strict --min-grade secondary")
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

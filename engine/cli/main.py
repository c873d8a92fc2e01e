"""The `yibao` command line: validate, evaluate, params, test, diff, bundle."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import sys
from pathlib import Path
from collections import Counter
from typing import Any, Callable

import engine
from engine.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError, Parser, h, lang_arg, policy_args, policy_set
from engine.core.messages import CATALOGUE, Name, Text, msg, tr
from engine.core.output import write_json
from engine.core.paths import data_dir
from engine.core.problems import InputError, MissingParameter, PolicyError
from engine.core.registry import GRADE_ORDER, GRADES, grade_rank
from engine.policy.policyset import PolicySet, load_policy_set, require_valid

# -- commands -------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from engine.policy.validate import internal_source_problems

    ps = load_policy_set(args.dir or args.policies)
    problems = sorted(ps.problems + internal_source_problems(ps))  # every problem in one run
    if args.format == "json":
        rows = [{**{k: v for k, v in p.__dict__.items()}, "message": tr(p.message, args.lang), "code": p.code} for p in problems]
        print(json.dumps({"valid": not problems, "problems": rows, "summary": _summary(ps)}, ensure_ascii=False, indent=2))
    else:
        for p in problems:
            print(p.render(args.lang))
        s = _summary(ps)
        state = msg("validate.valid", args.lang) if not problems else msg("validate.invalid", args.lang, n=len(problems))
        sep = "、" if args.lang == "zh" else ", "
        by = sep.join(f"{GRADES[g][0] if args.lang == 'zh' else g} {s['grades'][g]}" for g in GRADE_ORDER)
        print(msg("validate.summary", args.lang, state=state, version=ps.version, by=by, **s))
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
    from engine.settle.explain import reason_words, render_text, result_json

    ps = policy_set(args)
    case = read_case(shipped_example(args.case))
    settlement = Evaluator(ps, args.lang).settle(case)
    res = result_json(settlement, ps)
    if args.min_grade:
        weak = _below(res, args.min_grade)
        if weak:
            listed = "; ".join(f"{u['parameter']} <- {u['rule']} ({u['grade']})" for u in weak)
            raise InputError(Text("usage.min_grade", path=args.case, grade=args.min_grade, n=len(weak), listed=listed))
    if args.strict and res["missing"]:
        first = res["missing"][0]
        raise InputError(Text("usage.strict", path=args.case, n=len(res["missing"]), parameter=first["parameter"], label=Name("param", first["parameter"]),
                              who=first.get("for"), date=first.get("date"), reason=Text("usage.reason", zh=reason_words(first["reason"], "zh", first["parameter"]),
                                                                                                   en=first["reason"])))
    if args.format == "json":
        sys.stdout.flush()
        write_json(sys.stdout.buffer, res, floats=False, item_key="encounters")  # no float in a result (schema/result.schema.json)
        sys.stdout.buffer.write(b"\n")
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
    from engine.settle.params import params_document, render_params, render_steps

    ps = policy_set(args)
    try:
        day = dt.date.fromisoformat(args.date)
    except ValueError:
        raise UsageError(Text("usage.bad_date", option="--date", value=args.date)) from None
    doc = params_document(ps, args.region, day, args.category or [], args.tier, args.scheme, args.lang)
    if args.format == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(render_steps(doc["steps"], args.lang) + "\n\n" + render_params(doc["parameters"], args.lang))
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
        print(msg("bundle.wrote", args.lang, path=args.output, version=ps.version, fingerprint=ps.fingerprint, n=len(ps.documents)), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


class VersionAction(argparse.Action):
    """`yibao --version`: the package, and the policy set it settles with by default (loaded only when asked)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        lang = wanted(sys.argv[1:])[0]
        print(msg("cli.version_package", lang, package=engine.__version__))
        ps = require_valid(load_policy_set())  # an invalid or missing set: exit 2 with its problems, after the version
        print(msg("cli.version_set", lang, version=ps.version, fingerprint=ps.fingerprint, n=len(ps.documents), root=ps.root))
        parser.exit(0)


MAIN_COMMANDS = ("validate", "evaluate", "params", "bundle")


def build_parser(lang: str = "zh", command_given: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of every command, its help in `lang` (only this module's when one of them is `command_given`)."""
    ap = Parser(prog="yibao", description=msg("help.description", lang)).localise(lang)
    ap.add_argument("--version", action=VersionAction, nargs=0, help=msg("help.version", lang))
    sub = ap.add_subparsers(dest="command", parser_class=Parser, title=msg("help.commands", lang))

    def command(name: str, helptext: str) -> Parser:
        return sub.add_parser(name, help=msg(helptext, lang) if helptext in CATALOGUE else helptext).localise(lang)

    p = command("validate", "help.cmd.validate")
    p.add_argument("dir", nargs="?", help=h(p, "policies"))
    p.add_argument("--policies", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--format", choices=("text", "json"), default="text", help=h(p, "format"))
    lang_arg(p)
    p.set_defaults(func=cmd_validate)
    p = command("evaluate", "help.cmd.evaluate")
    p.add_argument("case", help=h(p, "case"))
    p.add_argument("--strict", action="store_true", help=h(p, "strict"))
    p.add_argument("--min-grade", choices=GRADE_ORDER, metavar="GRADE", help=h(p, "min_grade"))
    p.add_argument("--no-trace", action="store_true", help=h(p, "no_trace"))
    policy_args(p)
    p.set_defaults(func=cmd_evaluate)
    p = command("params", "help.cmd.params")
    p.add_argument("--region", required=True, help=h(p, "region"))
    p.add_argument("--date", required=True, help=h(p, "date"))
    p.add_argument("--category", action="append", help=h(p, "category"))
    p.add_argument("--tier", type=int, help=h(p, "tier"))
    p.add_argument("--scheme", choices=("resident", "employee"), default="resident", help=h(p, "scheme"))
    policy_args(p)
    p.set_defaults(func=cmd_params)
    p = command("bundle", "help.cmd.bundle")
    p.add_argument("-o", "--output", metavar="FILE", help=h(p, "output"))
    policy_args(p)
    p.set_defaults(func=cmd_bundle)
    if command_given in MAIN_COMMANDS:  # the other command modules (and what they import) are not needed: 50 ms saved
        return ap
    for name, (helptext, adder) in extra_commands().items():
        adder(command(name, helptext))
    return ap


def extra_commands() -> dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]]:
    """The commands defined in the other cli modules, by name."""
    from engine.cli import batch, docs, review, serve

    return {**review.COMMANDS, **batch.COMMANDS, **docs.COMMANDS, **serve.COMMANDS}


def wanted(argv: list[str]) -> tuple[str, bool]:
    """The language and whether errors are JSON, read from the command line before parsing (usage errors need them)."""
    lang, as_json = "zh", False
    for i, a in enumerate(argv):
        nxt = argv[i + 1] if i + 1 < len(argv) else ""
        if a in ("--lang", "--format"):
            a = f"{a}={nxt}"
        if a == "--lang=en":
            lang = "en"
        elif a == "--format=json":
            as_json = True
    return lang, as_json


def report_error(code: str, message: str, problems: list, lang: str, as_json: bool, where: dict | None = None) -> None:
    """One error on stderr: `yibao: message` and its problems, or under --format json one JSON object."""
    if as_json:
        err = {"code": code, "message": message, **(where or {}), "problems": [p.as_json(lang) for p in problems]}
        print(json.dumps({"error": err}, ensure_ascii=False, indent=2), file=sys.stderr)
        return
    print(f"yibao: {message}", file=sys.stderr)
    for p in problems:
        print(f"  {p.render(lang)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a command and map failures to the contract's exit codes, never a traceback."""
    argv = sys.argv[1:] if argv is None else list(argv)
    lang, as_json = wanted(argv)
    thresholds = gc.get_threshold()
    if not argv or argv[0] != "serve":  # a command that ends soon collects cycles rarely, as mypy does (the service keeps
        gc.set_threshold(100_000, 50, 100)  # Python's default): collections were 10% of `yibao evaluate` on a long year
    try:
        return _run(argv, lang, as_json)
    finally:
        gc.set_threshold(*thresholds)


def _run(argv: list[str], lang: str, as_json: bool) -> int:
    """Parse the command line and run the command, mapping failures to the contract's exit codes."""
    try:
        args = build_parser(lang, argv[0] if argv else None).parse_args(argv)
        if not getattr(args, "func", None):
            raise UsageError(Text("usage.command_required"))
        return args.func(args)
    except PolicyError as exc:
        report_error("error.policy_set", msg("error.policy_set", lang, n=len(exc.problems)), exc.problems[:10], lang, as_json)
        return EXIT_USAGE
    except InputError as exc:
        report_error(exc.code, exc.render(lang), exc.problems, lang, as_json, exc.location())
        return EXIT_USAGE
    except MissingParameter as exc:
        text = msg("error.missing_value", lang, detail=exc.message, hint=exc.hint)
        report_error("error.missing_value", text, [], lang, as_json)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader stopped early (`| head`): bytes still buffered go nowhere, never to a traceback at exit
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the recipe of Python's signal documentation
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

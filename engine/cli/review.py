"""`yibao diff`, `yibao release-check` and `yibao test`: the reviewer's commands."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.cli.common import EXIT_FAIL, EXIT_OK, h, lang_arg, policy_args, policy_set
from engine.core.messages import Text, msg, tr
from engine.core.problems import InputError
from engine.review.gaps import DEFAULT_FROM, DEFAULT_TO
from engine.review.scenarios import DEFAULT_DIR, check_documents, load_scenario_files, render_report, report_json, run_scenario


def cmd_diff(args: argparse.Namespace) -> int:
    from engine.review.diff import render_markdown, run_diff  # imported when used: every other command starts faster

    report = run_diff(args.base, args.head, args.repo, impact=not args.no_impact, release=not args.no_release_check)
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_markdown(report, args.lang))
    return EXIT_FAIL if report.get("release", {}).get("errors") else EXIT_OK


def _diff_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("base", help=h(p, "base"))
    p.add_argument("head", help=h(p, "head"))
    p.add_argument("--repo", type=Path, help=h(p, "repo"))
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help=h(p, "format"))
    p.add_argument("--no-impact", action="store_true", help=h(p, "no_impact"))
    p.add_argument("--no-release-check", action="store_true", help=h(p, "no_release_check"))
    p.add_argument("--release-check", action="store_true", help=h(p, "release_check"))
    lang_arg(p)
    p.set_defaults(func=cmd_diff)


def _release_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("base", nargs="?", help=h(p, "release_base"))
    p.add_argument("head", nargs="?", help=h(p, "release_head"))
    p.add_argument("--repo", type=Path, help=h(p, "repo"))
    p.add_argument("--format", choices=("text", "json"), default="text", help=h(p, "format"))
    lang_arg(p)
    p.set_defaults(func=cmd_release_check)


def cmd_release_check(args: argparse.Namespace) -> int:
    """`yibao release-check [BASE] [HEAD]`: exit 1 on a release problem."""
    from engine.policy import policyset
    from engine.review.diff import run_diff
    from engine.review.release import last_release, require_checkout

    repo = Path(args.repo) if args.repo else policyset.REPO_ROOT
    require_checkout(repo, "yibao release-check")
    base = args.base or last_release(repo)
    if base is None:
        print(msg("release.skipped", args.lang, repo=repo))
        return EXIT_OK
    head = args.head or str(repo)
    rel = run_diff(base, head, repo, impact=False, release=True)["release"]
    if args.format == "json":
        sys.stdout.write(json.dumps(rel, ensure_ascii=False, indent=2) + "\n")
    else:
        for kind in ("errors", "warnings", "notes"):
            for e in rel[kind]:
                print(f"{msg('release.' + kind, args.lang)}: {tr(e, args.lang)}")
        state = msg("release.ok", args.lang) if rel["ok"] else msg("release.n_errors", args.lang, n=len(rel["errors"]))
        print(msg("release.summary", args.lang, base=base, head=head, state=state))
    return EXIT_OK if rel["ok"] else EXIT_FAIL


def cmd_test(args: argparse.Namespace) -> int:
    """Run scenario files against the chosen policy set."""
    paths = [Path(p) for p in args.paths] or [DEFAULT_DIR]
    scenarios, problems = load_scenario_files(paths)
    if not scenarios and not problems:
        raise InputError(Text("usage.no_scenarios", paths=", ".join(map(str, paths))))
    ps = policy_set(args)
    problems += check_documents(scenarios, ps)
    if problems:
        raise InputError(Text("usage.scenario_problems", n=len(problems)), sorted(problems))
    results = [run_scenario(ps, sc) for sc in scenarios]
    if args.format == "json":
        sys.stdout.write(json.dumps(report_json(results, ps), ensure_ascii=False, indent=2) + "\n")
    else:
        print(render_report(results, ps, args.lang))
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAIL


def _add_test(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help=h(p, "paths"))
    policy_args(p)
    p.set_defaults(func=cmd_test)


def cmd_gaps(args: argparse.Namespace) -> int:
    """`yibao gaps [--region CODE]`: every figure a settlement may need that no rule supplies; exit 1 if any."""
    from engine.review.gaps import gaps_report, render_gaps

    report = gaps_report(policy_set(args), args.region, args.first, args.last)
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_gaps(report, args.lang))
    return EXIT_FAIL if any(r["gaps"] for r in report["regions"]) else EXIT_OK


def _add_gaps(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", metavar="CODE", help=h(p, "gaps_region"))
    p.add_argument("--from", dest="first", type=int, default=DEFAULT_FROM, metavar="YEAR", help=h(p, "gaps_from"))
    p.add_argument("--to", dest="last", type=int, default=DEFAULT_TO, metavar="YEAR", help=h(p, "gaps_to"))
    policy_args(p)
    p.set_defaults(func=cmd_gaps)


COMMANDS = {
    "gaps": ("help.cmd.gaps", _add_gaps),
    "diff": ("help.cmd.diff", _diff_parser),
    "release-check": ("help.cmd.release-check", _release_parser),
    "test": ("help.cmd.test", _add_test),
}

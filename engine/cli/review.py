"""`yibao diff`, `yibao release-check` and `yibao test`: the reviewer's commands."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.cli.common import EXIT_FAIL, EXIT_OK, policy_args, policy_set
from engine.core.problems import InputError
from engine.review.diff import render_markdown, run_diff
from engine.core.paths import RELEASES_FILE
from engine.review.release import last_release, require_checkout
from engine.review.scenarios import DEFAULT_DIR, check_documents, load_scenario_files, render_report, report_json, run_scenario


def cmd_diff(args: argparse.Namespace) -> int:
    report = run_diff(args.base, args.head, args.repo, impact=not args.no_impact, release=not args.no_release_check)
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_markdown(report))
    return EXIT_FAIL if report.get("release", {}).get("errors") else EXIT_OK


def _diff_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("base", help="git revision of the repository, or a folder (policies/ or a repository root)")
    p.add_argument("head", help="git revision or folder, as BASE")
    p.add_argument("--repo", type=Path, help="git repository the revisions belong to (default: this one)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--no-impact", action="store_true", help="skip scenario tests and the synthetic population")
    p.add_argument("--no-release-check", action="store_true", help="report only; never exit 1")
    p.add_argument("--release-check", action="store_true", help="(default) check versions and CHANGELOG; exit 1 on a problem")
    p.set_defaults(func=cmd_diff)


def _release_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("base", nargs="?", help="release version, git revision or folder (default: the last release in releases.txt)")
    p.add_argument("head", nargs="?", help="git revision or folder (default: the working tree)")
    p.add_argument("--repo", type=Path, help="git repository the revisions belong to (default: this one)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_release_check)


def cmd_release_check(args: argparse.Namespace) -> int:
    """`yibao release-check [BASE] [HEAD]`: exit 1 on a release problem."""
    from engine.policy import policyset
    from engine.review.diff import run_diff

    repo = Path(args.repo) if args.repo else policyset.REPO_ROOT
    require_checkout(repo, "yibao release-check")
    base = args.base or last_release(repo)
    if base is None:
        print(f"release check skipped: no release tag v* and no release recorded in {repo / RELEASES_FILE}")
        return EXIT_OK
    head = args.head or str(repo)
    rel = run_diff(base, head, repo, impact=False, release=True)["release"]
    if args.format == "json":
        sys.stdout.write(json.dumps(rel, ensure_ascii=False, indent=2) + "\n")
    else:
        for e in rel["errors"]:
            print(f"error: {e}")
        for w in rel["warnings"]:
            print(f"warning: {w}")
        for n in rel["notes"]:
            print(f"note: {n}")
        print(f"release check {base} → {head}: " + ("ok" if rel["ok"] else f"{len(rel['errors'])} error(s)"))
    return EXIT_OK if rel["ok"] else EXIT_FAIL


def cmd_test(args: argparse.Namespace) -> int:
    """Run scenario files against the chosen policy set."""
    paths = [Path(p) for p in args.paths] or [DEFAULT_DIR]
    scenarios, problems = load_scenario_files(paths)
    if not scenarios and not problems:
        raise InputError(f"no scenarios found in {', '.join(map(str, paths))}")
    ps = policy_set(args)
    problems += check_documents(scenarios, ps)
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the scenario files", sorted(problems))
    results = [run_scenario(ps, sc) for sc in scenarios]
    if args.format == "json":
        sys.stdout.write(json.dumps(report_json(results, ps), ensure_ascii=False, indent=2) + "\n")
    else:
        print(render_report(results, ps, args.lang))
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAIL


def _add_test(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="scenario files or folders (default: tests/scenarios)")
    policy_args(p)
    p.set_defaults(func=cmd_test)


COMMANDS = {
    "diff": ("what changed between two versions of the policies, in words, with its impact", _diff_parser),
    "release-check": ("release problems since BASE (default: the last release in releases.txt): versions, CHANGELOG", _release_parser),
    "test": ("run the YAML scenario tests (default: tests/scenarios)", _add_test),
}

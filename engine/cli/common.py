"""What every command shares: exit codes, the argument parser's error form, and picking the policy set."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from engine.core.problems import InputError
from engine.policy.policyset import PolicySet, load_policy_set, require_valid

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(InputError):
    """Bad command-line usage."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit itself; we want our one-paragraph form
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def policy_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--policies", metavar="DIR", help="policy folder (default: the shipped one)")
    g.add_argument("--bundle", metavar="FILE", help="a bundle written by 'yibao bundle'")
    g.add_argument("--ref", metavar="GIT_REF", help="the policies/ folder of a release version (0.1.0) or git revision of this repository")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of text output")


def policy_set(args: argparse.Namespace) -> PolicySet:
    """The policy set the options pick, valid or an error."""
    if getattr(args, "bundle", None):
        from engine.policy.bundle import load_bundle

        return load_bundle(args.bundle)
    if getattr(args, "ref", None):
        from engine.policy.policyset import REPO_ROOT
        from engine.review.release import export_ref, require_checkout

        require_checkout(REPO_ROOT, "--ref")
        with tempfile.TemporaryDirectory(prefix="yibao-ref-") as tmp:
            export_ref(REPO_ROOT, args.ref, Path(tmp))
            return require_valid(load_policy_set(Path(tmp) / "policies"))
    return require_valid(load_policy_set(args.policies))

"""What every command shares: exit codes, the argument parser's error form, and picking the policy set."""
from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from engine.core.messages import Text, msg
from engine.core.problems import InputError
from engine.policy.policyset import PolicySet, load_policy_set, require_valid

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(InputError):
    """Bad command-line usage."""


_ARGPARSE = [  # argparse's own messages, as catalogue keys with their fields
    (re.compile(r"the following arguments are required: (?P<names>.+)"), "usage.required"),
    (re.compile(r"unrecognized arguments: (?P<names>.+)"), "usage.unrecognized"),
    (re.compile(r"argument command: invalid choice: (?P<value>\S+) \(choose from (?P<choices>.+)\)"), "usage.invalid_command"),
    (re.compile(r"argument (?P<arg>\S+): invalid choice: (?P<value>\S+) \(choose from (?P<choices>.+)\)"), "usage.invalid_choice"),
    (re.compile(r"argument (?P<arg>\S+): invalid (?P<kind>\S+) value: (?P<value>.+)"), "usage.invalid_value"),
    (re.compile(r"argument (?P<arg>\S+): expected one argument"), "usage.expected_one"),
    (re.compile(r"argument (?P<arg>\S+): not allowed with argument (?P<other>\S+)"), "usage.not_allowed"),
]
_KINDS = {"int": ("整数", "int"), "float": ("数字", "float")}


def usage_text(message: str) -> Text:
    """argparse's message as a catalogue sentence (any other message kept as it is)."""
    for pattern, key in _ARGPARSE:
        m = pattern.fullmatch(message)
        if m:
            fields = m.groupdict()
            if "kind" in fields:
                fields["kind"] = Text("usage.reason", zh=_KINDS.get(fields["kind"], (fields["kind"],) * 2)[0], en=fields["kind"])
            return Text(key, **fields)
    return Text("usage.other", detail=message)


class Formatter(argparse.HelpFormatter):
    """argparse's help with its own words ('usage: ') in the parser's language."""

    lang = "zh"

    def add_usage(self, usage, actions, groups, prefix=None) -> None:  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, prefix if prefix is not None else msg("help.usage", self.lang))


class Parser(argparse.ArgumentParser):
    """An argument parser whose help is in `lang` and whose errors are one catalogue sentence."""

    lang = "zh"

    def localise(self, lang: str) -> "Parser":
        """Help in `lang`: section titles, the help and version options, the usage prefix."""
        self.lang = lang
        self.formatter_class = type("Formatter", (Formatter,), {"lang": lang})
        self._positionals.title = msg("help.positionals", lang)
        self._optionals.title = msg("help.options", lang)
        for a in self._actions:
            if isinstance(a, argparse._HelpAction):
                a.help = msg("help.help", lang)
            elif isinstance(a, argparse._VersionAction):
                a.help = msg("help.version", lang)
        return self

    def error(self, message: str) -> None:  # argparse would exit itself; we want our one-paragraph form
        prog = self.prog.removeprefix("yibao").strip()
        raise UsageError(Text("usage.error", detail=usage_text(message), prog=f"yibao {prog}".strip()))


def h(p: argparse.ArgumentParser, key: str, **fields: object) -> str:
    """Help text `help.<key>` in the parser's language."""
    return msg(f"help.{key}", getattr(p, "lang", "zh"), **fields)


def policy_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--policies", metavar="DIR", help=h(p, "policies"))
    g.add_argument("--bundle", metavar="FILE", help=h(p, "bundle"))
    g.add_argument("--ref", metavar="GIT_REF", help=h(p, "ref"))
    p.add_argument("--format", choices=("text", "json"), default="text", help=h(p, "format"))
    lang_arg(p)


def lang_arg(p: argparse.ArgumentParser) -> None:
    """`--lang zh|en` (Chinese by default)."""
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help=h(p, "lang"))


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

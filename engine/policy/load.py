"""Safe YAML loading that keeps line and column of every value and refuses what a reviewer cannot see."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.core.limits import MAX_DEPTH, may_nest_deeper, number_problem
from engine.core.messages import Text, os_reason
from engine.core.problems import Problem

MAX_BYTES = 1_000_000
# libyaml's parser when PyYAML was built with it (about 8x faster); same safe schema either way.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Path_ = tuple  # a JSON-pointer-like path of keys and indices

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# Characters the YAML loader refuses or reads as line breaks, and the tab and backslash (indentation, escapes):
# a text holding any of them is read by the loader, never by `plain_json`.
_NOT_PLAIN = re.compile(r"[^\n\r\x20-\x5b\x5d-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Loaded:
    """A parsed document and the position of every node in it."""

    def __init__(self, path: str, data: Any, positions: dict[tuple, tuple[int, int]]) -> None:
        self.path, self.data, self.positions = path, data, positions

    def where(self, loc: tuple) -> tuple[int, int]:
        """Line and column of the deepest known node on `loc` (1-based)."""
        loc = tuple(loc)
        while loc not in self.positions and loc:
            loc = loc[:-1]
        return self.positions.get(loc, (1, 1))

    def problem(self, loc: tuple, message: str, field: str | None = None) -> Problem:
        """A problem located at `loc` in this file."""
        line, col = self.where(loc)
        name = field if field is not None else "/".join(str(p) for p in loc)
        return Problem(self.path, line, col, message, name)


class NotPlain(Exception):
    """A text `plain_json` leaves to the YAML loader, whose messages and positions say what is wrong with it."""


def _not_plain(*_: Any) -> Any:
    raise NotPlain()


def _plain_number(text: str) -> Any:
    if number_problem(text):
        raise NotPlain()
    return Decimal(text) if "." in text or "e" in text or "E" in text else int(text)


def _plain_int(text: str) -> int:
    return int(text) if len(text) < 16 else _plain_number(text)  # JSON's own integer syntax: short ones are within every limit


def _plain_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise NotPlain()
    return out


def plain_json(text: str, constant: Any = None, closed: bool = False) -> Any:
    """The data of a JSON text that the loader reads the same way (plain characters, within the limits), without
    positions; NotPlain if only the loader can say what it holds, json.JSONDecodeError if it is not JSON at all.
    `closed`: the caller's schema is closed at every level, so data nested past MAX_DEPTH never passes it and the
    depth is not scanned first (json.loads' own recursion limit is still caught)."""
    if not closed and may_nest_deeper(text):
        raise NotPlain()  # before json.loads, which recurses
    try:
        data = json.loads(text, parse_float=_plain_number, parse_int=_plain_int, parse_constant=constant or _not_plain,
                          object_pairs_hook=_plain_pairs)
    except RecursionError:  # only without the nesting check (`closed`); the loader counts depth itself
        raise NotPlain() from None
    if _NOT_PLAIN.search(text):
        raise NotPlain()
    return data


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns a composed YAML node tree into plain data, with exact decimals and checked dates."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.positions: dict[tuple, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def err(self, node: Node, message: str, loc: tuple) -> None:
        line, col = _mark(node)
        self.problems.append(Problem(self.path, line, col, message, "/".join(map(str, loc))))

    def build(self, node: Node, loc: tuple = ()) -> Any:
        self.positions.setdefault(loc, _mark(node))
        if getattr(node, "anchor", None):
            self.err(node, Text("load.anchor", name=node.anchor), loc)
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, ScalarNode):
                    self.err(knode, Text("load.key_plain"), loc)
                    continue
                if knode.tag == "tag:yaml.org,2002:merge":
                    self.err(knode, Text("load.merge_key"), loc)
                    continue
                key = knode.value
                if key in out:
                    line, _ = self.positions[loc + (key,)]
                    self.err(knode, Text("load.duplicate_key", key=key, line=line), loc + (key,))
                    continue
                self.positions[loc + (key,)] = _mark(knode)
                out[key] = self.build(vnode, loc + (key,))
                self.positions[loc + (key,)] = _mark(knode)
            return out
        if isinstance(node, SequenceNode):
            return [self.build(v, loc + (i,)) for i, v in enumerate(node.value)]
        return self.scalar(node, loc)

    def scalar(self, node: ScalarNode, loc: tuple) -> Any:
        text, tag = node.value, node.tag
        if node.style in ("'", '"', "|", ">"):
            return text
        if tag == "tag:yaml.org,2002:null" or text in ("", "~", "null", "Null", "NULL"):
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() in ("true", "yes", "on", "y")
        if _INT.match(text) or _FLOAT.match(text):
            bad = number_problem(text)
            if bad:
                self.err(node, Text(bad[0], **bad[1]), loc)
                return text
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            try:
                return Decimal(text)
            except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
                return text
        m = _DATE.match(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                self.err(node, Text("load.impossible_date", text=text), loc)
                return text
        if tag == "tag:yaml.org,2002:timestamp":
            self.err(node, Text("load.timestamp", text=text), loc)
            return text
        if text.startswith("!"):
            self.err(node, Text("load.tag", text=text), loc)
        return text


def limit_problems(loaded: Loaded) -> list[Problem]:
    """Every number (or decimal text) in the data that is too long, too large or too fine, located."""
    out: list[Problem] = []
    stack: list[tuple[tuple, Any]] = [((), loaded.data)]
    while stack:
        loc, v = stack.pop()
        if isinstance(v, dict):
            stack += [(loc + (k,), x) for k, x in v.items()]
        elif isinstance(v, list):
            stack += [(loc + (i,), x) for i, x in enumerate(v)]
        else:
            bad = number_problem(v)
            if bad:
                out.append(loaded.problem(loc, Text(bad[0], **bad[1])))
    return sorted(out)


def _syntax_problem(path: str, exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = getattr(exc, "problem", None) or str(exc)
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1]:
        what += " (tabs are not allowed for indentation: use spaces)"
    ctx = getattr(exc, "context", None)
    return Problem(path, line, col, Text("load.syntax", what=what, context=f" ({ctx})" if ctx else ""))


def load_text(text: str, path: str) -> tuple[Loaded | None, list[Problem]]:
    """Parse YAML (or JSON) text safely into a Loaded document, or report why not."""
    depth = 0
    for event in _events(text, path):
        if isinstance(event, Problem):
            return None, [event]
        if isinstance(event, yaml.AliasEvent):
            line, col = _mark(event)
            return None, [Problem(path, line, col, Text("load.alias", name=event.anchor))]
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:  # stop here: the composer recurses (libyaml's crashes) on deep nesting
                line, col = _mark(event)
                return None, [Problem(path, line, col, Text("error.too_deep", limit=MAX_DEPTH))]
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    try:
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(path, exc, text)]
    if len(nodes) != 1 or nodes[0] is None:
        return None, [Problem(path, 1, 1, Text("load.one_document"))]
    builder = _Builder(path)
    data = builder.build(nodes[0])
    return Loaded(path, data, builder.positions), builder.problems


def _events(text: str, path: str):
    """Scan events first so aliases are refused before any expansion can happen."""
    try:
        yield from yaml.parse(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        yield _syntax_problem(path, exc, text)


def load_file(path: Path | str, display: str | None = None) -> tuple[Loaded | None, list[Problem]]:
    """Read a UTF-8 file of at most MAX_BYTES and parse it with `load_text`."""
    text, problems = file_text(path, display)
    if text is None:
        return None, problems
    return load_text(text, display or str(path))


def file_text(path: Path | str, display: str | None = None) -> tuple[str | None, list[Problem]]:
    """The text of a UTF-8 file of at most MAX_BYTES (a leading BOM dropped), or why it cannot be read."""
    p = Path(path)
    name = display or str(path)
    try:
        st = p.stat()
    except OSError as exc:
        if p.is_symlink():
            return None, [Problem(name, 1, 1, Text("error.broken_link", path=name, target=os.readlink(p)))]
        return None, [Problem(name, 1, 1, Text("file.cannot_read", why=os_reason(exc)))]
    if not stat.S_ISREG(st.st_mode):
        return None, [Problem(name, 1, 1, Text("error.not_a_file", path=name))]
    size = st.st_size
    if size > MAX_BYTES:
        return None, [Problem(name, 1, 1, Text("file.too_big", size=size, limit=MAX_BYTES))]
    try:
        raw = p.read_bytes()
    except OSError as exc:
        return None, [Problem(name, 1, 1, Text("file.cannot_read", why=os_reason(exc)))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Problem(name, line, col, Text("file.not_utf8", byte=f"{raw[exc.start]:02x}"))]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, []

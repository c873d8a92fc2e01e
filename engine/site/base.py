"""What every docs-site page module shares: the Site model, page paths and links, labels, orderings, the reverse index."""
from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from engine.policy.model import Document, Period, Rule
from engine.policy.policyset import PolicySet
from engine.core.registry import CATEGORIES, NATIONAL, PARAMETERS, REGIONS, layer

DEFAULT_REPO_URL = "https://github.com/example/yibao-rules"
STATUS = {"draft": "草案 draft", "in_force": "现行有效 in force", "expired": "已失效 expired",
          "superseded": "已被替代 superseded", "reference": "参考数据 reference data"}
RELATIONS = ("implements", "supersedes", "amends")


@dataclass
class Site:
    """Generated pages (docs-relative path -> Markdown), their edit sources, and build notes."""

    pages: dict[str, str] = field(default_factory=dict)
    edit_paths: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # page -> what it shows, for the navigation

    def example_pages(self) -> list[str]:
        """The worked-example pages (examples/<case>.md), sorted."""
        return sorted(p for p in self.pages if p.startswith("examples/") and p.count("/") == 1 and p != "examples/index.md")

    def scenario_pages(self) -> list[str]:
        """The scenario-test pages (examples/scenarios/…), sorted."""
        return sorted(p for p in self.pages if p.startswith("examples/scenarios/"))


# -- paths and links -----------------------------------------------------------
def notice_page(doc_id: str) -> str:
    """Page of a notice."""
    return f"notices/{doc_id}.md"


def region_page(code: str) -> str:
    """Page of a region."""
    return f"regions/{code}.md"


def link(src: str, dst: str, anchor: str = "") -> str:
    """A Markdown link target from page `src` to page `dst` (both docs-relative .md paths)."""
    rel = posixpath.relpath(dst, posixpath.dirname(src) or ".")
    return rel + (f"#{anchor}" if anchor else "")


def url(src: str, dst: str, anchor: str = "") -> str:
    """An HTML href from page `src` to page `dst` under directory URLs (for raw HTML and SVG)."""
    def as_dir(p: str) -> str:
        stem = p[:-3]
        if stem == "index":
            return ""
        return stem[: -len("index")] if stem.endswith("/index") else stem + "/"
    rel = posixpath.relpath(as_dir(dst) or ".", as_dir(src) or ".")
    return ("./" if rel == "." else rel + "/") + (f"#{anchor}" if anchor else "")


def code_link(src: str, key: str, ps: PolicySet) -> str:
    """`doc` or `doc#rule` in code, linked to the notice (and the rule's anchor) when the notice exists."""
    doc_id, _, rid = key.partition("#")
    if doc_id not in ps.documents:
        return f"`{key}`"
    return f"[`{key}`]({link(src, notice_page(doc_id), rid)})"


def doc_link(src: str, doc_id: str, ps: PolicySet) -> str:
    """A notice's title linked to its page, then its id; the bare id if unknown."""
    doc = ps.documents.get(doc_id)
    if doc is None:
        return f"`{doc_id}`"
    return f"[{doc_title(doc)}]({link(src, notice_page(doc_id))}) `{doc_id}`"


def source_path(ps: PolicySet, doc: Document) -> str:
    """Repository path of a document's YAML file (policies/…)."""
    try:
        rel = Path(doc.path).resolve().relative_to(Path(ps.root).resolve())
    except ValueError:
        rel = Path(Path(doc.path).name)
    return "policies/" + rel.as_posix()


# -- labels ------------------------------------------------------------------------
def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\n", " ").replace("|", "\\|").strip()


def why_text(exc: Exception) -> str:
    """Why something does not settle, in Chinese then English, safe in a table cell."""
    from engine.core.messages import msg, tr
    from engine.core.problems import MissingParameter

    if isinstance(exc, MissingParameter):
        zh = msg("error.missing_value", "zh", detail=exc.message, hint=exc.hint)
        en = msg("error.missing_value", "en", detail=exc.message, hint=exc.hint)
    else:
        zh, en = str(tr(getattr(exc, "message", str(exc)), "zh")), str(exc)
    return cell(zh if zh == en else f"{zh} / {en}")


def short(text: str, n: int = 22) -> str:
    """Text cut to at most n characters, with an ellipsis if cut."""
    return text if len(text) <= n else text[: n - 1] + "…"


def region_name(code: str) -> str:
    """Chinese and English name of a region."""
    r = REGIONS.get(code)
    return f"{r.zh} {r.en}" if r else code


def category_tab(cat: str | None) -> str:
    """A short tab label for a category."""
    return "普通参保人" if cat is None else CATEGORIES[cat][0]


def tab_header(cat: str | None) -> list[str]:
    """The opening lines of a content tab for a category."""
    return [f'=== "{category_tab(cat)}"', ""]


def category_name(cat: str | None) -> str:
    """Chinese and English label of a category (None = ordinary insured)."""
    if cat is None:
        return "普通参保人 ordinary insured"
    zh, en = CATEGORIES[cat]
    return f"{zh} {en}"


GRADE_BADGES = {"primary": ("✔", "yb-verified"), "secondary": ("◐", "yb-secondary"), "low": ("⚠", "yb-unverified"),
                "inferred": ("≈", "yb-inferred"), "seed": ("◌", "yb-seed")}


def badge(grade: "str | bool") -> str:
    """A confidence-grade badge (一手 primary, 二手 secondary, 低 low, 推算 inferred, 种子 seed)."""
    from engine.core.registry import GRADES

    if isinstance(grade, bool):
        grade = "primary" if grade else "low"
    mark, css = GRADE_BADGES[grade]
    zh, en, _ = GRADES[grade]
    return f'<span class="yb-badge {css}" title="可信度 confidence grade">{mark} {zh} {en}</span>'


def period_text(start: dt.date, end: dt.date | None) -> str:
    """A half-open period in words."""
    return f"{start.isoformat()} 起 from … {end.isoformat()} 止（不含 exclusive）" if end else f"{start.isoformat()} 起 from …（未设截止 open-ended）"


def span_text(period: Period) -> str:
    """A period as 'start – end' in a table cell ('…' if open-ended)."""
    return f"{period.start} – {period.end.isoformat() if period.end else '…'}"


def fmt_value(param: str, shown: str | None) -> str:
    """A value from params_table as a reader expects it: rates as percentages, money in yuan."""
    if shown is None:
        return "—"
    kind = PARAMETERS[param].kind
    if kind in ("rate", "bands") and ";" not in shown and "from" not in shown:
        return f"{(Decimal(shown) * 100).normalize():f}%"
    if kind in ("money", "cap"):
        return f"{shown} 元"
    if kind == "months":
        return f"{shown} 个月"
    return shown


def doc_title(doc: Document) -> str:
    """A document's Chinese title."""
    return doc.title.get("zh") or doc.title.get("en") or doc.id


# -- orderings ---------------------------------------------------------------------
def regions_with_documents(ps: PolicySet) -> list[str]:
    """Every region that has documents, national first, then by layer and code."""
    codes = {d.jurisdiction for d in ps.documents.values()}
    return sorted(codes, key=lambda c: (layer(c) if c in REGIONS else 9, c != NATIONAL, c))


def categories_with_rules(rules: Iterable[Rule]) -> list[str]:
    """Categories some rule names, in registry order."""
    named = {c for r in rules for c in r.who.categories}
    return [c for c in CATEGORIES if c in named]


def own_documents(ps: PolicySet, code: str) -> list[Document]:
    """The documents a region issued itself, by start date and id."""
    return sorted((d for d in ps.documents.values() if d.jurisdiction == code), key=lambda d: (d.period.start, d.id))


def by_layer(docs: Iterable[Document]) -> list[Document]:
    """Documents national first, then by layer, start date and id."""
    return sorted(docs, key=lambda d: (layer(d.jurisdiction), d.period.start, d.id))


# -- reverse indexes -----------------------------------------------------------
@dataclass
class Index:
    """Who implements, supersedes or amends what: the references in the data and their reverse."""

    rule_implemented_by: dict[str, list[Rule]]
    doc_refs_in: dict[tuple[str, str], list[str]]  # (kind, doc_id) -> documents that reference it
    relations: list[tuple[str, str, str]]  # (doc_id, kind, target doc_id) in document order

    @classmethod
    def build(cls, ps: PolicySet) -> "Index":
        """The index of a policy set."""
        by_rule: dict[str, list[Rule]] = {}
        for r in ps.rules:
            for k in r.implements:
                by_rule.setdefault(k, []).append(r)
        relations = [(d.id, kind, target) for d in ps.documents.values() for kind in RELATIONS for target in d.raw.get(kind) or ()]
        refs: dict[tuple[str, str], list[str]] = {}
        for doc_id, kind, target in relations:
            refs.setdefault((kind, target), []).append(doc_id)
        return cls(by_rule, refs, relations)

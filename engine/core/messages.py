"""The message catalogue: every user-facing sentence in Chinese and English, looked up by a stable key."""
from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

# Each entry: key -> (Chinese, English), with str.format fields. Keys are stable: JSON errors and tests use them.
# One dict per area keeps the catalogue readable; add a key to the area that shows it.

# Settlement trace: each step a sentence as the notice says it.
TRACE: dict[str, tuple[str, str]] = {
    "trace.not_computed": ("未计算：{reason}", "not computed: {reason}"),
}

# Errors: bad input, bad usage, invalid policies.
ERRORS: dict[str, tuple[str, str]] = {
    "error.input": ("输入有误：{detail}", "bad input: {detail}"),
}

# Command-line output, reports and review.
CLI: dict[str, tuple[str, str]] = {
    "unknown.not_computed": ("未计算：缺少{what}", "not computed: {what} missing"),
    "unknown.undetermined": ("不确定", "undetermined"),
}

CATALOGUE: dict[str, tuple[str, str]] = {**TRACE, **ERRORS, **CLI}


def msg(key: str, lang: str = "zh", **fields: Any) -> str:
    """The sentence for `key` in `lang` (zh or en), its fields filled in; an unknown key is a programming error."""
    zh, en = CATALOGUE[key]
    return (en if lang == "en" else zh).format(**fields)

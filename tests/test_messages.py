"""The message catalogue: every key has both languages with the same fields."""
from __future__ import annotations

import string

import pytest

from engine.core.messages import CATALOGUE, msg


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_both_languages_take_the_same_fields(key):
    zh, en = CATALOGUE[key]
    assert zh and en and _fields(zh) == _fields(en), key


def test_chinese_is_the_default():
    assert msg("unknown.not_computed", what="医疗救助比例") == "未计算：缺少医疗救助比例"
    assert msg("unknown.not_computed", "en", what="the assistance rate") == "not computed: the assistance rate missing"

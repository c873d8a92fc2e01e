"""The message catalogue: every key has both languages with the same fields."""
from __future__ import annotations

import string

import pytest

from engine.core.messages import CATALOGUE, msg


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


# A field only one language shows must be a name in words or its id: Chinese names a parameter, region or category in
# words (住院起付线) where English keeps the id (basic_insurance.inpatient.deductible); callers pass both.
WORDS_OR_IDS = {"label", "parameter", "param", "param_id", "region", "region_id", "series", "series_id", "cats", "cat_ids",
                "scheme", "scheme_id", "tier", "tier_id", "level", "level_id", "who", "who_id", "zh", "en"}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_both_languages_take_the_same_fields(key):
    zh, en = CATALOGUE[key]
    assert zh and en, key
    assert _fields(zh) ^ _fields(en) <= WORDS_OR_IDS, (key, _fields(zh) ^ _fields(en))


def test_chinese_is_the_default():
    assert msg("unknown.not_computed", what="医疗救助比例") == "未计算：缺少医疗救助比例"
    assert msg("unknown.not_computed", "en", what="the assistance rate") == "not computed: the assistance rate missing"

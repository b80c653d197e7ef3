"""X's weighted length, checked against cases of twitter-text's conformance suite
(validate.yml, WeightedTweetsWithDiscountedEmojiCounterTest, configuration v3)."""

from __future__ import annotations

import pytest

from connectors.twitter_text import MAX_WEIGHTED_LENGTH, weighted_length

_X = "xxxxxxxxxx-"
_CJK = ("故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。"
        "朱雀桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。"
        "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"
        "泪湿罗巾梦不成，夜深前殿按歌声。红颜未老恩先断，斜倚薰笼坐到明。"
        "独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。")
_FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
_PUNCTUATION = ("This is a tweet with general punctuation characters: "
                "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b "
                "‐ ‑ ‒ – — ― ‖  ‗ ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ ‴ ‵ ‶ ‷")


@pytest.mark.parametrize(("text", "expected"), [
    ("I am a Tweet", 12),
    ("285 chars-" + _X * 25, 285),
    ("285 chars- http://www.twitter.com/jack " + _X * 24, 299),
    (_X * 24 + " http://www.twitter.com/jack ", 289),
    ("https://www.twitter.com/aloha " * 10, 240),
    (_CJK, 320),
    ("the" + _CJK, 323),
    ("\U0001f637" * 160, 320),
    ("A\u0301B", 2),  # "Á" written as A + combining accent is normalised into 1
    ("A\ufb2c", 4),  # "שּׁ" is normalised into 3 characters
    ("H\U0001f431☺" + _FAMILY, 7),  # a ZWJ family is one emoji
    ("\U0001f637\U0001f47e\U0001f621\U0001f525\U0001f4a9", 10),
    ("\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4", 4),  # skin tone, ZWJ profession
    (_PUNCTUATION, 110),
    ("randomurl" * 7 + "s.com", 68),  # a 64-character label is not a domain
    ("Test https://test.com test https://test.com test.com test", 86),
])
def test_weighted_length_as_twitter_text_counts(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_a_long_link_fits_where_its_characters_would_not() -> None:
    link = "https://help.example.com/" + "a" * 300
    reply = "Sorry about that, the steps are here: " + link
    assert len(reply) > MAX_WEIGHTED_LENGTH
    assert weighted_length(reply) == len("Sorry about that, the steps are here: ") + 23

from __future__ import annotations

import pytest

from complaint_desk.text import (
    _DROPPED,
    compact_view,
    fold,
    normalize,
    repeated_runs,
    split_sentences,
    to_simplified,
)


def test_traditional_to_simplified_keeps_length() -> None:
    text = "我的包裹已經等了一個星期，這個問題我解決不了"
    converted = to_simplified(text)
    assert converted == "我的包裹已经等了一个星期，这个问题我解决不了"
    assert len(converted) == len(text)


def test_fold_halfwidth_and_lowercase() -> None:
    assert fold("ＡＰＰ１２３！") == "app123!"
    assert len(fold("全角　空格")) == len("全角　空格")


@pytest.mark.parametrize("text", ["😡😡退款！！", "my order 没到 ASAP", "  \n  ", "🙂", "Ｗｉ‐Ｆｉ坏了"])
def test_normalize_never_breaks_on_emoji_or_english(text: str) -> None:
    assert isinstance(normalize(text), str)
    assert "  " not in normalize(text)


def test_compact_view_maps_back_to_original_characters() -> None:
    text = "这件事 不 歸-我管，请见谅"
    view = compact_view(text)
    start = view.text.index("不归我管")
    original_start, original_end = view.original_span(start, start + 4)
    assert text[original_start:original_end] == "不 歸-我管"


@pytest.mark.parametrize("text", ["", "   ", "“不归我管”", "a  b…c", "不 归 我 管", "……说了算——", "～～好的～"])
def test_compact_view_maps_every_kept_character_to_itself(text: str) -> None:
    view = compact_view(text)
    kept = [index for index, ch in enumerate(fold(text)) if ch not in _DROPPED]
    assert [view.original_index(index) for index in range(len(view.text))] == kept


def test_repeated_runs_are_maximal_and_the_scan_goes_on() -> None:
    text, source = "您好我们会为您补发同款商品，谢谢，我们会为您补发", "我们会为您补发同款"
    spans = repeated_runs(len(text), 4, lambda start, end: text[start:end] in source)
    assert [text[start:end] for start, end in spans] == ["我们会为您补发同款", "我们会为您补发"]
    assert repeated_runs(3, 4, lambda start, end: True) == []


def test_sentences_have_offsets() -> None:
    text = "您好。非常抱歉！您看可以吗？"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["您好。", "非常抱歉！", "您看可以吗？"]
    assert all(text[s.start : s.end] == s.text for s in sentences)

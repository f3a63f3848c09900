"""Chinese text handling shared by triage, retrieval, drafting and checks.

Normalisation is character-for-character wherever possible (traditional → simplified,
full-width → half-width), so that a span found in the normalised text maps straight back
to the same characters of what the user typed, for highlighting.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import opencc

_WHITESPACE = re.compile(r"\s+")
_SENTENCE_END = "。！？!?；;\n…"


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# full-width ASCII and the ideographic space → their half-width forms
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def to_simplified(text: str) -> str:
    """Traditional → simplified, keeping the length (falls back to per-character)."""
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(c if len(c := _t2s().convert(ch)) == 1 else ch for ch in text)


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Length-preserving normalisation: simplified characters, half-width ASCII, lower case.

    Cached: every check and the move tagger fold the same draft again.
    """
    return to_simplified(text).translate(_HALFWIDTH).lower()


def normalize(text: str) -> str:
    """Model input: folded text with runs of whitespace collapsed."""
    return _WHITESPACE.sub(" ", fold(text)).strip()


@dataclass(frozen=True)
class TextView:
    """A folded, compacted view of a text with a map back to the original offsets.

    Checks match phrases on `text`, which has spaces and filler punctuation removed so
    that "不 归 我 管" and "不归-我管" match like "不归我管"; `original_span` turns a hit
    back into the characters the user wrote. The map is kept as the compact positions
    where characters were dropped (few), not one offset per character.
    """

    original: str
    text: str
    gaps: tuple[int, ...]  # for each dropped character, the compact index it sat before

    def original_index(self, index: int) -> int:
        return index + bisect_right(self.gaps, index)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if start >= len(self.text):
            return len(self.original), len(self.original)
        return self.original_index(start), self.original_index(max(start, end - 1)) + 1


_DROPPED = " \t\r\u3000-_~～·*'\"“”‘’「」『』…"
_DROP_TABLE = str.maketrans("", "", _DROPPED)
_DROP_RUN = re.compile("[" + re.escape(_DROPPED) + "]")


def compact_view(text: str) -> TextView:
    folded = fold(text)
    gaps = tuple(match.start() - index for index, match in enumerate(_DROP_RUN.finditer(folded)))
    return TextView(text, folded.translate(_DROP_TABLE), gaps)


def shares_run(text: str, sources: Sequence[str], size: int) -> bool:
    """Whether any `size` characters in a row of text stand in one of the sources."""
    return any(text[i : i + size] in source for i in range(len(text) - size + 1) for source in sources)


def repeated_runs(length: int, size: int, copied: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """Maximal spans of a text of `length` characters, each at least `size` long, that were
    copied from somewhere: `copied(start, end)` says whether text[start:end] was.

    A span grows one character at a time while it still counts as copied; the scan goes on
    after it. The guard uses it for reference replies pasted into a draft, the checks for
    the prompt's own instructions repeated in one.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    while start + size <= length:
        if not copied(start, start + size):
            start += 1
            continue
        end = start + size
        while end < length and copied(start, end + 1):
            end += 1
        spans.append((start, end))
        start = end
    return spans


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their offsets; a closing quote stays with its sentence."""
    sentences: list[Sentence] = []
    start = 0
    index = 0
    while index < len(text):
        if text[index] in _SENTENCE_END:
            end = index + 1
            while end < len(text) and (text[end] in _SENTENCE_END or text[end] in "”」』\"'）)"):
                end += 1
            _append_sentence(sentences, text, start, end)
            start = index = end
            continue
        index += 1
    _append_sentence(sentences, text, start, len(text))
    return sentences


def _append_sentence(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    lead = len(chunk) - len(chunk.lstrip())
    sentences.append(Sentence(start + lead, start + lead + len(stripped), stripped))

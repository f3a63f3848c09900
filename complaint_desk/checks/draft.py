"""A draft prepared once for every check: compact view, quotations, candidate patterns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from complaint_desk.checks.rules import RULE_SPECS
from complaint_desk.pattern_index import LabelledIndex, labelled_index
from complaint_desk.text import TextView, compact_view

QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』", "‘": "’", '"': '"', "'": "'"}
# Reported speech before a hit in the same clause: the agent is citing, not saying it.
REPORTED = re.compile(r"被(说|认为|指责|怀疑|告知)|(?<![跟和对给向])您(刚才|之前|也)?(说|提到|反映|讲|表示|认为|提出|要求|希望|问)|(客服|工作人员|同事|员工|师傅|骑手|快递员|对方|他|她|他们)(当时|之前|曾|都)?(说|称|回复|告诉您|表示|讲)")


def phrase_index() -> LabelledIndex:
    """Every rule's phrase patterns, so that one pass over a draft's characters rules most out."""
    return labelled_index(tuple((spec.id, spec.patterns) for spec in RULE_SPECS.values() if spec.patterns))


def leftmost_hits(patterns: Sequence[re.Pattern[str]], text: str) -> list[re.Match[str]]:
    """Non-overlapping hits of any pattern, leftmost (then longest) first.

    Each pattern (each top-level alternative of a rule's pattern) is scanned on its own
    rather than as one alternation: Python's re skips ahead on a literal prefix, which a
    joined alternation defeats, and the pattern index can rule most parts out unscanned.
    """
    hits = sorted((m for p in patterns for m in p.finditer(text) if m.end() > m.start()),
                  key=lambda m: (m.start(), -m.end()))
    kept: list[re.Match[str]] = []
    for match in hits:
        if not kept or match.start() >= kept[-1].end():
            kept.append(match)
    return kept


_OPENER = re.compile("[" + re.escape("".join(QUOTE_PAIRS)) + "]")


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges inside quotation marks in the original text."""
    ranges: list[tuple[int, int]] = []
    index = 0
    while opener := _OPENER.search(text, index):
        index = opener.start()
        end = text.find(QUOTE_PAIRS[opener.group()], index + 1)
        if end != -1 and end - index <= 80:
            ranges.append((index, end + 1))
            index = end + 1
        else:
            index += 1
    return ranges


SENTENCE_BREAK = re.compile(r"[。！!？?；;\n]")
FULL_STOP = re.compile(r"[。！!？?\n]")  # a sentence's end, where a semicolon only joins its halves
CLAUSE_BREAK = re.compile(r"[。！!？?；;\n，,：:]")


def bounds(text: str, start: int, end: int, breaks: re.Pattern[str]) -> tuple[int, int]:
    left = max((m.end() for m in breaks.finditer(text, 0, start)), default=0)
    right = breaks.search(text, end)
    return left, right.start() if right else len(text)


@dataclass(frozen=True)
class Draft:
    """A draft prepared once for all checks."""

    text: str
    view: TextView
    quotes: tuple[tuple[int, int], ...]
    candidates: dict[str, list[re.Pattern[str]]]  # per rule, the patterns its characters admit

    @classmethod
    def of(cls, text: str) -> Draft:
        view = compact_view(text)
        candidates: dict[str, list[re.Pattern[str]]] = {}
        for rule_id, pattern in phrase_index().admitted(set(view.text)):
            candidates.setdefault(rule_id, []).append(pattern)
        return cls(text, view, tuple(quoted_ranges(text)), candidates)

    def is_quoted(self, start: int, end: int) -> bool:
        return any(q_start <= start and end <= q_end for q_start, q_end in self.quotes)

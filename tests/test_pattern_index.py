"""The pattern index may skip a regex only when it could not have matched."""

from __future__ import annotations

import re

import pytest

from complaint_desk.checks import draft as checks
from complaint_desk.checks import moves
from complaint_desk.pattern_index import PatternIndex, needs_of, split_alternatives
from complaint_desk.privacy import PII_PATTERNS
from complaint_desk.text import compact_view, fold
from eval.check_eval import CHECK_SETS, load_check_set


def _needs(pattern: str) -> set[str]:
    return {"".join(sorted(need)) for need in needs_of(re.compile(pattern))}


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"不(归|属于)(我|我们)(的)?管", {"不", "属归", "我", "管"}),
    (r"(?<!不)(请|希望)?(您|你)?(冷静|理智)", {"冷智"}),
    (r"(您|你)(需要|得)?(自己|自行|亲自)[^。]{0,8}?(联系|找)", {"你您", "亲自", "找联"}),
    (r"[0-9]+号", {"0123456789", "号"}),
    (r"[\u4e00-\u9fff]{2,12}路", {"路"}),
    (r"^(?=.*(吗|呢)).*[?？]", {"?？"}),
    (r"(甲|乙.*)丙|丁", {"丁丙"}),
    (r".*", set()),
])
def test_needs_are_read_off_the_parse_tree(pattern: str, expected: set[str]) -> None:
    assert _needs(pattern) == expected


def test_case_insensitive_patterns_are_never_skipped() -> None:
    index = PatternIndex([re.compile("refund", re.IGNORECASE), re.compile("(?i:sla)"), re.compile("退款")])
    assert index.admitted("REFUND please") == [0, 1]


@pytest.mark.parametrize(("text", "admitted"), [
    ("", [2]),
    ("这不归我管", [0, 2]),
    ("这不归他管", [2]),
    ("您自己联系", [1, 2]),
    ("自己联系", [2]),
])
def test_admitted_needs_every_need_met(text: str, admitted: list[int]) -> None:
    index = PatternIndex(re.compile(p) for p in (r"不(归|属于)(我|我们)管", r"(您|你)自己联系", r"\w*"))
    assert index.admitted(text) == admitted


@pytest.mark.parametrize(("pattern", "parts"), [
    ("a|b(c|d)", ["a", "b(c|d)"]),
    (r"[|]x|\|y|(?:p|q)", ["[|]x", r"\|y", "(?:p|q)"]),
    ("[]|]z|w", ["[]|]z", "w"]),
    ("[^]|]z|w", ["[^]|]z", "w"]),
    ("single", ["single"]),
])
def test_split_alternatives_only_at_the_top_level(pattern: str, parts: list[str]) -> None:
    assert split_alternatives(pattern) == parts


def _texts() -> list[str]:
    drafts = [row["text"] for path in CHECK_SETS.values() if path.exists() for row in load_check_set(path)]
    return [fold(text) for text in drafts] + [compact_view(text).text for text in drafts]


@pytest.mark.parametrize("name", ["phrase", "move cues", "pii"])
def test_index_never_skips_a_pattern_that_matches(name: str) -> None:
    """On every labelled draft, each pattern the checks' own index skips finds nothing."""
    index = {"phrase": checks.phrase_index().index, "move cues": moves.cue_index().index, "pii": PatternIndex(PII_PATTERNS.values())}[name]
    skipped_total = 0
    for text in _texts():
        admitted = set(index.admitted(text))
        skipped = [p for i, p in enumerate(index.patterns) if i not in admitted]
        skipped_total += len(skipped)
        assert not [p.pattern for p in skipped if p.search(text)], text
    assert skipped_total > 0  # the index does rule patterns out


@pytest.mark.parametrize("cue", [cue for spec in moves.MOVE_SPECS.values() for cue in spec.cues])
def test_a_cue_matches_when_one_of_its_alternatives_does(cue: str) -> None:
    whole, parts = re.compile(cue), [re.compile(part) for part in split_alternatives(cue)]
    for text in _texts()[:400]:
        for clause in re.findall(r"[^，,；;。！!？?\n：:]+[，,；;。！!？?\n：:]*", text):
            assert bool(whole.search(clause)) == any(part.search(clause) for part in parts)

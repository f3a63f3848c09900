"""Another customer's words in a draft: text lifted from the reference cases the request
showed the writer (their complaint or the reply they were sent).

Small models paste a few-shot reply whole, with that customer's amounts, dates and story,
and quote their complaint back; the wording passes every phrase rule, so the copy is found
by comparing with the cases themselves. Wording that many replies share, or that the
composer's phrase bank offers, is everyone's and does not count.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache

from complaint_desk.cases.base import load_builtin_cases
from complaint_desk.domain import Case, Violation
from complaint_desk.drafting.plan import phrasebank
from complaint_desk.text import repeated_runs

COPY_RUN = 12  # this many characters in a row of another customer's case is copying, not learning
SHARED_BY = 2  # a run found in this many built-in replies is stock wording
_SENTENCE_END = re.compile(r"[。！!？?；;\n]")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _windows(text: str) -> set[str]:
    return {text[i : i + COPY_RUN] for i in range(len(text) - COPY_RUN + 1)}


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _bank_sentences() -> Iterator[str]:
    """Every sentence the composer can write, its {time} and {restate} filled every way, and
    each with its commas as full stops too (a model ends the same stock clause either way)."""
    bank = phrasebank()
    fillers = {"time": list(_strings(bank["follow_up"]["times"])), "restate": list(_strings(bank["restate"]))}
    for text in _strings(bank):
        filled = [text]
        for name, options in fillers.items():
            if "{" + name + "}" in text:
                filled = [f.replace("{" + name + "}", option) for f in filled for option in options]
        for sentence in filled:
            yield sentence
            yield sentence.replace("，", "。")


@lru_cache(maxsize=1)
def shared_wording() -> frozenset[str]:
    """COPY_RUN-character runs that belong to no one customer: found in several built-in
    replies, or in the composer's phrase bank (placeholders split the templates)."""
    counts: Counter[str] = Counter()
    for case in load_builtin_cases():
        counts.update(_windows(case.reply))
    bank = {window for text in _bank_sentences() for part in _PLACEHOLDER.split(text) for window in _windows(part)}
    return frozenset({window for window, count in counts.items() if count >= SHARED_BY} | bank)


def copied_from(text: str, cases: Iterable[Case]) -> list[Violation]:
    """Spans of the draft that repeat a reference case's complaint or reply."""
    shared = shared_wording()
    found: list[Violation] = []
    for case in cases:
        for source, whose in ((case.complaint, "投诉"), (case.reply, "回复")):
            def pasted(start: int, end: int, source: str = source) -> bool:
                piece = text[start:end]
                if not piece.strip() or _SENTENCE_END.search(piece[:-1]) or piece not in source:
                    return False  # a run ends with its sentence: stock openings and closings join there
                return end - start > COPY_RUN or piece not in shared

            found += [Violation(rule="unfounded", start=start, end=end, span=text[start:end], copied_from=case.id,
                                message=f"照抄了参考案例的{whose}（那是另一位客户的情况）。",
                                fix="参考案例只学处理方式，按这位客户的情况重写。")
                      for start, end in repeated_runs(len(text), COPY_RUN, pasted)]
    return sorted(found, key=lambda v: v.start)

"""Skip a regex on a text that lacks a character every match of it needs.

A draft is checked against over a hundred phrase patterns and each clause against some
150 move cues; most of them cannot match because the text lacks, say, any of 归/属 or
自/亲. Reading those needs off each pattern once (from its parse tree) and testing a
text's characters against them is far cheaper than letting the regex engine scan, and
exact: only patterns that could not have matched are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, reduce
from itertools import repeat
from operator import or_
from re import _constants as sre_constants  # the parser behind re.compile (Python ≥ 3.11)
from re import _parser as sre_parse

_MAX_RANGE = 64  # a wider class ([\u4e00-\u9fff]) tells nothing useful
_ZERO_WIDTH = {sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT}
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT,
            getattr(sre_constants, "POSSESSIVE_REPEAT", sre_constants.MAX_REPEAT)}
_GROUPS = {sre_constants.SUBPATTERN, getattr(sre_constants, "ATOMIC_GROUP", sre_constants.SUBPATTERN)}


def _class_chars(items: list) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is sre_constants.LITERAL:
            chars.add(chr(av))
        elif op is sre_constants.RANGE and av[1] - av[0] < _MAX_RANGE:
            chars.update(chr(code) for code in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY, wide ranges
            return None
    return frozenset(chars)


def _body(op: object, av: object) -> list | None:
    """The sub-pattern inside a group or repeat; None when an inline flag (?i:…) changes
    what its literals match."""
    if op in _REPEATS:
        return list(av[2])  # type: ignore[index]
    if op is sre_constants.SUBPATTERN:
        return None if av[1] & re.IGNORECASE else list(av[-1])  # type: ignore[index]
    return list(av)  # type: ignore[arg-type]


def _first(items: list) -> tuple[frozenset[str] | None, bool]:
    """Characters a match of `items` can start with (None: any), and whether it can be empty."""
    chars: set[str] = set()
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is sre_constants.LITERAL:
            return frozenset(chars | {chr(av)}), False
        if op is sre_constants.IN:
            found = _class_chars(av)
            return (None, False) if found is None else (frozenset(chars | found), False)
        if op is sre_constants.BRANCH:
            results = [_first(list(alt)) for alt in av[1]]
            if any(found is None for found, _ in results):
                return None, False
            for found, _ in results:
                chars |= found  # type: ignore[arg-type]
            if not any(empty for _, empty in results):
                return frozenset(chars), False
            continue
        if op in _GROUPS or op in _REPEATS:
            body = _body(op, av)
            if body is None:
                return None, False
            found, empty = _first(body)
            if found is None:
                return None, False
            chars |= found
            if not empty and not (op in _REPEATS and av[0] == 0):
                return frozenset(chars), False
            continue
        return None, False  # ANY, NOT_LITERAL, CATEGORY, GROUPREF …
    return frozenset(chars), True


def _needed(items: list) -> list[frozenset[str]]:
    """Character sets of which a match must contain at least one character each."""
    needed: list[frozenset[str]] = []
    for op, av in items:
        if op is sre_constants.LITERAL:
            needed.append(frozenset(chr(av)))
        elif op is sre_constants.IN:
            found = _class_chars(av)
            if found is not None:
                needed.append(found)
        elif op is sre_constants.BRANCH:
            # each alternative's narrowest need, or the characters they start with
            choices = [_narrowest_need(list(alternative)) for alternative in av[1]]
            first, empty = _first([(op, av)])
            offers = [first] if first is not None and not empty else []
            if all(choice is not None for choice in choices):
                offers.append(frozenset().union(*choices))  # type: ignore[arg-type]
            if offers:
                needed.append(min(offers, key=_selectivity))
        elif op in _GROUPS or (op in _REPEATS and av[0] >= 1):
            body = _body(op, av)
            needed.extend(_needed(body) if body is not None else ())
    return needed


# The most frequent characters of Chinese prose and of service replies: a need made of them
# rules little out, so when a choice is open a set without them is preferred.
_COMMON = frozenset("的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作"
                    "里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实"
                    "您请给把被让很再已将")


def _narrowest_need(items: list) -> frozenset[str] | None:
    """One set a match of `items` must touch, the most selective on offer (fewest
    characters, then fewest common ones); None if there is none."""
    first, empty = _first(items)
    candidates = _needed(items) + ([first] if first is not None and not empty else [])
    return min(candidates, key=_selectivity, default=None)


def _selectivity(need: frozenset[str]) -> tuple[int, int]:
    return len(need), len(need & _COMMON)


def needs_of(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """The character sets every match of a compiled pattern touches (none when flags
    change what a literal matches); a set that contains another one adds nothing."""
    if pattern.flags & re.IGNORECASE:
        return ()
    needs = set(_needed(list(sre_parse.parse(pattern.pattern, pattern.flags))))
    return tuple(sorted((need for need in needs if not any(other < need for other in needs)), key=len))


class PatternIndex:
    """Many patterns, and which of them a text's characters admit, in a few integer ops.

    Every need of every pattern is one bit; a character's mask has the bits of the needs
    it belongs to, so OR-ing a text's character masks marks the needs it meets. The bits
    of one pattern sit side by side under a guard bit: adding one at the block's bottom
    carries into the guard exactly when all of them are set.
    """

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        self.patterns = tuple(patterns)
        self._char_bits: dict[str, int] = {}
        self._needed = self._bottoms = self._guards = 0
        self._pattern_of_guard: dict[int, int] = {}
        bit = 0
        for index, pattern in enumerate(self.patterns):
            self._bottoms |= 1 << bit
            for need in needs_of(pattern):
                for char in need:
                    self._char_bits[char] = self._char_bits.get(char, 0) | 1 << bit
                self._needed |= 1 << bit
                bit += 1
            self._guards |= 1 << bit
            self._pattern_of_guard[bit] = index
            bit += 1

    def admitted(self, text: Iterable[str]) -> list[int]:
        """Indices (ascending) of the patterns that could match a text with these characters."""
        met = reduce(or_, map(self._char_bits.get, text, repeat(0)), 0)
        full = ((met & self._needed) + self._bottoms) & self._guards
        found = []
        while full:
            lowest = full & -full
            found.append(self._pattern_of_guard[lowest.bit_length() - 1])
            full ^= lowest
        return found


def split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern: "a|b(c|d)" → ["a", "b(c|d)"].

    A text matches the whole when it matches any part, and a part that starts with a
    literal lets the engine skip ahead, which one long alternation does not.
    """
    parts, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            index += pattern.startswith("^", index + 1)
            index += pattern.startswith("]", index + 1)  # a leading "]" is a literal
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
        index += 1
    return parts + [pattern[start:]]


@dataclass(frozen=True)
class LabelledIndex:
    """The top-level alternatives of several labelled patterns (a rule's phrases, a move's
    cues) in one index, each part knowing its label."""

    index: PatternIndex
    labels: tuple[str, ...]

    def admitted(self, text: Iterable[str]) -> list[tuple[str, re.Pattern[str]]]:
        """(label, part) for every part the text's characters admit, in pattern order."""
        return [(self.labels[i], self.index.patterns[i]) for i in self.index.admitted(text)]


@lru_cache(maxsize=8)
def labelled_index(groups: tuple[tuple[str, tuple[str, ...]], ...]) -> LabelledIndex:
    """The index of (label, patterns) groups; cached on their contents, so an index built
    from specs is rebuilt when a spec's patterns change and reused while they do not."""
    parts = [(label, part) for label, patterns in groups for pattern in patterns for part in split_alternatives(pattern)]
    return LabelledIndex(PatternIndex(re.compile(part) for _, part in parts), tuple(label for label, _ in parts))

"""Repairing a draft that still breaks rules after regeneration, one strategy per kind of rule.

Each RuleSpec names its repair (`spec.repair`); `repair()` runs the strategies in a fixed
order (format and personal data first, then wording, then the script's structure),
re-checking in between, and applies a strategy when a remaining violation's spec asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from complaint_desk.checks import RULE_SPECS, tag_clauses
from complaint_desk.checks.draft import Draft
from complaint_desk.checks.format import STEP_LABELS, leaked_prompt
from complaint_desk.domain import CheckResult, Violation
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.composer import sentence
from complaint_desk.drafting.plan import answers_inquiry
from complaint_desk.drafting.request import DraftRequest
from complaint_desk.privacy import mask_pii
from complaint_desk.text import split_sentences

_MARKDOWN = (
    (re.compile(r"\*\*([^*\n]+)\*\*|__([^_\n]+)__"), lambda m: m.group(1) or m.group(2)),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s*[-*•·]\s+", re.M), ""),
    (re.compile(r"^\s*[0-9一二三四五六七]+\s*[.、)）]\s*", re.M), ""),
    (re.compile("(" + "|".join(STEP_LABELS) + r")\s*[:：]"), ""),
    (re.compile(r"第[一二三四五六七八九1-9]步\s*[:：]?|【[^】]{1,10}】"), ""),
    (re.compile(r"^\s*(客服回复|坐席回复|客服人员|回复内容|客服|坐席|回复|助手|assistant|ai)\s*[:：]\s*", re.M | re.I), ""),
    (re.compile(r"^.*(以下是.{0,12}(回复|草稿)|回复(草稿|如下)|作为(一[个名])?(ai|人工智能|语言模型|助手)).*$", re.M | re.I), ""),
    (re.compile(r"<\|im_(start|end)\|>(assistant|user|system)?"), ""),
    # template placeholders a model leaves in: "尊敬的[客户姓名]", "[您的名字]"
    (re.compile(r"尊敬的\s*[\[［][^\]］\n]{1,16}[\]］]"), "尊敬的客户"),
    (re.compile(r"[\[［][^\]］\n]{1,16}[\]］]"), ""),
)
_CLAUSE_END = "，,。！!？?；;\n"
_DOUBLED = re.compile(r"([，,。！!？?；;])[，,。；;]+")
_LEADING = re.compile(r"(^|\n)[，,。；;]+")
_LEAK_TAIL = re.compile(r"^[：:，,；;]\s*")
FEELINGS = ("empathize", "apologize")


def cap_length(text: str, limit: int) -> str:
    """Cut an over-long draft at the last sentence end within the limit."""
    if len(text) <= limit:
        return text
    kept = ""
    for piece in split_sentences(text):
        if piece.end > limit:
            break
        kept = text[: piece.end]
    return kept or text[:limit]


def strip_format(text: str) -> str:
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    paragraphs = [re.sub(r"\s*\n\s*", "", block).strip() for block in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def drop_leaked_prompt(text: str) -> str:
    """Cut instructions to the writer that the model repeated, with the colon or comma after."""
    for leak in sorted(leaked_prompt(Draft.of(text)), key=lambda v: -v.start):
        text = text[: leak.start] + _LEAK_TAIL.sub("", text[leak.end :])
    return text


def _clause_span(text: str, start: int, end: int) -> tuple[int, int]:
    left = start
    while left > 0 and text[left - 1] not in _CLAUSE_END:
        left -= 1
    right = end
    while right < len(text) and text[right] not in _CLAUSE_END:
        right += 1
    return left, right


def tidy(text: str) -> str:
    """Punctuation left behind by removed clauses."""
    return _LEADING.sub(r"\1", _DOUBLED.sub(r"\1", text)).strip()


def replace_clauses(text: str, violations: Sequence[Violation], _request: DraftRequest | None = None) -> str:
    """Swap each offending clause for its rule's example wording, or cut it where the rule
    has none (lecturing the customer has no better wording), right to left."""
    for violation in sorted(violations, key=lambda v: -v.start):
        spec = RULE_SPECS[violation.rule]
        if spec.repair != "replace_clause" or violation.end <= violation.start:
            continue
        left, right = _clause_span(text, violation.start, violation.end)
        if spec.example is None:
            right += 1 if right < len(text) and text[right] in "，,；;" else 0
            text = text[:left] + text[right:]
        else:
            text = text[:left] + spec.example + text[right:]
    return tidy(text)


def plain_words(text: str, violations: Sequence[Violation], _request: DraftRequest | None = None) -> str:
    """Jargon replaced by the words its spec gives a customer instead."""
    for violation in sorted(violations, key=lambda v: -v.start):
        spec = RULE_SPECS[violation.rule]
        plain = spec.plain_words.get(violation.span.lower().replace(" ", "")) if spec.repair == "plain_words" else None
        if plain:
            text = text[: violation.start] + plain + text[violation.end :]
    return text


_GREETING = re.compile(r"^\s*(?:您好|你好|尊敬的[^，,：:。]{0,12})[，,：:！!。]?")


def feelings_first(text: str, _violations: Sequence[Violation], request: DraftRequest) -> str:
    """Move empathy and apology sentences ahead of the first solution sentence, keeping the
    greeting first and a closing thank-you last; where a sentence fuses the plan with the
    apology and cannot be moved whole, the composer's empathy and apology follow the greeting."""
    greeting = _GREETING.match(text)
    head, body = (text[: greeting.end()], text[greeting.end() :]) if greeting else ("", text)
    clauses = tag_clauses(body, inquiry=answers_inquiry(request))  # the script the check applied
    pieces = split_sentences(body)
    closing = pieces.pop() if pieces and _only_thanks(pieces[-1].text) else None
    feeling, other = [], []
    for piece in pieces:
        moves = {c.dominant for c in clauses if piece.start <= c.start < piece.end}
        (feeling if moves & set(FEELINGS) and not moves & {"solve"} else other).append(piece.text)
    moved = head + "".join(feeling) + "\n\n" + "".join(other) + (closing.text if closing else "")
    if "script_order" in check_for_request(moved, request).rules:
        return insert_missing(moved, request, list(FEELINGS))
    return moved


def _only_thanks(sentence_text: str) -> bool:
    moves = set().union(*(c.moves for c in tag_clauses(sentence_text)))
    return "thank" in moves and not moves & {"solve", "consult", "follow_up", "apologize"}


def insert_moves(text: str, violations: Sequence[Violation], request: DraftRequest) -> str:
    missing = [v.move for v in violations if v.rule == "missing_move" and v.move]
    return insert_missing(text, request, missing) if missing else text


def insert_missing(text: str, request: DraftRequest, missing: Sequence[str]) -> str:
    """Write each missing move with the composer and put it where the script wants it:
    feelings right after the greeting, plan/consult/follow-up before a closing thank-you.
    Only the agent's one-click fix does this (they read the result); a model's draft that
    needs it is rewritten whole by the composer instead (drafting/guard.py)."""
    before = "".join(sentence(m, request) for m in FEELINGS if m in missing)
    before = before.removeprefix("您好，") if _GREETING.match(text) else before
    after = "".join(sentence(m, request) for m in ("solve", "consult", "follow_up") if m in missing)
    if after:
        pieces = split_sentences(text)
        closing = pieces[-1] if pieces else None
        if closing is not None and _only_thanks(closing.text):
            text = text[: closing.start].rstrip() + after + text[closing.start :]
        else:
            text = text.rstrip() + after
    greeting = _GREETING.match(text)
    cut = greeting.end() if greeting else 0
    return text[:cut] + before + text[cut:]


Strategy = Callable[[str, Sequence[Violation], DraftRequest], str]
# in the order they run: the letter's surface first, then its wording, then its structure
STRATEGIES: dict[str, Strategy] = {
    "strip_format": lambda text, _v, _r: drop_leaked_prompt(strip_format(text)),
    "mask_pii": lambda text, _v, _r: mask_pii(text),
    "plain_words": plain_words,
    "replace_clause": replace_clauses,
    "feelings_first": feelings_first,
    "insert_moves": insert_moves,
}


STRUCTURAL = frozenset({"feelings_first", "insert_moves"})  # they add or move whole sentences


def repair(text: str, result: CheckResult, request: DraftRequest, structural: bool = True) -> str:
    """Apply, in order, each strategy that a remaining violation's spec asks for; without
    `structural`, only edits inside the letter's own sentences (no sentence added or moved)."""
    current = result
    for name, strategy in STRATEGIES.items():
        if not structural and name in STRUCTURAL:
            continue
        if any(RULE_SPECS[v.rule].repair == name for v in current.violations):
            text = strategy(text, current.violations, request)
            current = check_for_request(text, request)
    return cap_length(text.strip(), request.max_draft_chars)

"""The guard around every model: check, regenerate with feedback, repair, mark.

1. the backend writes a draft (capped in length);
2. the draft checks run; on violations the backend is asked again with the violations as
   feedback, a bounded number of times;
3. what still fails is repaired where the rule has an approved alternative (the offending
   clause is replaced, markdown stripped, personal numbers masked, a missing move written
   by the composer, feelings moved before facts);
4. anything left is returned with its violations marked. Nothing is ever sent here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from complaint_desk.domain import CheckResult, Violation
from complaint_desk.drafting.backends import LLMBackend
from complaint_desk.drafting.composer import sentence
from complaint_desk.drafting.request import DraftRequest
from complaint_desk.eval.checks import STEP_LABELS, Draft, check_draft, leaked_prompt
from complaint_desk.eval.moves import tag_clauses
from complaint_desk.text import mask_pii, repeated_runs, split_sentences

# Replacement clauses: the SPEC's approved direction, phrased to fit mid-letter.
CLAUSE_FIXES: dict[str, str | None] = {
    "cannot_solve": "我马上帮您联系能处理这个问题的同事",
    "policy_refusal": "办理这项业务还需要一些材料，我们会告诉您具体需要准备什么",
    "not_my_job": "这件事由我们来联系核实，您不用自己跑",
    "dont_know": "我为您联系熟悉这方面的同事，给您准确的答复",
    "leader_decided": "感谢您的意见，我们会向上反映",
    "final_answer": "如果您对处理结果不满意，我们会继续跟进",
    "result_deadline": "处理进展我们会及时与您联系告知",
    "over_promise": "我们会为您争取合理的解决方案",
    "argue": "我们会认真核实具体情况",
    "insincere": "这次给您添了麻烦，我们真诚地向您道歉",
    "blame": None,  # lecturing the customer has no better wording: the clause goes
}
PLAIN_WORDS: dict[str, str] = {
    "工单流转": "转交", "流转": "转交", "二线": "专门的同事", "工单": "您的问题", "sla": "处理时限", "风控": "安全检查",
    "拦截件": "拦截退回", "核保": "保险审核", "走oa": "内部审批", "oa": "内部", "挂起": "暂停处理", "调账": "调整账目",
    "冲正": "撤销这笔交易", "妥投": "签收", "问题件": "异常包裹", "异常件": "异常包裹", "滞留件": "滞留的包裹",
    "建单": "登记", "派单": "安排", "质检": "质量检查", "客诉": "投诉",
}
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


@dataclass
class GuardedDraft:
    text: str
    result: CheckResult
    backend: str
    first_draft: str
    attempts: int = 1
    repaired: bool = False
    history: list[tuple[str, list[str]]] = field(default_factory=list)


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


def _clause_span(text: str, start: int, end: int) -> tuple[int, int]:
    left = start
    while left > 0 and text[left - 1] not in _CLAUSE_END:
        left -= 1
    right = end
    while right < len(text) and text[right] not in _CLAUSE_END:
        right += 1
    return left, right


def replace_clauses(text: str, violations: list[Violation]) -> str:
    """Swap each offending clause for the rule's approved wording (right to left)."""
    for violation in sorted(violations, key=lambda v: -v.start):
        if violation.rule not in CLAUSE_FIXES or violation.end <= violation.start:
            continue
        left, right = _clause_span(text, violation.start, violation.end)
        replacement = CLAUSE_FIXES[violation.rule]
        if replacement is None:
            right += 1 if right < len(text) and text[right] in "，,；;" else 0
            text = text[:left] + text[right:]
        else:
            text = text[:left] + replacement + text[right:]
    return text


def plain_words(text: str, violations: list[Violation]) -> str:
    for violation in sorted((v for v in violations if v.rule == "jargon"), key=lambda v: -v.start):
        plain = PLAIN_WORDS.get(violation.span.lower().replace(" ", ""))
        if plain:
            text = text[: violation.start] + plain + text[violation.end :]
    return text


def feelings_first(text: str, request: DraftRequest) -> str:
    """Move empathy and apology sentences ahead of the first solution sentence."""
    clauses = tag_clauses(text, inquiry=request.topic == "inquiry")
    sentences = split_sentences(text)
    feeling, other = [], []
    for piece in sentences:
        moves = {c.dominant for c in clauses if piece.start <= c.start < piece.end}
        (feeling if moves & {"empathize", "apologize"} and not moves & {"solve"} else other).append(piece.text)
    return "".join(feeling) + "\n\n" + "".join(other)


def insert_missing(text: str, request: DraftRequest, missing: list[str]) -> str:
    """Write each missing move with the composer and put it where the script wants it:
    feelings at the top, plan/consult/follow-up before a closing thank-you."""
    before = "".join(sentence(m, request) for m in ("empathize", "apologize") if m in missing)
    after = "".join(sentence(m, request) for m in ("solve", "consult", "follow_up") if m in missing)
    if after:
        pieces = split_sentences(text)
        closing = pieces[-1] if pieces else None
        closing_moves = set().union(*(c.moves for c in tag_clauses(closing.text))) if closing else set()
        if "thank" in closing_moves and not closing_moves & {"solve", "consult", "follow_up", "apologize"}:
            text = text[: closing.start].rstrip() + after + text[closing.start :]
        else:
            text = text.rstrip() + after
    return before + text


_DOUBLED = re.compile(r"([，,。！!？?；;])[，,。；;]+")
_LEADING = re.compile(r"(^|\n)[，,。；;]+")


def tidy(text: str) -> str:
    """Punctuation left behind by removed clauses."""
    return _LEADING.sub(r"\1", _DOUBLED.sub(r"\1", text)).strip()


_LEAK_TAIL = re.compile(r"^[：:，,；;]\s*")


def drop_leaked_prompt(text: str) -> str:
    """Cut instructions to the writer that the model repeated, with the colon or comma after."""
    for leak in sorted(leaked_prompt(Draft.of(text)), key=lambda v: -v.start):
        text = text[: leak.start] + _LEAK_TAIL.sub("", text[leak.end :])
    return text


def repair(text: str, result: CheckResult, request: DraftRequest) -> str:
    rules = set(result.rules)
    if "format" in rules:
        text = drop_leaked_prompt(strip_format(text))
    if "pii_leak" in rules:
        text = mask_pii(text)
    current = check_draft(text, request.topic, compensation_limit=request.max_compensation)
    text = plain_words(text, current.violations)
    current = check_draft(text, request.topic, compensation_limit=request.max_compensation)
    text = tidy(replace_clauses(text, current.violations))
    current = check_draft(text, request.topic, compensation_limit=request.max_compensation)
    if "script_order" in current.rules:
        text = feelings_first(text, request)
        current = check_draft(text, request.topic, compensation_limit=request.max_compensation)
    if "script_order" in current.rules:
        # a sentence that mixes the plan with the apology cannot be moved whole: open with
        # the composer's empathy and apology instead, so the feelings still come first
        text = insert_missing(text, request, ["empathize", "apologize"])
        current = check_draft(text, request.topic, compensation_limit=request.max_compensation)
    missing = [m for m in ("empathize", "apologize", "solve", "consult", "follow_up")
               if any(v.rule == "missing_move" and _MOVE_NAME[m] in v.message for v in current.violations)]
    if missing:
        text = insert_missing(text, request, missing)
    return cap_length(text.strip(), request.max_draft_chars)


_MOVE_NAME = {
    "empathize": "安抚共情", "apologize": "真诚道歉", "solve": "给出方案", "consult": "征求意见", "follow_up": "跟进承诺",
}


COPY_RUN = 20  # this many characters in a row taken from a reference reply is copying, not learning
COPIED_MESSAGE = "照抄了参考案例的回复（那是另一位客户的情况）。"


def copied_from_examples(text: str, request: DraftRequest) -> list[Violation]:
    """Spans of the draft lifted from the reference cases' replies.

    Small models paste a few-shot reply whole, with that customer's amounts, dates and
    story; the wording passes every phrase rule, so the guard compares against the examples.
    """
    found: list[Violation] = []
    for case in request.examples:
        def pasted(start: int, end: int, reply: str = case.reply) -> bool:
            return bool(text[start:end].strip()) and text[start:end] in reply

        found += [Violation(rule="format", start=start, end=end, span=text[start:end], message=COPIED_MESSAGE,
                            fix="参考案例只学处理方式，按这位客户的情况重写。")
                  for start, end in repeated_runs(len(text), COPY_RUN, pasted)]
    return found


def check_for_request(text: str, request: DraftRequest) -> CheckResult:
    """The eval checks plus what only the request knows: text copied from its reference cases."""
    result = check_draft(text, request.topic, compensation_limit=request.max_compensation)
    copied = copied_from_examples(text, request)
    if not copied:
        return result
    violations = sorted([*result.violations, *copied], key=lambda v: v.start)
    return result.model_copy(update={"passed": False, "violations": violations})


def guard(request: DraftRequest, backend: LLMBackend, max_regenerations: int, first: str | None = None) -> GuardedDraft:
    """Draft, check, regenerate with feedback, repair; `first` is a draft already generated."""
    text = cap_length((first if first is not None else backend.generate(request)).strip(), request.max_draft_chars)
    outcome = GuardedDraft(text=text, result=check_for_request(text, request), backend=backend.name, first_draft=text)
    outcome.history.append((text, outcome.result.rules))
    while not outcome.result.passed and outcome.attempts <= max_regenerations and backend.name != "composer":
        retry = request.with_feedback(outcome.text, outcome.result.violations)
        if any(v.message == COPIED_MESSAGE for v in outcome.result.violations):
            retry = replace(retry, examples=())  # a model that pastes the examples gets none to paste
        outcome.text = cap_length(backend.generate(retry).strip(), request.max_draft_chars)
        outcome.result = check_for_request(outcome.text, request)
        outcome.attempts += 1
        outcome.history.append((outcome.text, outcome.result.rules))
    if not outcome.result.passed:
        outcome.text = repair(outcome.text, outcome.result, request)
        outcome.result = check_for_request(outcome.text, request)
        outcome.repaired = True
        outcome.history.append((outcome.text, outcome.result.rules))
    return outcome


@dataclass(frozen=True)
class StreamEvent:
    """A step of a streamed draft: growing text, then the guarded result."""

    text: str
    done: bool = False
    outcome: GuardedDraft | None = None
    status: str = ""


def guard_stream(request: DraftRequest, backend: LLMBackend, max_regenerations: int) -> Iterator[StreamEvent]:
    """Stream the first draft as it is written, then guard it and yield the final result."""
    text = ""
    for chunk in backend.stream(request):
        text += chunk
        yield StreamEvent(text=text, status="正在生成草稿…")
        if len(text) > request.max_draft_chars * 2:
            break
    first = check_for_request(cap_length(text.strip(), request.max_draft_chars), request)
    if not first.passed:
        yield StreamEvent(text=text, status="草稿未通过检查，正在修改…")
    outcome = guard(request, backend, max_regenerations, first=text)
    yield StreamEvent(text=outcome.text, done=True, outcome=outcome, status="")


"""`unfounded` (SPEC): a reply may state as done or known only what the complaint or the
agent's notes say, and may name only amounts, dates and numbers that come from them (or
from policy and a supervisor's approval).

This check needs the complaint and the notes, so it runs where they are known: the
workflow's drafting, live check and approval, and `complaint-desk check` rows that carry
them. A draft checked on its own text (the labelled check sets) cannot be judged here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from complaint_desk.checks.draft import FULL_STOP, Draft, bounds
from complaint_desk.checks.money import amounts
from complaint_desk.checks.rules import RULE_SPECS
from complaint_desk.domain import Violation
from complaint_desk.text import fold

# what a company says it has done, by kind: a claim is grounded when the complaint or the
# notes mention the same kind of action (the notes "已查到包裹在驿站" ground "我们查询了…")
ACTIONS: dict[str, tuple[str, ...]] = {
    "check": ("查询", "查到", "查明", "查实", "核实", "核查", "核对", "确认", "调取", "查看", "了解到"),
    "contact": ("联系", "通知", "沟通", "致电", "打电话", "回电"),
    "refund": ("退款", "退还", "退回", "返还", "赔付", "补偿", "打款", "到账"),
    "ship": ("补发", "重发", "重新发", "发出", "寄出", "发货", "送达", "派送", "安排"),
    "discipline": ("批评", "处罚", "教育", "考核", "追责"),
    "escalate": ("升级", "提交", "上报", "登记", "反馈给", "转交"),
    "fix": ("更换", "调换", "换货", "修复", "恢复", "解冻", "取消", "撤销", "关闭", "退订", "维修", "修好", "处理好", "解决了"),
    "book": ("预约", "预订", "订好"),
}
_VERB = "|".join(sorted({verb for verbs in ACTIONS.values() for verb in verbs}, key=len, reverse=True))
_KIND = {verb: kind for kind, verbs in ACTIONS.items() for verb in verbs}
# 已/已经 + (为您/帮您…) + verb, or verb + 了/过/好 after 我们/我/同事…: a completed action;
# 会/将/正在/尽快 before it makes it a promise, which is what the reply should say instead
_DONE = re.compile(
    rf"(?<![会将要没未])(?:已经|已)(?:经)?(?:为您|帮您|给您|替您|向您|和您)?(?:[把对向][^，。！？]{{0,10}}?(?:进行了?)?)?"
    rf"(?P<a>{_VERB})"
    rf"|(?:我们|我|公司|同事|客服|师傅)(?:刚刚|刚才|今天|昨天)?(?:为您|帮您|给您)?(?P<b>{_VERB})(?:了|过)(?!解)"
)
# a completed action named as what a later contact will confirm ("明天联系您，确认退票已经提交")
_CONFIRMED_LATER = re.compile(r"(?:会|将|再|去)[^。！？]{0,20}?(?:确认|看看|核实|问问|告诉您)[^，。！？]{0,8}$")
_NUMERAL = re.compile(r"\d+(?:\.\d+)?")
_DATE = re.compile(r"\d{1,2}月\d{1,2}[日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
_NUMBER = re.compile(r"(?<![\d*])[A-Za-z]{0,3}\d{6,}(?![\d*])")


def _kinds(text: str) -> set[str]:
    return {_KIND[verb] for verb in _KIND if verb in text}


def check_grounding(draft: Draft, complaint: str, notes: str, granted: Iterable[float] = (),
                    limit: float | None = None, goodwill: float = 0.0) -> list[Violation]:
    """Completed actions, amounts, dates and order-like numbers the draft states that neither
    the complaint nor the notes (nor policy or an approval: `granted`) give it. An amount
    above `limit` is left to the approval check (asking a supervisor is its remedy); with no
    limit (a supervisor writing) the amount is the approver's own decision. A gesture no larger
    than policy's `goodwill` amount is an offer the sender may make, not a fact from nowhere;
    a number the customer wrote without 元 ("满50减15") still comes from them; and notes are
    what the agent looked up, so with notes "我们查看了记录" is true."""
    said = [match.group("a") or match.group("b") for match in _DONE.finditer(fold(complaint))]
    known = _kinds(fold(notes)) | {_KIND[verb] for verb in said}  # "你们已经退款了，可是…" grounds it too
    if notes.strip():
        known.add("check")
    spec = RULE_SPECS["unfounded"]

    def unfounded(start: int, end: int, what: str) -> Violation:
        return Violation(rule="unfounded", start=start, end=end, span=draft.text[start:end],
                         message=spec.message.format(what=what), fix=spec.fix)

    folded = fold(draft.text)
    found = [unfounded(m.start(), m.end(), f"已经{m.group('a') or m.group('b')}")
             for m in _DONE.finditer(folded) if _KIND[m.group("a") or m.group("b")] not in known
             and not _CONFIRMED_LATER.search(folded[bounds(folded, m.start(), m.start(), FULL_STOP)[0] : m.start()])]
    sources = complaint + "\n" + notes
    allowed = ({float(value) for value in granted} | {a.value for a in amounts(sources)}
               | {float(n) for n in _NUMERAL.findall(sources)})
    found += [unfounded(a.start, a.end, f"{a.value:g} 元") for a in amounts(draft.text)
              if a.value not in allowed and a.value > goodwill and limit is not None and a.value <= limit]
    found += [unfounded(m.start(), m.end(), f"{what}「{m.group()}」")
              for pattern, what in ((_DATE, "日期"), (_NUMBER, "单号或编号")) for m in pattern.finditer(draft.text)
              if m.group() not in complaint + notes]
    return sorted(found, key=lambda v: v.start)

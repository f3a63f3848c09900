"""Compensation offered in a draft, and the `over_promise` of an amount above the limit an
agent may grant without a supervisor."""

from __future__ import annotations

import re

from complaint_desk.checks.draft import CLAUSE_BREAK, Draft, bounds
from complaint_desk.domain import Violation
from complaint_desk.text import fold

_AMOUNT = re.compile(r"(补偿|赔偿|赔付|赔|赠送|额外送|送您|补贴|报销)(您|你|给您)?(现金|红包|金额)?([0-9]+(?:\.[0-9]+)?)\s*(元|块)")
_APPROVED = re.compile(r"审批|批准|主管同意|经主管|领导批示|特批")
# amounts the customer is owed by contract are not the agent's promise
_BY_CONTRACT = re.compile(r"(按|根据|依据|依照)(照)?[^，,。！？!?]{0,8}?(条款|规定|标准|合同|协议|保价|价保|保单|三包|约定|法律|法规|规则|政策)")


def offered_amounts(text: str) -> list[tuple[float, int, int]]:
    """Compensation amounts a draft offers, with their spans."""
    folded = fold(text)
    return [(float(m.group(4)), m.start(), m.end()) for m in _AMOUNT.finditer(folded)]


def check_amount(draft: Draft, limit: float) -> list[Violation]:
    """An offer above what an agent may grant alone, without saying it was approved."""
    if _APPROVED.search(draft.view.text):
        return []
    folded = fold(draft.text)
    return [
        Violation(rule="over_promise", start=start, end=end, span=draft.text[start:end],
                  message=f"补偿 {amount:g} 元超出无需审批的上限（{limit:g} 元），需要主管批示。",
                  fix="我们会为您争取合理的补偿，并提交主管审批后尽快答复您。")
        for amount, start, end in offered_amounts(draft.text)
        if amount > limit and not _BY_CONTRACT.search(folded, bounds(folded, start, end, CLAUSE_BREAK)[0], start)
    ]

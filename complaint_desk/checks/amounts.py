"""Compensation offered in a draft, and the `over_promise` of an amount above the limit an
agent may grant without a supervisor."""

from __future__ import annotations

import re

from complaint_desk.checks.draft import SENTENCE_BREAK, Draft, bounds
from complaint_desk.checks.money import Amount, offers
from complaint_desk.domain import Violation
from complaint_desk.text import fold

# amounts the customer is owed by contract are not the agent's promise
_APPROVED = re.compile(r"审批|批准|主管同意|经主管|领导批示|特批")
# a reply telling the customer an approval has happened (not one asking for it)
_CLAIMED = re.compile(r"(经过?|已经?|获得?了?)(主管|领导|上级|公司)?(审批|批准|同意|批示|特批)(?!后)|"
                      r"(主管|领导|上级)(已经?|刚刚?)(审批|批准|同意|批示)")
_BY_CONTRACT = re.compile(r"(按|根据|依据|依照)(照)?[^，,。！？!?]{0,8}?(条款|规定|标准|合同|协议|保价|价保|保单|三包|约定|法律|法规|规则|政策)")


def promised_amounts(text: str) -> list[Amount]:
    """What a draft promises of its own accord: offers, less what a contract or law in the
    same sentence already owes the customer ("按照保价条款…按 2000 元理赔")."""
    folded = fold(text)
    return [offer for offer in offers(text)
            if not _BY_CONTRACT.search(folded, bounds(folded, offer.start, offer.end, SENTENCE_BREAK)[0], offer.start)]


def check_amount(draft: Draft, limit: float) -> list[Violation]:
    """A promise above what an agent may grant alone, as the text reads: it must say it is
    (to be) approved. Whether an approval was recorded is the workflow's to enforce: it
    escalates every offer above the limit, whatever this check says."""
    if _APPROVED.search(draft.view.text):
        return []
    return [_over(draft, offer, f"补偿 {offer.value:g} 元超出坐席可直接承诺的额度，发送前需要主管审批。", _ASK_FIRST)
            for offer in promised_amounts(draft.text) if offer.value > limit]


def _over(draft: Draft, offer: Amount, message: str, fix: str) -> Violation:
    return Violation(rule="over_promise", start=offer.start, end=offer.end, span=draft.text[offer.start:offer.end],
                     amount=offer.value, message=message, fix=fix)


_ASK_FIRST = "先点「提交主管审批」填写金额和理由，批准后再这样写；或改为“我们会为您争取合理的补偿，并尽快答复您”。"


def check_grant(draft: Draft, limit: float | None, approved: bool) -> list[Violation]:
    """The amount check when the workflow knows the approval: every offer above what this
    sender may grant is flagged whatever its wording or basis (a contract clause cited is
    for the supervisor to confirm), and a reply may say a supervisor
    approved only when one did (a draft never claims an approval that has not happened)."""
    over = [
        _over(draft, offer, f"补偿 {offer.value:g} 元超过主管批准的 {limit:g} 元。", f"改为主管批准的 {limit:g} 元以内。")
        if approved else _over(draft, offer, f"补偿 {offer.value:g} 元超出坐席可直接承诺的额度，需要先经主管审批。", _ASK_FIRST)
        for offer in offers(draft.text) if limit is not None and offer.value > limit
    ]
    spans = [] if approved or limit is None else [draft.view.original_span(*m.span())
                                                  for m in _CLAIMED.finditer(draft.view.text)]
    claimed = [Violation(rule="over_promise", start=start, end=end, span=draft.text[start:end], fix=_ASK_FIRST,
                         message="回复说已经主管批准，但这条投诉还没有主管批准的记录，不能这样告诉客户。")
               for start, end in spans]
    return sorted(over + claimed, key=lambda v: v.start)

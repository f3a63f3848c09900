from __future__ import annotations

import itertools

import pytest

from complaint_desk import vocab
from complaint_desk.cases.base import load_builtin_cases, precedent_of
from complaint_desk.checks import check_draft
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.composer import compose
from complaint_desk.drafting.plan import compensation_amount
from complaint_desk.drafting.request import DraftRequest

CASES = load_builtin_cases()


@pytest.mark.parametrize(("topic", "persona", "anger"),
                         list(itertools.product(vocab.TOPIC_IDS, vocab.PERSONA_IDS, range(4))))
def test_composer_drafts_pass_every_check(topic: str, persona: str, anger: int) -> None:
    precedent = precedent_of([c for c in CASES if c.topic == topic][:8])
    flags = vocab.FLAG_IDS[: anger * 2]
    request = DraftRequest(complaint=f"{topic}/{persona}/{anger}", topic=topic, anger=anger, persona=persona,
                           flags=flags, priority=vocab.PRIORITY_IDS[3 - anger], precedent=precedent)
    draft = compose(request)
    result = check_for_request(draft, request)  # the checks the workbench runs: the plan says what the message is
    assert result.passed, [(v.rule, v.span, v.message) for v in result.violations]
    assert "**" not in draft and "\n\n" in draft


def test_same_complaint_same_draft_and_varied_wording() -> None:
    base = DraftRequest(complaint="外卖晚了一小时", topic="delivery", anger=1, persona="venting")
    assert compose(base) == compose(base)
    drafts = {compose(DraftRequest(complaint=f"外卖晚了{i}分钟", topic="delivery", anger=1, persona="venting"))
              for i in range(20)}
    assert len(drafts) > 5


def test_compensation_stays_within_policy() -> None:
    precedent = precedent_of([c for c in CASES if c.remedy == "compensation"])
    request = DraftRequest(complaint="x", topic="misleading", anger=2, persona="claiming", precedent=precedent,
                           max_compensation=50)
    assert compensation_amount(request) <= 50


def test_the_composer_does_not_repeat_the_reference_cases_wording() -> None:
    """When a reference case's reply happens to use the composer's stock follow-up, the draft
    picks another wording: no 12 characters in a row of another customer's case."""
    from dataclasses import replace

    from complaint_desk.cases.base import load_builtin_cases
    from complaint_desk.text import shares_run

    request = DraftRequest(complaint="快递三天没到，客服也不回消息", topic="delivery", anger=2, persona="venting")
    stock = "我们会在明天下午前主动联系您"
    assert stock in compose(request)
    reference = load_builtin_cases()[0].model_copy(update={"reply": f"非常抱歉给您添了麻烦。{stock}，告知结果。"})
    shown = compose(replace(request, examples=(reference,)))
    assert stock not in shown and not shares_run(shown, [reference.complaint, reference.reply], 12)


@pytest.mark.parametrize("topic", [t for t in vocab.TOPIC_IDS if t != "inquiry"])
def test_the_agents_notes_reach_the_composers_draft(topic: str) -> None:
    notes = "已查到包裹在驿站，明天上午可以送达"
    request = DraftRequest(complaint="快递三天没到", topic=topic, anger=2, persona="venting", hint=notes)
    draft = compose(request)
    assert notes in draft
    assert check_draft(draft, topic).passed


def test_an_approved_amount_is_offered_with_its_approval_and_nothing_else_claims_one() -> None:
    from complaint_desk.drafting.checking import check_for_request
    from complaint_desk.drafting.request import Grant

    approved = DraftRequest(complaint="行李箱摔坏了", topic="quality", anger=2, persona="claiming",
                            grant=Grant(limit=350, approved=True))
    draft = compose(approved)
    assert "经主管批准" in draft and "350元" in draft
    assert check_for_request(draft, approved).passed
    plain = compose(DraftRequest(complaint="行李箱摔坏了", topic="quality", anger=2, persona="claiming",
                                 grant=Grant(limit=200)))
    assert "批准" not in plain

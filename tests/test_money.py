"""Money in drafts is understood, not pattern-matched: every common way of writing an
amount is read, and every offer above the limit goes to a supervisor, whatever the wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaint_desk.checks import check_draft
from complaint_desk.checks.money import amounts, chinese_number, offers
from complaint_desk.config import Settings
from complaint_desk.domain import User
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.request import DraftRequest, Grant
from complaint_desk.services import Services
from complaint_desk.workflow.access import WorkflowError

# the wordings that used to be sent with no supervisor, each meaning 800 元 or more
OFFERS = [
    ("我们补偿您八百元。", 800), ("我们赔偿您捌佰元。", 800), ("给您补偿0.8千元。", 800), ("我们补偿您 800 元。", 800),
    ("赔偿您1,000元。", 1000), ("补偿您￥800。", 800), ("补偿您¥800。", 800), ("补偿您RMB800。", 800),
    ("补偿您人民币800元。", 800), ("为您申请800元的补偿。", 800), ("转账800元作为补偿。", 800),
    ("我们给您800元的赔偿金。", 800), ("送您800元的红包作为补偿。", 800), ("赔您八百块钱。", 800),
    ("给您发一张800元的代金券。", 800), ("补偿您1.5万元。", 15000), ("补偿您 1 000 元。", 1000),
    ("赠送您价值两千元的礼品卡。", 2000), ("按照保价条款，我们按2000元为您理赔。", 2000),
    ("经主管审批，退还您12800元作为补偿。", 12800),
]
NOT_OFFERS = ["为您办理退款399元。", "您的订单号是123456，三天内我们联系您。", "您购买的是800元的套餐。",
              "我们会在两个工作日内与您联系。", "运费12元是快递公司收取的。"]


@pytest.mark.parametrize(("text", "numerals"), [
    ("八百", 800), ("一千二", 1200), ("两千五百", 2500), ("一百零五", 105), ("三万五", 35000), ("捌佰", 800),
    ("壹仟贰佰", 1200), ("十五", 15), ("一万", 10000), ("一千零二十", 1020), ("五十万", 500000),
])
def test_chinese_numerals(text: str, numerals: int) -> None:
    assert chinese_number(text) == numerals


@pytest.mark.parametrize(("text", "value"), OFFERS)
def test_every_wording_is_read_as_an_offer(text: str, value: float) -> None:
    assert [offer.value for offer in offers(text)] == [value]


@pytest.mark.parametrize("text", NOT_OFFERS)
def test_prices_refunds_and_numbers_are_not_offers(text: str) -> None:
    assert offers(text) == []


def test_spans_point_at_the_amount_as_written() -> None:
    text = "這次補償您捌佰圓，請您查收。"
    (found,) = amounts(text)
    assert text[found.start:found.end] == "捌佰圓" and found.value == 800


@pytest.fixture
def services(tiny_settings: Settings, tmp_path: Path) -> Services:
    built = Services.build(tiny_settings, load_llm_in_background=False)
    for name, role in (("li", "agent"), ("boss", "supervisor")):
        built.store.add_user(User(username=name, display_name=name, role=role), "secret1")
    source = tmp_path / "in.jsonl"
    source.write_text("".join(f'{{"id": "M{i}", "text": "行李箱摔坏了，轮子掉了一个，第{i}次联系你们"}}\n'
                              for i in range(len(OFFERS))), encoding="utf-8")
    built.workflow.import_file(built.workflow.actor("boss"), source)
    return built


@pytest.mark.parametrize(("offer", "value"), OFFERS)
def test_an_agent_cannot_send_any_of_them(services: Services, offer: str, value: float) -> None:
    flow, li = services.workflow, services.workflow.actor("li")
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    head, _, tail = draft.text.rpartition("\n\n")  # the offer goes before the closing paragraph
    text = f"{head}\n\n{offer}{tail}"
    assert offer in text
    with pytest.raises(WorkflowError, match="提交主管审批"):
        flow.approve(li, complaint.id, text)
    assert services.store.get_complaint(complaint.id).status == "assigned"
    assert "sent" not in [d.kind for d in services.store.list_drafts(complaint.id)]


def test_the_check_flags_an_unapproved_promise_but_not_an_owed_amount() -> None:
    flagged = check_draft("您好，非常抱歉。我们补偿您八百元。您看可以吗？我们明天下午给您回电。", "quality",
                          compensation_limit=200)
    assert [v.amount for v in flagged.violations if v.rule == "over_promise"] == [800]
    owed = check_draft("您好，非常抱歉。按照保价条款，我们按2000元为您理赔。您看可以吗？我们明天下午给您回电。", "quality",
                       compensation_limit=200)
    assert "over_promise" not in owed.rules


@pytest.mark.parametrize("text", ["补偿超过200元需要提交主管审批，我们会尽快答复您。", "我的补偿权限只有200元。",
                                  "超出两百块要领导批准。"])
def test_the_internal_approval_limit_is_never_told_to_the_customer(text: str) -> None:
    assert "jargon" in check_draft(text, "quality").rules


AGENT = Grant(limit=200)
APPROVED = Grant(limit=300, approved=True)


@pytest.mark.parametrize(("text", "grant", "flagged"), [
    ("经主管批准，我们为您补偿300元。", AGENT, ["经主管批准", "300元"]),  # an approval that has not happened
    ("主管已经同意为您全额退款。", AGENT, ["主管已经同意"]),
    ("我们会为您提交主管审批，审批后尽快答复您。", AGENT, []),  # asking is honest
    ("我们为您补偿150元。", AGENT, []),
    ("经主管批准，我们为您补偿300元。", APPROVED, []),
    ("经主管批准，我们为您补偿500元。", APPROVED, ["500元"]),
    ("按照保价条款，我们按2000元为您理赔。", AGENT, ["2000元"]),  # any basis: the supervisor confirms it
    ("我们为您补偿300元。", Grant(limit=None, approved=True), []),  # a supervisor writing
])
def test_the_grant_decides_what_a_reply_may_promise(text: str, grant: Grant, flagged: list[str]) -> None:
    request = DraftRequest(complaint="行李箱摔坏了", topic="quality", anger=2, persona="claiming", grant=grant)
    result = check_for_request("您好，非常抱歉。" + text + "您看可以吗？我们明天下午给您回电。", request)
    assert [v.span for v in result.violations if v.rule == "over_promise"] == flagged

"""The composer names only what the complaint speaks of, offers a remedy the complaint gives
ground for (what the customer asks for first), and reads praise, suggestions and urgency."""

from __future__ import annotations

import itertools

import pytest

from complaint_desk import vocab
from complaint_desk.cases.base import load_builtin_cases, precedent_of
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.composer import compose
from complaint_desk.drafting.fitting import _patterns, asked_remedy, fits, remedy_fits
from complaint_desk.drafting.plan import build_plan, chosen_remedy, contact_time, customer_words, phrasebank
from complaint_desk.drafting.request import DraftRequest

CASES = load_builtin_cases()
# says nothing of goods, orders, parcels, money, systems, staff or waiting
PLAIN = "这次的事让我很不舒服，你们自己看着办。"


@pytest.mark.parametrize(("topic", "anger", "persona"),
                         list(itertools.product(vocab.TOPIC_IDS, range(4), ("venting", "aggrieved", "privacy"))))
def test_a_letter_names_nothing_the_complaint_does_not(topic: str, anger: int, persona: str) -> None:
    """Whatever the topic (triage may misread it) and the precedent, no licensed word appears
    unless the complaint licenses it, and the letter still passes every check."""
    precedent = precedent_of([c for c in CASES if c.topic == topic][:8])
    request = DraftRequest(complaint=PLAIN, topic=topic, anger=anger, persona=persona, precedent=precedent,
                           grounded=True)
    letter = compose(request)
    unlicensed = [word for word, pattern in _patterns("licences").items() if word in letter and not pattern.search(PLAIN)]
    assert not unlicensed, letter
    assert check_for_request(letter, request).passed


@pytest.mark.parametrize(("wording", "said", "expected"), [
    ("我们正在核实这件商品的情况。", "小区停电停了一整天，冰箱里的菜全坏了", False),
    ("我们正在核实这件商品的情况。", "买的电动牙刷充不进电", True),
    ("让您等了这么久，真的很对不起。", "维修师傅态度很差", False),
    ("让您等了这么久，真的很对不起。", "快递等了五天还没到", True),
    ("系统问题耽误了您的事，我们非常抱歉。", "换了新手机收不到验证码", False),
    ("系统问题耽误了您的事，我们非常抱歉。", "app一打开就闪退", True),
])
def test_a_wording_needs_its_licence(wording: str, said: str, expected: bool) -> None:
    assert fits(wording, said) is expected


@pytest.mark.parametrize(("complaint", "asked"), [
    ("空调修了两次还是不行，我要求换新，你们非说只能修。", "exchange"),
    ("维修师傅说好上午来，结果下午四点才到。", None),  # 维修 is what happened, not what is asked
    ("多收了我460元，请退还该笔费用。", "refund"),
    ("跟你说不着，马上给我换个能拍板的人来谈。", None),  # a person, not goods
    ("挂水的钱和误工费，希望店家承担。", "compensation"),
    ("我要求你们书面道歉并赔偿检测费用。", "compensation"),
])
def test_what_the_customer_asks_for(complaint: str, asked: str | None) -> None:
    assert asked_remedy(complaint) == asked


@pytest.mark.parametrize("remedy", sorted(set(phrasebank()["solve"]["remedy"]) - {"compensation_serious"}))
def test_a_remedy_without_ground_is_not_offered(remedy: str) -> None:
    """A missed callback gives no ground for 补发, a refund or an exchange: whatever the
    precedent says satisfied customers, the remedy chosen fits the complaint."""
    complaint = "打了四次电话都说会回电，一个电话都没回过。"
    precedent = precedent_of([c for c in CASES if c.remedy == remedy and c.outcome == "satisfied"])
    request = DraftRequest(complaint=complaint, topic="delivery", anger=2, persona="venting", precedent=precedent)
    assert remedy_fits(chosen_remedy(request), complaint)


def test_asked_compensation_is_left_to_the_supervisor() -> None:
    """A claimed loss gets no token amount: the supervisor sets it."""
    request = DraftRequest(complaint="吃了你们的凉皮上吐下泻，挂水的钱和误工费希望你们承担。", topic="quality",
                           anger=1, persona="claiming")
    assert any(line.endswith("（金额由主管核定后告知客户）") for line in build_plan(request).remedies)


@pytest.mark.parametrize("priority", vocab.PRIORITY_IDS)
def test_a_customer_pressed_for_time_is_contacted_soon(priority: str) -> None:
    hurried = DraftRequest(complaint="合同文件明天开庭要用，现在还没送到！", topic="delivery", anger=2,
                           persona="venting", priority=priority)
    assert contact_time(hurried, "complaint") in phrasebank()["follow_up"]["times"]["P1"]


def test_praise_misread_as_anger_is_still_thanked() -> None:
    request = DraftRequest(complaint="我是老用户了，上次客服帮我恢复相册，耐心得不得了，给你们点个赞！",
                           topic="other", anger=2, persona="venting")
    letter = compose(request)
    assert build_plan(request).kind == "praise" and "抱歉" not in letter and "核实" not in letter


def test_a_suggestion_is_passed_on_not_answered_as_a_question() -> None:
    request = DraftRequest(complaint="建议预约成功后发个短信，写上师傅的姓名和工号。", topic="inquiry", anger=0,
                           persona="suggestion")
    letter = compose(request)
    assert "您建议预约成功后发个短信" in letter and "转给负责的同事" in letter and "提问" not in letter


def test_words_in_quotation_marks_keep_their_pronouns() -> None:
    assert customer_words("我找物业，就一句“这不归我们管”") == "您找物业，就一句“这不归我们管”"


def test_a_customer_who_cannot_hear_is_not_promised_a_call() -> None:
    request = DraftRequest(complaint="账号找回只能打电话语音验证，我是聋人，听不见。", topic="account", anger=1,
                           persona="venting", priority="P3")
    letter = compose(request)
    assert "电话" not in letter.replace("打电话语音验证", "") and "短信" in letter


def test_traditional_script_is_said_back_in_simplified_with_its_pronouns_turned() -> None:
    assert customer_words("你們業務員跟我說買這個送一部手機") == "我们业务员跟您说买这个送一部手机"
    assert customer_words("我們全家都用妳們的卡") == "您全家都用我们的卡"


def test_contempt_for_the_thing_is_not_said_back() -> None:
    assert customer_words("你们那个破会员系统把我充的钱清零了") == "我们会员系统把您充的钱清零了"


def test_harm_to_someone_is_made_good_by_a_supervisor_not_a_staff_lecture() -> None:
    request = DraftRequest(complaint="手机充电时突然冒烟，吓死我了。", topic="service", anger=2, persona="venting",
                           flags=("safety",))
    assert any(line.endswith("（金额由主管核定后告知客户）") for line in build_plan(request).remedies)

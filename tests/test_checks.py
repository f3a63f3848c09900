"""Draft checks: every SPEC rule with violations in several phrasings and the approved or
context forms that reuse the same words (which must pass)."""

from __future__ import annotations

import pytest

from complaint_desk import vocab
from complaint_desk.checks import check_draft
from eval.check_eval import CHECK_SETS, evaluate_check_set

OPEN = "您好，等了这么久还没收到，换作是谁都会着急，真的非常抱歉。"
CLOSE = "您看这样处理可以吗？我们会在两个工作日内与您联系，告诉您处理进展。感谢您的反馈。"
PLAN = "我们已经为您安排补发，新包裹今天优先出库。"


def letter(middle: str) -> str:
    return OPEN + middle + CLOSE


VIOLATIONS: dict[str, list[str]] = {
    "cannot_solve": ["这个问题我解决不了，" + PLAN, "这事儿我们这边处理不了。" + PLAN, "這個問題我解決不了。" + PLAN],
    "policy_refusal": ["我们有规定不允许重复补发。" + PLAN, "按照公司规定，拆封后是不能退货的。" + PLAN],
    "not_my_job": ["这件事不归我管，" + PLAN, "您需要自己联系快递员查询。" + PLAN, "这 事 儿 不 归 我 们 管。" + PLAN,
                   "那是快递公司的事。" + PLAN, "这不是我负责的。" + PLAN],
    "dont_know": ["包裹在哪我不知道。" + PLAN, "具体原因我也不清楚。" + PLAN],
    "leader_decided": ["这个规定是领导定的。" + PLAN, "运费标准是总部决定的。" + PLAN],
    "final_answer": [PLAN + "这是我们的最终答复。", PLAN + "就这样了，不会再改了。"],
    "result_deadline": ["我们会在三个工作日内给您最终结果。" + PLAN, PLAN + "明天下午之前一定给您解决好。"],
    "over_promise": [PLAN + "我们保证全额赔偿您的损失。", PLAN + "一定让您满意。", PLAN + "这种事以后绝对不会再发生。",
                     "我们直接补偿您5000元。" + PLAN],
    "blame": ["是您自己地址填错了，" + PLAN, "希望您冷静下来，理解我们的立场。" + PLAN, "你必须先提供订单号。" + PLAN,
              "这么简单的操作还要问。" + PLAN],
    "argue": ["您说的不对，快递员当天打过电话。" + PLAN, "这不可能，系统显示已经签收。" + PLAN, "您肯定是记错了。" + PLAN],
    "jargon": ["您的工单已流转至二线处理。" + PLAN, "这笔交易触发了风控，目前处于挂起状态。" + PLAN],
    "insincere": ["我代表柜员机向您道歉。" + PLAN, "如果给您带来不便，那我们也没办法。" + PLAN, "我们不会因此而对您进行报复。" + PLAN],
    "pii_leak": ["我们已核对您的手机号13812345678。" + PLAN, "身份证号110105199003071234已更新。" + PLAN],
}
APPROVED: dict[str, list[str]] = {
    "cannot_solve": ["虽然我不能直接解决这个问题，但是我可以马上帮您联系负责的同事。" + PLAN],
    "policy_refusal": ["办理这项业务，您需要提供一下身份证明。" + PLAN, "按照三包规定，您的机器在保修期内可以免费维修。" + PLAN],
    "not_my_job": ["这件事由我们来联系快递公司核实，您不需要自己跑。" + PLAN, "您提到之前客服说“这不归我们管”，这是我们做得不好。" + PLAN],
    "dont_know": ["我不知道您明天上午是否方便在家？" + PLAN, "具体原因我还不清楚，我已经请负责仓库的同事核查。" + PLAN],
    "leader_decided": ["感谢您的建议，我已向部门负责人反映。" + PLAN],
    "final_answer": [PLAN + "如果您对处理结果不满意，我们会继续跟进。", "您问这是不是最终答复，这不是最终答复，我们会继续处理。" + PLAN],
    "result_deadline": [PLAN],
    "over_promise": ["为了保证您的资金安全，我们已临时冻结账户。" + PLAN, "我们会为您争取合理的解决方案，并补偿20元优惠券。" + PLAN],
    "blame": ["这不是您的责任，是我们的系统出了错。" + PLAN],
    "argue": ["您说得对，这确实是我们的问题。" + PLAN],
    "jargon": ["我们已经为您申请拦截件，也就是让快递在途中停下并退回。" + PLAN],
    "insincere": ["这次给您添了这么多麻烦，我们真诚地向您道歉。" + PLAN],
    "pii_leak": ["我们已核对您尾号5678的手机号和订单号20240501123456。" + PLAN, "我们已核对您的手机号138****5678。" + PLAN],
}


@pytest.mark.parametrize(("rule", "middle"), [(r, m) for r, ms in VIOLATIONS.items() for m in ms])
def test_rule_fires_with_span_and_advice(rule: str, middle: str) -> None:
    text = letter(middle)
    result = check_draft(text, "delivery")
    hits = [v for v in result.violations if v.rule == rule]
    assert hits, f"{rule} missed in: {middle}"
    for hit in hits:
        assert text[hit.start : hit.end] == hit.span and hit.span
        assert hit.message
    assert not result.passed


@pytest.mark.parametrize(("rule", "middle"), [(r, m) for r, ms in APPROVED.items() for m in ms])
def test_approved_and_context_forms_pass(rule: str, middle: str) -> None:
    result = check_draft(letter(middle), "delivery")
    assert result.passed, [(v.rule, v.span) for v in result.violations]


def test_every_phrase_rule_is_covered() -> None:
    phrase_rules = set(vocab.RULE_IDS) - {"format", "script_order", "missing_move", "unfounded"}  # unfounded needs the complaint
    assert set(VIOLATIONS) == set(APPROVED) == phrase_rules


@pytest.mark.parametrize("text", [
    "**安抚情绪**：非常理解您的心情。**真诚道歉**：非常抱歉。",
    "1. 我们非常理解您的心情\n2. 非常抱歉\n3. 为您补发",
    "客服：您好，非常抱歉让您久等了。",
    "以下是回复草稿：您好，非常抱歉。",
    "根据您的要求，我为您写了一封回复：您好，非常抱歉。",
    "当时发出的回复：您好，非常抱歉。",
    "# 回复\n您好，非常抱歉。",
    "您好，非常抱歉让您久等了。[您的名字]",
    "尊敬的[客户姓名]，非常抱歉让您久等了。",
    "先接住客户的情绪，非常理解您的心情，非常抱歉。",
    "非常抱歉让您久等了。给出方案后征求意见，",
    "非常理解您的心情，非常抱歉。为具体的事真诚道歉，",
    "非常抱歉，不承诺最终结果的时间，",
    "我们将从以下几个方面处理：安抚：非常理解您的心情，非常抱歉。",
    "非常理解您的心情，非常抱歉。补偿：",
])
def test_format(text: str) -> None:
    assert "format" in check_draft(text + PLAN + CLOSE, "delivery").rules


@pytest.mark.parametrize("text", [
    "根据您的要求，我们会把加床费退还给您。",
    "我们会根据您的要求调整周末的窗口排班。",
    "我们会把您的健康和安全放在第一位。",
    "我们会在政策范围内给您最合适的方案。",
    "您看这样处理可以吗？",
])
def test_customer_facing_wording_is_not_meta(text: str) -> None:
    """Wording addressed to the customer, even close to the prompt's, is a reply, not a model
    talking about its prompt."""
    assert "format" not in check_draft(letter(text), "delivery").rules


def test_contact_promise_passes_but_result_promise_fails() -> None:
    contact = letter(PLAN)
    result = contact.replace("与您联系，告诉您处理进展", "给您最终结果")
    assert check_draft(contact, "delivery").passed
    assert "result_deadline" in check_draft(result, "delivery").rules


def test_solution_before_feelings_is_out_of_order() -> None:
    text = PLAN + "等了这么久还没收到，您一定很着急，真的非常抱歉。" + CLOSE
    assert "script_order" in check_draft(text, "delivery").rules


@pytest.mark.parametrize("lead", ["您反映", "您说", "听您说", "您提到"])
def test_the_customers_account_said_back_is_not_a_solution_out_of_order(lead: str) -> None:
    """A restatement that happens to hold a remedy word (上门, 退) is the customer's account."""
    opening = f"您好，{lead}维修师傅上门说好上午来，结果下午四点才到，这确实让人失望。给您添了麻烦，非常抱歉。"
    assert "script_order" not in check_draft(opening + PLAN + CLOSE, "service").rules
    assert "script_order" in check_draft(PLAN + "让您白等了一上午，真的非常抱歉。" + CLOSE, "service").rules


@pytest.mark.parametrize(("drop", "move"), [
    ("您看这样处理可以吗？", "征求意见"),
    ("我们会在两个工作日内与您联系，告诉您处理进展。", "跟进承诺"),
    ("真的非常抱歉。", "真诚道歉"),
])
def test_missing_moves_are_named(drop: str, move: str) -> None:
    text = letter(PLAN).replace(drop, "")
    messages = [v.message for v in check_draft(text, "delivery").violations if v.rule == "missing_move"]
    assert any(move in m for m in messages)


def test_inquiry_needs_no_apology() -> None:
    text = "您好，感谢您的咨询。信用卡分期提前还款时，已收取的手续费不退，剩余期数不再收取。您看这样解释清楚吗？"
    assert check_draft(text, "inquiry").passed
    assert not check_draft(text, "billing").passed


def test_moves_are_tagged_in_order() -> None:
    result = check_draft(letter(PLAN), "delivery")
    order = [m.move for i, m in enumerate(result.moves) if i == 0 or m.move != result.moves[i - 1].move]
    assert order.index("empathize") < order.index("apologize") < order.index("solve") < order.index("consult")
    assert order.index("consult") < order.index("follow_up")


def test_amount_over_limit_needs_approval() -> None:
    draft = letter("我们为您补偿300元，表示歉意。")
    assert "over_promise" in check_draft(draft, "delivery", compensation_limit=200).rules
    assert check_draft(draft, "delivery", compensation_limit=500).passed
    approved = letter("经主管审批，我们为您补偿300元，表示歉意。")
    assert check_draft(approved, "delivery", compensation_limit=200).passed


@pytest.mark.parametrize("name", ["dev", "heldout", "blind3", "final4", "blind5", "blind6"])
def test_labelled_check_sets_meet_the_targets(name: str) -> None:
    path = CHECK_SETS[name]
    if not path.exists():
        pytest.skip(f"{path.name} 尚未提交")
    report = evaluate_check_set(path)
    assert report["recall"] >= 0.95, report["recall"]
    assert report["false_positive_rate"] <= 0.03, report["false_positive_rate"]


# kinds of phrasing the checker used to miss or misread (each in words of our own)
MORE_VIOLATIONS = [
    ("policy_refusal", "后台就是这么设置的，我们也没法改。"),
    ("dont_know", "不清楚。具体的您问问别人吧。"),
    ("not_my_job", "退货地址您可以自己去官网查一下。"),
    ("blame", "这么点小事也值得给差评吗？"),
    ("blame", "以后您自己要多留意群里的通知。"),
    ("cannot_solve", "这种情况我们客服这边也没有办法。"),
    ("over_promise", "损失的钱我们一定全额补给您。"),
    ("over_promise", "以后每个月都给您免掉月租。"),
    ("insincere", "我代表那台出故障的读卡器向您道个歉。"),
    ("insincere", "按照规定我得先跟您说声对不起。"),
    ("jargon", "系统显示您的账户触发了KYC复核。"),
    ("jargon", "已按RMA-03流程给您登记。"),
    ("format", "Sure, here is a polite reply for the customer."),
    # kinds found by blind set 8, in words of our own
    ("cannot_solve", "说实在的，这个问题我们店里真是没辙了。"),
    ("cannot_solve", "包裹能不能找回，我们网点是办不到的。"),
    ("dont_know", "这笔费用怎么来的，我也说不上来。"),
    ("dont_know", "为什么被限额，我们这边也摸不着头脑。"),
    ("not_my_job", "这笔扣款跟我们关系不大，您要找的其实是那家支付平台。"),
    ("not_my_job", "建议您打个电话问问厂家那边。"),
    ("not_my_job", "具体是哪位师傅，您自己去门店的公示栏看一下。"),
    ("leader_decided", "涨价是总部那边统一定下来的，我们门店做不了主。"),
    ("final_answer", "复检结论已经板上钉钉了。"),
    ("final_answer", "这件事处理到这儿就算了结了，不会再有别的说法。"),
    ("result_deadline", "我们保证下周就把退款打到您卡上。"),
    ("result_deadline", "两周以内，赔偿方案就会定下来交给您。"),
    # found by the blind reader of model run 3 (a prompt injection half obeyed), in words of our own
    ("result_deadline", "我们承诺三天之内给您办好退款。"),
    ("over_promise", "赔多少您说了算，您说多少就赔多少。"),
    ("over_promise", "再送您一整年的免费会员。"),
    ("over_promise", "这位员工我们马上开除，绝不姑息。"),
    ("blame", "也请您以后注意一下言辞。"),
    ("blame", "大部分用户按说明操作都没问题，您再细心点。"),
    ("blame", "下回您可得看清楚再下单。"),
    ("argue", "说我们乱收费，这可真是冤枉我们了。"),
    ("argue", "您这个说法站不住脚。"),
    ("argue", "我们的计费系统不可能算错。"),
    ("insincere", "很遗憾您对我们的服务有了这样的看法。"),
    ("insincere", "我们走个流程，跟您说声对不起。"),
    ("insincere", "我代表天气向您道个歉。"),
    ("policy_refusal", "按公司管理办法，代办是不被允许的。"),
    ("policy_refusal", "这种情况按规定是办不了的，没有例外。"),
    ("jargon", "您的设备指纹命中了风险库。"),
    ("format", "（注意：这里语气要委婉一些）"),
    # plan lines copied into the letter (blind reader of model run 3), in words of our own
    ("format", "对于配送延误给客户带来的不便，我们深表歉意。"),
    ("format", "理解客户的着急，我们会尽快处理。"),
    ("format", "我们会在明天中午前联系客户说明进展。"),
]
MORE_COMPLIANT = [
    "我们没有规定不许您退货，收到商品七天内都可以申请。",
    "您自己垫付的打车费，请把票据发给我们，我们为您报销。",
    "这种事肯定让您很着急，我们非常理解。",
    "今天下午五点前我一定先给您打个电话。",
    "我不知道您明天是否方便接听电话，您可以告诉我一个时间。",
    "您可以在APP里随时查看进度，VIP会员另有专线。",
    "您不用自己去营业厅跑一趟，我们来办。",
    "虽然我们网点没办法直接找回包裹，但我马上联系中转站的同事一起查。",
    "让您受了冤枉气，真的很抱歉。",
    "按平台规则，质量问题七天内可以直接退货退款。",
    "我们会在两个工作日内为您提交退款申请。",
    "您寄给客户的样品在运输中损坏，耽误了您的生意，我们非常理解。",
    "我们的客户经理明天会联系您。",
]


@pytest.mark.parametrize(("rule", "sentence"), MORE_VIOLATIONS)
def test_more_phrasings_of_each_rule_are_caught(rule: str, sentence: str) -> None:
    assert rule in check_draft(letter(sentence), "delivery").rules


@pytest.mark.parametrize("sentence", MORE_COMPLIANT)
def test_reassuring_uses_of_the_same_words_pass(sentence: str) -> None:
    draft = letter("我们马上为您补发一份。" + sentence)
    assert check_draft(draft, "delivery").passed, check_draft(draft, "delivery").violations


def test_a_json_wrapped_letter_is_format() -> None:
    assert "format" in check_draft('{"reply": "' + letter(PLAN) + '"}', "delivery").rules


def test_a_hollow_apology_is_reported_once() -> None:
    """The insincere violation asks for a sincere apology; the apology is not also 'missing'."""
    result = check_draft(letter(PLAN).replace("真的非常抱歉", "我代表那台机器向您道个歉"), "delivery")
    assert "insincere" in result.rules and not [v for v in result.violations if v.move == "apologize"]


def test_blind_set_8_holds_its_measured_level() -> None:
    """Written blind in session 6: first run 0.625 / 0.133; the floor is today's figure."""
    report = evaluate_check_set(CHECK_SETS["blind8"])
    assert report["recall"] >= 0.92 and report["false_positive_rate"] <= 0.02, report


def test_blind_set_7_holds_its_measured_level() -> None:
    """Written blind on 2026-12-07: first run 0.836 / 0.100; the floor is today's figure."""
    report = evaluate_check_set(CHECK_SETS["blind7"])
    assert report["recall"] >= 0.97 and report["false_positive_rate"] <= 0.03, report


@pytest.mark.parametrize("closing", ["感谢您的反馈，也谢谢您的耐心。", "再次感谢您把情况告诉我们。"])
def test_thanks_that_close_the_letter_are_the_thank_move(closing: str) -> None:
    """Thanks after the plan are 致谢 even where their words also open letters as empathy."""
    moves = [m.move for m in check_draft(OPEN + PLAN + "您看这样处理可以吗？我们会在两个工作日内与您联系。" + closing,
                                         "delivery").moves]
    assert moves[-1] == "thank" and "empathize" not in moves[moves.index("solve"):]


@pytest.mark.parametrize("asking_after", ["您现在还好吗？", "孩子现在怎么样了？"])
def test_asking_after_the_person_is_feeling_not_consulting(asking_after: str) -> None:
    """The workbench's script line read 安抚共情 → 征求意见 → 真诚道歉 for "…您现在还好吗？这件事让您
    担心，我们很抱歉": asking how someone is is concern, not asking whether the plan is acceptable."""
    draft = f"您好，听到这些我们非常揪心，{asking_after}这件事让您这么担心，我们真的很抱歉。" + PLAN + \
        "您看这样处理可以吗？我们会在两个工作日内与您联系。谢谢您的理解。"
    moves = [m.move for m in check_draft(draft, "quality").moves]
    assert moves.index("consult") > moves.index("solve") and moves.count("consult") == 1

"""Writing a letter section by section (drafting/sections.py): the program opens each move
of the plan with a marker in the model's turn; the model writes only what follows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from complaint_desk import vocab
from complaint_desk.checks import MOVE_SPECS
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.plan import FLAG_STEPS, as_said, build_plan
from complaint_desk.drafting.prompts import system_prompt, user_prompt
from complaint_desk.drafting.reply_plan import parse_plan
from complaint_desk.drafting.request import DraftRequest
from complaint_desk.drafting.sections import (
    MARKER_OPEN,
    apology_note,
    example,
    issue_note,
    notes,
    plan_sections,
    remedy_note,
    sections_for,
    write,
)

REQUEST = DraftRequest(complaint="买的电动牙刷用了不到两周就充不进电了，充电座指示灯一直不亮，有点失望。",
                       topic="quality", anger=1, persona="venting", prompt="sections", grounded=True)
# what a model might write after each marker; the letter is what these add up to
WRITTEN = {
    "安抚": "您好，新买的牙刷不到两周就充不进电，确实让人扫兴，谢谢您告诉我们",
    "道歉": "  给您添了麻烦，我们非常抱歉。\n",
    "确认": "麻烦您提供一下订单号，",
    "方案": "核实后我们会为您办理换货。",
    "征求意见": "您看这样处理可以吗？",
    "跟进": "我们会在两个工作日内与您联系。",
    "致谢": "谢谢您的耐心。",
}


@pytest.mark.parametrize(("line", "said"), [
    ("理解客户的失望", "理解您的失望"),
    ("为产品质量方面的问题给客户带来的麻烦道歉", "为产品质量方面的问题给您带来的麻烦道歉"),
    ("补偿（金额由主管核定后告知客户）", "补偿，金额由主管核定后告知您"),
    ("补发/重送", "补发或重送"),
    ("说明会核实情况", "我们会核实情况"),
    ("告知客户：已为客户补发，单号稍后短信发送", "已为您补发，单号稍后短信发送"),
    ("请客户经理回电", "请客户经理回电"),
])
def test_plan_lines_are_turned_to_their_reader(line: str, said: str) -> None:
    assert as_said(line) == said


@pytest.mark.parametrize("remedy", vocab.REMEDY_IDS)
def test_every_remedy_is_noted_as_what_we_will_do(remedy: str) -> None:
    """The plan names a remedy by its SPEC name; the model is told what we will do."""
    note = remedy_note(vocab.REMEDY_NAMES[remedy])
    assert note != vocab.REMEDY_NAMES[remedy] and "客户" not in note and "/" not in note


def test_a_remedy_keeps_its_amount_and_who_sets_it() -> None:
    assert remedy_note("补偿 20 元") == "我们会给您补偿 20 元"
    assert remedy_note("补偿（金额由主管核定后告知客户）") == "我们会给您补偿，金额由主管核定后告知您"
    assert remedy_note("补发一份饮料") == "我们会补发一份饮料"  # the agent's own line



@pytest.mark.parametrize("flag", sorted(FLAG_STEPS))
def test_every_flags_step_is_noted_as_it_is_said(flag: str) -> None:
    """The plan's flag steps are instructions to the writer ("承认之前没有解决好"); copied, they read
    as a note pasted in (both blind readers of run 6)."""
    note = remedy_note(FLAG_STEPS[flag])
    assert note != FLAG_STEPS[flag] and "客户" not in note and note.startswith(("我们", "您", "之前"))


def test_remedies_are_sentences_of_their_own() -> None:
    """Joined with 并, a flag's step read as broken Chinese (并之前没能及时解决, a blind reader of run 7)."""
    request = replace(REQUEST, flags=("repeat", "regulator"))
    solve = next(s for s in sections_for(request) if s.move == "solve")
    assert solve.content.count("。") == 2 and "并之前" not in solve.content and "我们会之前" not in solve.content


@pytest.mark.parametrize(("anger", "flags", "complaint"), [
    *((level, (), REQUEST.complaint) for level in vocab.ANGER_NAMES),
    (1, ("safety",), "孩子吃了你们的饼干，里面有玻璃碴，刚从急诊回来"),
    (0, (), "请问会员积分怎么兑换？"),
    (0, (), "快递员小王特别耐心，帮我把箱子搬上六楼，点个赞！"),
])
def test_every_feeling_the_plan_proposes_has_a_note(anger: int, flags: tuple[str, ...], complaint: str) -> None:
    """The plan's feeling lines are instructions (理解客户的愤怒，先稳住情绪); each has a note a letter can say."""
    plan = build_plan(replace(REQUEST, complaint=complaint, anger=anger, flags=flags))
    assert plan.feeling in notes()["feeling"]


def test_harm_is_cared_about_before_feelings() -> None:
    hurt = replace(REQUEST, complaint="孩子吃了你们的饼干，里面有玻璃碴，刚从急诊回来", anger=1, flags=("safety",))
    empathize = sections_for(hurt)[0]
    assert "安全" in empathize.content and "失望" not in empathize.content


def test_a_question_is_restated_as_asked() -> None:
    assert issue_note("是不是我们泄露了您的信息？") == "您问是不是我们泄露了您的信息"
    assert issue_note("快递三天没到") == "快递三天没到"


def test_the_plans_apology_is_said_not_described() -> None:
    assert apology_note("为物流配送方面的问题给客户带来的麻烦道歉") == "这件事给您添了麻烦，我们非常抱歉"  # no topic name
    assert apology_note("为超时配送向客户道歉") == "为超时配送向您道歉"  # an agent's own line passes as written


def test_a_complaint_gets_every_move_in_the_script_order() -> None:
    sections = sections_for(REQUEST)
    assert [s.move for s in sections] == list(MOVE_SPECS)
    assert all("客户" not in s.content for s in sections)  # the model is told what to say to 您, not about 客户
    assert [s.paragraph for s in sections] == sorted(s.paragraph for s in sections)


def test_praise_is_not_apologised_for_and_an_edited_line_is_passed_on() -> None:
    praise = replace(REQUEST, complaint="昨天的快递员小王特别耐心，帮我把大件搬上了六楼，点个赞！", topic="service", anger=0)
    assert "apologize" not in [s.move for s in sections_for(praise)]
    edited = build_plan(REQUEST).render().replace("征求意见：询问客户这样处理是否可以", "征求意见：问客户换货还是维修")
    consult = next(s for s in plan_sections(parse_plan(edited)) if s.move == "consult")
    assert consult.content == "问您换货还是维修"


def scripted(turns: list[str]) -> callable:
    """A stand-in model: after each marker it writes that section's line, recording what it saw."""
    def continue_from(turn: str) -> Iterator[str]:
        turns.append(turn)
        label = turn.rsplit(MARKER_OPEN, 1)[1].rstrip("】")
        text = WRITTEN[label]
        yield from (text[:3], text[3:])
    return continue_from


def test_the_letter_is_the_models_sections_without_markers() -> None:
    turns: list[str] = []
    letter = "".join(write(REQUEST, scripted(turns)))
    assert MARKER_OPEN not in letter and "】" not in letter
    assert letter.startswith("您好，新买的牙刷") and letter.count("\n\n") == 2  # feelings, facts, what happens next
    assert "谢谢您告诉我们。给您添了麻烦" in letter  # a section without an end gets a full stop
    assert "订单号。核实后" in letter  # a dangling comma closed
    # each section is written after the ones before it, as the model wrote them (trimmed)
    assert turns[2].endswith("【道歉】给您添了麻烦，我们非常抱歉。\n【确认】")
    assert check_for_request(letter, REQUEST).passed


def test_a_model_that_opens_the_next_marker_itself_is_cut_there() -> None:
    def eager(turn: str) -> Iterator[str]:
        yield "您看这样处理可以吗？【跟进】我们明天"
    letter = "".join(write(REQUEST, eager))
    assert "【" not in letter and "我们明天" not in letter
    assert letter.count("您看这样处理可以吗？") == len(sections_for(REQUEST))


def test_the_letter_stops_at_its_length_cap() -> None:
    def rambling(turn: str) -> Iterator[str]:
        yield from ["非常抱歉，" * 3] * 50
    assert len("".join(write(REQUEST, rambling, max_chars=120))) < 200


def test_the_prompts_carry_the_sections_and_the_worked_example() -> None:
    user = user_prompt(REQUEST)
    assert all(f"【{label}】" in user for label in ("安抚", "道歉", "确认", "方案", "征求意见", "跟进", "致谢"))
    assert "回复要点：" not in user  # the notes are the markers' lines, not the plan's labelled lines
    system = system_prompt("我们", 200, "sections")
    assert all(written in system for _marker, _note, written in example())
    assert "按用户消息里的标记逐段写" in system and "按用户消息里的标记逐段写" not in system_prompt("我们", 200)


@pytest.mark.parametrize(("draft", "flagged"), [
    ("您好，快递显示已签收，可我根本没收到，非常抱歉。", True),  # the customer's 我
    ("您好，打了你们客服电话四次都没人回，非常抱歉。", True),  # the customer's 你们
    ("您好，快递显示已签收，可您根本没收到，非常抱歉。", False),  # turned to 您
    ("您好，您说“可我根本没收到”，非常抱歉。", False),  # quoted as the customer's words
    ("您好，这确实让我感到非常气愤，非常抱歉。", True),  # the customer's feeling as the writer's
    ("您好，这真的让我们非常生气，非常抱歉。", True),
    ("您好，让您这么生气，我们非常抱歉。", False),
])
def test_the_customers_words_in_their_own_voice_are_format(draft: str, flagged: bool) -> None:
    request = replace(REQUEST, complaint="快递显示已签收，可我根本没收到！打了你们客服电话四次都没人回。")
    rules = check_for_request(draft, request).rules
    assert ("format" in rules) is flagged


def test_a_copy_of_the_worked_example_is_a_leak_but_its_stock_lines_are_not() -> None:
    (_, _, restated), *_rest = example()
    copied = check_for_request(f"{restated}非常抱歉。", REQUEST)
    assert "format" in copied.rules
    stock = check_for_request("您好，牙刷充不进电，非常抱歉。您看这样处理可以吗？", REQUEST)
    assert "format" not in stock.rules

"""The workbench's small pieces without a browser: the SLA clock, case cards and their
reasons in words, the approval notice, grouped root causes, id lists."""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaint_desk import vocab
from complaint_desk.cases.base import SimilarCase, load_builtin_cases, match_reason
from complaint_desk.config import Settings
from complaint_desk.domain import Approval, Case, Complaint, TriageResult, utcnow
from complaint_desk.ui import cards
from complaint_desk.ui.typed import UIError, parse_amount, parse_id, parse_ids
from complaint_desk.workflow.dashboard import root_causes
from complaint_desk.workflow.queue import queue_item

CASES = load_builtin_cases()


def _triage(topic: str = "delivery", flags: tuple[str, ...] = ()) -> TriageResult:
    from complaint_desk.domain import FlagHit

    return TriageResult(anger=2, anger_score=0.7, topic=topic, persona="venting",
                        persona_top3=[], flags=[FlagHit(flag=f, start=0, end=1, text="x") for f in flags],
                        priority="P2", priority_score=0.6, reason="", department="logistics", model="test")


@pytest.mark.parametrize(("waited", "expected", "level"), [(0.5, "剩余 1 小时 30 分", "ok"), (1.9, "剩余 6 分钟", "soon"),
                                                           (5.25, "已超时 3 小时 15 分", "late")])
def test_the_sla_clock_reads_as_time(waited: float, expected: str, level: str) -> None:
    settings, now = Settings(), utcnow()
    complaint = Complaint(id=1, text="x", created_at=now - timedelta(hours=waited), triage=_triage(flags=("regulator",)))
    item = queue_item(complaint, settings, now)
    assert item.sla_hours == 2.0  # a regulator threat is P1
    assert cards.sla_text(item) == expected and cards.sla_level(item) == level


@pytest.mark.parametrize("case", CASES[:40], ids=lambda c: c.id)
def test_match_reasons_are_words_never_character_fragments(case: Case) -> None:
    reason = match_reason(case, _triage(case.topic, tuple(case.flags)))
    assert reason.startswith(f"同为{vocab.TOPIC_NAMES[case.topic]}问题")
    assert vocab.REMEDY_NAMES[case.remedy] in reason and vocab.OUTCOME_NAMES[case.outcome] in reason
    assert "共同词" not in reason


def test_case_cards_escape_everything_a_user_wrote() -> None:
    case = CASES[0].model_copy(update={"complaint": "<script>alert(1)</script>", "root_cause": "<b>x</b>",
                                       "reply": "<img src=x onerror=alert(1)>"})
    html = cards.case_cards([SimilarCase(case, 0.9, ())], _triage())
    assert "<script>" not in html and "<img" not in html and "<b>x" not in html
    assert "&lt;script&gt;" in html and "当时发出的回复" in html


@pytest.mark.parametrize(("status", "expected"), [("pending", "等主管答复"), ("approved", "经主管批准"),
                                                  ("rejected", "请按主管意见修改")])
def test_the_agent_reads_the_approval_state(status: str, expected: str) -> None:
    approval = Approval(complaint_id=1, amount=300, reason="箱子坏了", requested_by="li", status=status,
                        decided_by=None if status == "pending" else "boss", note="<i>注意语气</i>")
    html = cards.approval_notice([approval])
    assert expected in html and "300" in html and "<i>" not in html
    assert cards.approval_notice([]) == ""


def test_root_causes_group_wordings_that_differ_only_in_punctuation_and_width() -> None:
    def case(cause: str) -> Case:
        return CASES[0].model_copy(update={"root_cause": cause})

    ranked = root_causes([case("驿站代收未通知"), case("驿站代收未通知。"), case(" 驿站代收，未通知 "), case("骑手态度差"),
                          case("")])
    assert ranked == [("驿站代收未通知", 3), ("骑手态度差", 1)]


def test_id_lists_as_a_supervisor_types_them() -> None:
    assert parse_ids("12, 15 18，20、12") == [12, 15, 18, 20]
    assert parse_ids("") == []
    with pytest.raises(UIError, match="「1a」不是数字"):
        parse_ids("3, 1a")


@pytest.mark.parametrize(("typed", "amount"), [("300", 300.0), (" 150.5元 ", 150.5), ("３００", 300.0), ("1,200", 1200.0)])
def test_an_amount_as_an_agent_types_it(typed: str, amount: float) -> None:
    assert parse_amount(typed) == amount


@pytest.mark.parametrize(("typed", "says"), [("", "请填写申请补偿的金额"), (None, "请填写申请补偿的金额"),
                                             ("三百", "不是数字"), ("0", "要大于 0"), ("-5", "要大于 0"), ("nan", "要大于 0")])
def test_an_empty_or_unreadable_amount_is_refused_with_what_to_type(typed: str | None, says: str) -> None:
    """An empty box is not 0 元 (a gr.Number showed 0 and sent it)."""
    with pytest.raises(UIError, match=says):
        parse_amount(typed)


def test_a_complaint_id_as_typed_or_picked() -> None:
    assert parse_id(" 7 ") == 7 and parse_id("") is None and parse_id(None) is None and parse_id(12) == 12
    with pytest.raises(UIError, match="「7号」不是数字"):
        parse_id("7号")


def test_lists_show_personal_numbers_masked() -> None:
    from complaint_desk.ui.handlers import queue_row

    complaint = Complaint(id=3, text="我的手机13812345678天天收到骚扰短信", created_at=utcnow(), triage=_triage())
    row = queue_row(queue_item(complaint, Settings(), utcnow()))
    assert "13812345678" not in str(row) and "138****5678" in row[-1]


def test_the_violation_panel_shows_only_the_sentences_at_fault() -> None:
    from complaint_desk.checks import check_draft
    from complaint_desk.ui.handlers import violation_segments

    draft = "您好，非常抱歉让您久等。\n\n这件事不归我管。我们会尽快处理。这是公司规定，不予退款。谢谢。"
    segments = violation_segments(draft, check_draft(draft, "delivery").violations)
    shown = "".join(text for text, _label in segments)
    assert "非常抱歉" not in shown and "尽快处理" not in shown
    assert ("不归我管", vocab.RULE_NAMES["not_my_job"]) in segments and " …… " in shown


@pytest.mark.parametrize("plan, proposed, expected", [
    ("类型：投诉\n方案：退款", "类型：投诉\n方案：退款", None),  # untouched: proposed afresh at generation
    ("类型：投诉\n方案：退款\n", "类型：投诉\n方案：退款", None),
    ("类型：投诉\n方案：补发一份饮料", "类型：投诉\n方案：退款", "类型：投诉\n方案：补发一份饮料"),
    ("", "类型：投诉", None),
])
def test_only_a_plan_the_agent_changed_is_passed_on(plan: str, proposed: str, expected: str | None) -> None:
    from complaint_desk.ui.workbench import edited

    assert edited(plan, proposed) == expected

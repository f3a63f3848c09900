"""`unfounded`: a reply states as done or known only what the complaint or the agent's
notes say, and names only amounts, dates and numbers that come from them (or policy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.request import DraftRequest

OPEN = "您好，让您久等了，非常抱歉。"
CLOSE = "您看这样处理可以吗？我们会在两个工作日内与您联系。感谢您的耐心。"
COMPLAINT = "订单SF12345678三天没到，客服电话也打不通，我11月20日就下单了。"


def unfounded(sentence: str, notes: str = "", complaint: str = COMPLAINT) -> list[str]:
    request = DraftRequest(complaint=complaint, topic="delivery", anger=2, persona="venting", hint=notes or None,
                           grounded=True)
    result = check_for_request(OPEN + sentence + CLOSE, request)
    return [v.span for v in result.violations if v.rule == "unfounded"]


@pytest.mark.parametrize(("sentence", "flagged"), [
    ("我们已经为您退款了。", ["已经为您退款"]),
    ("我们已经联系了快递员，包裹明天送到。", ["已经联系"]),
    ("我们刚刚查询了物流记录。", ["我们刚刚查询了"]),
    ("我们已经对骑手进行了批评教育。", ["已经对骑手进行了批评"]),
    ("已经为您安排补发。", ["已经为您安排"]),
    ("我们为您补偿50元。", ["50元"]),  # not policy's default, not in the notes
    ("您的订单YT99887766我们会跟进。", ["YT99887766"]),  # another order number
    ("预计12月3日送到。", ["12月3日"]),
    # what the reply should say instead: future tense, the customer's own facts, policy's amount
    ("我们会尽快联系快递员核实，并为您退款。", []),
    ("我们正在核实您这笔订单的配送记录。", []),
    ("您11月20日下的订单SF12345678我们会优先跟进。", []),
    ("我们为您补偿20元，表示歉意。", []),
])
def test_claims_and_details_from_nowhere_are_unfounded(sentence: str, flagged: list[str]) -> None:
    assert unfounded(sentence) == flagged


@pytest.mark.parametrize(("sentence", "notes"), [
    ("我们已经联系了快递员，包裹明天上午送到。", "已联系快递员，明天上午送到"),
    ("我们查询了物流，包裹在驿站。", "已查到包裹在驿站"),
    ("我们为您补偿50元。", "同意补偿50元"),
    ("我们已经为您退款，预计12月3日到账。", "已退款，12月3日到账"),
])
def test_the_agents_notes_ground_what_they_say(sentence: str, notes: str) -> None:
    assert unfounded(sentence) and not unfounded(sentence, notes)


def test_a_small_gesture_within_policy_is_an_offer_not_a_fact_from_nowhere() -> None:
    """Policy's default compensation (20 元) is what a sender may offer on their own; more
    than that needs the notes or an approval."""
    assert not unfounded("另外送您一张10元的优惠券，表示歉意。")
    assert unfounded("另外送您一张50元的优惠券，表示歉意。") == ["50元"]


def test_a_number_the_customer_wrote_without_yuan_is_theirs() -> None:
    complaint = "店铺写着满50减15，我点了52的结果没减"
    assert not unfounded("核实后这15元会退回您的付款账户。", complaint=complaint)


def test_with_notes_a_look_up_is_true_and_a_later_confirmation_is_no_claim() -> None:
    assert unfounded("我们查看了记录，包裹还在转运。") == ["我们查看了"]
    assert not unfounded("我们查看了记录，包裹还在转运。", notes="包裹在武汉转运中心滞留")
    assert not unfounded("明天中午前我们会联系您，确认退款已经提交。")


def test_what_the_customer_says_was_done_may_be_repeated() -> None:
    complaint = "你们已经退款了，可是钱一直没到账"
    assert not unfounded("您说已经退款但还没到账，我们已经退款的这笔会帮您查。", complaint=complaint)


def test_the_command_line_checks_grounding_when_a_row_has_the_complaint_or_notes(tmp_path: Path) -> None:
    rows = [{"id": "a", "text": OPEN + "我们已经为您退款了。" + CLOSE, "complaint": COMPLAINT},
            {"id": "b", "text": OPEN + "我们已经为您退款了。" + CLOSE, "complaint": COMPLAINT, "notes": "已退款"},
            {"id": "c", "text": OPEN + "我们已经为您退款了。" + CLOSE, "topic": "delivery"}]
    source = tmp_path / "drafts.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "complaint_desk.cli", "check", str(source)], capture_output=True,
                          text=True, check=True)
    rules = {r["id"]: [v["rule"] for v in r["violations"]] for r in map(json.loads, done.stdout.splitlines())}
    assert "unfounded" in rules["a"] and "unfounded" not in rules["b"] and "unfounded" not in rules["c"]

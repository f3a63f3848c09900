"""One spec per SPEC rule id and per script move, and the checker, the guard's repair and the
prompt all read it: change a spec here and all three change."""

from __future__ import annotations

import pytest

from complaint_desk import vocab
from complaint_desk.checks import MOVE_SPECS, RULE_SPECS
from complaint_desk.checks.moves import required_moves
from complaint_desk.checks.rules import PHRASE_SPECS, STRUCTURE_SPECS
from complaint_desk.domain import CheckResult
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.composer import sentence
from complaint_desk.drafting.prompts import feedback_prompt, system_prompt
from complaint_desk.drafting.repair import STRATEGIES, repair
from complaint_desk.drafting.request import DraftRequest

OPEN = "您好，遇到这种情况换作是谁都会着急，这次给您添了麻烦，非常抱歉。"
CLOSE = "您看这样处理可以吗？我们会在两个工作日内与您联系。感谢您的反馈。"
# a sentence that breaks each rule, set in an otherwise sound letter
OFFENCES = {
    "cannot_solve": "这个问题我解决不了。",
    "policy_refusal": "我们有规定，不允许退货。",
    "not_my_job": "这件事不归我管。",
    "dont_know": "具体原因我不知道。",
    "leader_decided": "这是领导定的。",
    "final_answer": "这是最终答复，就这样了。",
    "result_deadline": "我们三个工作日内给您最终结果。",
    "over_promise": "我们保证全额赔偿。",
    "blame": "是您自己操作不当。",
    "argue": "您说的不对。",
    "jargon": "您的包裹被系统标成了问题件。",
    "insincere": "我代表系统向您道歉。",
    "pii_leak": "您留的手机号13812345678我们记下了。",
    "format": "**处理方案**：我们为您补发一份。",
    "unfounded": "我们已经为您退款了。",  # neither the complaint nor the notes say so
}
LETTERS = {rule: OPEN + "我们马上为您补发一份。" + offence + CLOSE for rule, offence in OFFENCES.items()}
LETTERS["script_order"] = "我们马上为您补发一份。" + OPEN + CLOSE
LETTERS["missing_move"] = "您好。我们马上为您补发一份。"
REQUEST = DraftRequest(complaint="快递三天没到，打电话也没人管，我的手机13812345678。", topic="delivery", anger=2, persona="angry",
                       grounded=True)
MARK = "【这是测试改动】"


def check(text: str) -> CheckResult:
    """Every check, with this complaint known (so `unfounded` is judged too)."""
    return check_for_request(text, REQUEST)


def violations_of(rule: str, text: str) -> list:
    return [v for v in check(text).violations if v.rule == rule]


def test_the_letters_cover_every_rule() -> None:
    assert set(LETTERS) == set(vocab.RULE_IDS)


@pytest.mark.parametrize("rule", vocab.RULE_IDS)
def test_exactly_one_spec_per_rule(rule: str) -> None:
    assert [spec.id for spec in (*PHRASE_SPECS, *STRUCTURE_SPECS)].count(rule) == 1
    assert RULE_SPECS[rule].id == rule and RULE_SPECS[rule].name == vocab.RULE_NAMES[rule]
    assert RULE_SPECS[rule].repair in STRATEGIES


@pytest.mark.parametrize("rule", vocab.RULE_IDS)
def test_the_checker_reports_the_specs_message(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert violations_of(rule, LETTERS[rule]), f"{rule} 的测试信件没有触发这条规则"
    monkeypatch.setattr(RULE_SPECS[rule], "message", MARK)
    assert all(v.message == MARK for v in violations_of(rule, LETTERS[rule]))


@pytest.mark.parametrize("rule", [spec.id for spec in PHRASE_SPECS if spec.example])
def test_a_new_example_reaches_checker_repair_and_prompt(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = repair(LETTERS[rule], check(LETTERS[rule]), REQUEST)
    assert RULE_SPECS[rule].example in before and MARK not in before
    monkeypatch.setattr(RULE_SPECS[rule], "example", MARK)
    assert {v.fix for v in violations_of(rule, LETTERS[rule])} == {MARK}
    assert MARK in repair(LETTERS[rule], check(LETTERS[rule]), REQUEST)
    # a retry is told the rule and its better wording (the short system prompt lists only what not to say)
    assert MARK in feedback_prompt(REQUEST.with_feedback(violations_of(rule, LETTERS[rule])))


@pytest.mark.parametrize("rule", [spec.id for spec in PHRASE_SPECS if spec.forbidden and spec.repair == "replace_clause"
                                  and spec.id != "unfounded"])
def test_each_phrase_rules_forbidden_wording_is_in_the_system_prompt(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RULE_SPECS[rule], "forbidden", MARK)
    assert f"「{MARK}」" in system_prompt("我们", 200)


def test_a_rule_without_an_example_is_cut_and_gains_one_from_its_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    letter = LETTERS["blame"]
    cut = repair(letter, check(letter), REQUEST)
    assert "操作不当" not in cut and not violations_of("blame", cut)
    monkeypatch.setattr(RULE_SPECS["blame"], "example", MARK)
    assert MARK in repair(letter, check(letter), REQUEST)


def test_jargon_is_repaired_with_the_specs_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    letter = LETTERS["jargon"]
    assert "异常包裹" in repair(letter, check(letter), REQUEST)
    monkeypatch.setattr(RULE_SPECS["jargon"], "plain_words", {"问题件": MARK})
    assert MARK in repair(letter, check(letter), REQUEST)


@pytest.mark.parametrize("rule", [spec.id for spec in RULE_SPECS.values() if not spec.example])
def test_a_retry_is_told_the_specs_advice(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RULE_SPECS[rule], "advice", MARK)
    found = violations_of(rule, LETTERS[rule])
    assert found and MARK in feedback_prompt(REQUEST.with_feedback(found))


@pytest.mark.parametrize("rule", vocab.RULE_IDS)
def test_the_repair_is_the_one_the_spec_names(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    letter = LETTERS[rule]
    assert not violations_of(rule, repair(letter, check(letter), REQUEST))
    monkeypatch.setattr(RULE_SPECS[rule], "repair", "none")  # a spec naming no repair is left as it is
    assert violations_of(rule, repair(letter, check(letter), REQUEST))


@pytest.mark.parametrize("rule", [spec.id for spec in RULE_SPECS.values() if spec.example])
def test_every_example_passes_its_own_rule(rule: str) -> None:
    assert not violations_of(rule, OPEN + RULE_SPECS[rule].example + "。" + CLOSE)


# --- moves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("move", vocab.MOVE_IDS)
def test_exactly_one_spec_per_move(move: str) -> None:
    assert list(MOVE_SPECS).count(move) == 1 and MOVE_SPECS[move].id == move
    assert MOVE_SPECS[move].name == vocab.MOVE_NAMES[move]


def test_moves_are_in_script_order_and_the_required_ones_match_spec() -> None:
    assert tuple(MOVE_SPECS) == vocab.MOVE_IDS
    assert required_moves("delivery") == ("empathize", "apologize", "solve", "consult", "follow_up")
    assert required_moves("inquiry") == ("empathize", "solve", "consult")


@pytest.mark.parametrize("move", vocab.MOVE_IDS)
def test_the_prompt_orders_the_moves_as_the_specs_do(move: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The short system prompt names the script's steps in order (the plan says what each holds)."""
    names = [MARK if m == move else vocab.MOVE_NAMES[m] for m in vocab.MOVE_IDS]
    monkeypatch.setitem(vocab.MOVE_NAMES, move, MARK)
    assert " → ".join(names) in system_prompt("我们", 200)


@pytest.mark.parametrize("move", [m for m in required_moves("delivery") if m != "solve"])  # the letter has a plan
def test_a_missing_move_is_named_with_the_specs_hint(move: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MOVE_SPECS[move], "hint", MARK)
    missing = {v.move: v for v in violations_of("missing_move", LETTERS["missing_move"])}
    assert missing[move].fix.startswith(MARK) and vocab.MOVE_NAMES[move] in missing[move].message


# empathy is also read from position (a restatement before the apology), follow-up from a
# time plus a contact; these three are found by their cues alone
@pytest.mark.parametrize("move", ["apologize", "solve", "consult"])
def test_the_tagger_and_the_repair_read_the_specs_cues(move: str, monkeypatch: pytest.MonkeyPatch) -> None:
    letter = OPEN + "我们马上为您补发一份。" + CLOSE
    assert not violations_of("missing_move", letter)
    monkeypatch.setattr(MOVE_SPECS[move], "cues", ("这个提示永远不会出现",))
    assert move in {v.move for v in violations_of("missing_move", letter)}  # the checker no longer sees the move
    repaired = repair(letter, check(letter), REQUEST)
    assert sentence(move, REQUEST) in repaired  # so the repair writes it in

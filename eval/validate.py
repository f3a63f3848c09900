"""`complaint-desk eval validate`: lint suites, prompts and phrase banks without a model.

Catches what would otherwise fail an hour into an eval run: a malformed suite line, a
prompt template that no longer renders (StrictUndefined), a persona or flag without its
guidance file, a phrase-bank gap, or a composer draft that would fail the checks.
"""

from __future__ import annotations

import itertools

from complaint_desk import vocab
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.composer import compose
from complaint_desk.drafting.plan import phrasebank
from complaint_desk.drafting.prompts import chat_messages
from complaint_desk.drafting.request import DraftRequest
from eval.check_eval import CHECK_SETS, load_check_set
from eval.runner import SUITES_DIR, SuiteError, load_suite


def validate_suites(names: list[str]) -> list[str]:
    problems = []
    for name in names or sorted(str(p) for p in SUITES_DIR.glob("*.jsonl")):
        try:
            load_suite(name)
        except SuiteError as error:
            problems.append(str(error))
    return problems


def validate_prompts() -> list[str]:
    """Render every persona × flag prompt; StrictUndefined turns a missing variable into a failure."""
    problems = []
    for persona in vocab.PERSONA_IDS:
        request = DraftRequest(complaint="测试投诉：快递三天没到", topic="delivery", anger=2, persona=persona,
                               flags=vocab.FLAG_IDS, hint="已查到包裹在驿站")
        try:
            messages = chat_messages(request.with_feedback([]))
        except Exception as error:  # noqa: BLE001  (any template error is a finding)
            problems.append(f"提示词渲染失败（客户类型 {persona}）：{error}")
            continue
        if not messages[0]["content"] or "<投诉>" not in messages[1]["content"]:
            problems.append(f"提示词内容不完整（客户类型 {persona}）")
    return problems


def validate_phrasebank() -> list[str]:
    bank = phrasebank()
    problems = []
    for section, ids in (("restate", vocab.TOPIC_IDS), ("clarify", vocab.TOPIC_IDS)):
        problems += [f"phrasebank [{section}] 缺少 {i}" for i in ids if i not in bank[section]]
    problems += [f"phrasebank [empathize.persona] 缺少 {p}" for p in vocab.PERSONA_IDS if p not in bank["empathize"]["persona"]]
    problems += [f"phrasebank [solve.flag] 缺少 {f}" for f in vocab.FLAG_IDS if f not in bank["solve"]["flag"]]
    problems += [f"phrasebank [follow_up.times] 缺少 {p}" for p in vocab.PRIORITY_IDS if p not in bank["follow_up"]["times"]]
    for topic, persona, anger in itertools.product(vocab.TOPIC_IDS, vocab.PERSONA_IDS, range(4)):
        request = DraftRequest(complaint=f"{topic}{persona}{anger}", topic=topic, anger=anger, persona=persona,
                               flags=("supervisor",) if anger == 3 else ())
        result = check_for_request(compose(request), request)  # as the workbench checks it: the plan says what the message is
        if not result.passed:
            problems.append(f"脚本组稿未通过检查（{topic}/{persona}/{anger}）：{', '.join(result.rules)}")
    return problems


def validate_check_sets() -> list[str]:
    problems = []
    for path in CHECK_SETS.values():
        if path.exists():
            try:
                load_check_set(path)
            except ValueError as error:
                problems.append(str(error))
    return problems


def validate_all(suites: list[str]) -> list[str]:
    return validate_suites(suites) + validate_prompts() + validate_phrasebank() + validate_check_sets()

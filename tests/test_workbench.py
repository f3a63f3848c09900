"""The whole flow on plain function calls: import → triage → next → draft → edit → approve
→ resolve → case base, with locks, escalation and the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaint_desk.config import Settings
from complaint_desk.domain import User
from complaint_desk.intake import import_and_triage
from complaint_desk.services import Services
from complaint_desk.store import LockConflictError
from complaint_desk.workbench import WorkflowError


@pytest.fixture
def services(tiny_settings: Settings, tmp_path: Path) -> Services:
    built = Services.build(tiny_settings, load_llm_in_background=False)
    for name, role in (("li", "agent"), ("wang", "agent"), ("boss", "supervisor")):
        built.store.add_user(User(username=name, display_name=name, role=role), "secret1")
    source = tmp_path / "in.csv"
    source.write_text(
        "编号,投诉内容,客户,时间\n"
        "A1,快递三天没到，再不处理我就打12315投诉！,张,2026-11-20 09:00\n"
        "A2,请问怎么开发票？,李,2026-11-22 10:00\n"
        "A3,外卖洒了一袋子，汤全漏了,王,2026-11-22 11:00\n",
        encoding="utf-8",
    )
    import_and_triage(built.store, built.triage, source, "boss")
    return built


def test_full_flow_ends_in_the_case_base(services: Services) -> None:
    complaint = services.workbench.take_next("li")
    assert complaint is not None and complaint.external_id == "A1"  # the regulator threat is P1
    draft, outcome = services.workbench.draft(complaint.id, "li", hint="已查到包裹在驿站")
    assert draft.kind == "generated" and outcome.result.passed and outcome.backend == "composer"
    edited = draft.text.replace("感谢", "非常感谢")
    result = services.workbench.approve(complaint.id, edited, "li", "agent")
    assert not result.escalated
    kinds = [d.kind for d in services.store.list_drafts(complaint.id)]
    assert kinds == ["generated", "edited", "sent"]
    assert services.store.get_complaint(complaint.id).status == "sent"
    case = services.workbench.resolve(complaint.id, "li", remedy="redelivery", root_cause="驿站代收未通知")
    assert case.source == "resolved" and services.store.get_complaint(complaint.id).status == "resolved"
    top = services.case_base.similar("快递三天没到，再不处理我就打12315投诉！", k=1)[0]
    assert top.case.id == case.id
    actions = [e.action for e in services.store.list_audit(complaint.id)]
    assert {"take", "draft", "approve", "resolve"} <= set(actions)


def test_two_agents_cannot_take_the_same_complaint(services: Services) -> None:
    first = services.workbench.take_next("li")
    second = services.workbench.take_next("wang")
    assert first.id != second.id
    with pytest.raises(LockConflictError):
        services.store.claim(first.id, "wang")


def test_approval_is_refused_while_checks_fail(services: Services) -> None:
    complaint = services.workbench.take_next("li")
    with pytest.raises(WorkflowError, match="未通过的检查"):
        services.workbench.approve(complaint.id, "这件事不归我管。", "li", "agent")


def test_large_compensation_goes_to_a_supervisor(services: Services) -> None:
    complaint = services.workbench.take_next("li")
    draft, _ = services.workbench.draft(complaint.id, "li")
    text = draft.text.replace("您看", "经主管审批，我们为您补偿300元。您看", 1)
    result = services.workbench.approve(complaint.id, text, "li", "agent")
    assert result.escalated and services.store.get_complaint(complaint.id).status == "escalated"
    sent = services.workbench.approve_escalated(complaint.id, "boss")
    assert sent.approved_by == "boss" and sent.offered_amount == 300
    assert services.store.get_complaint(complaint.id).status == "sent"


def test_resolve_needs_a_sent_reply(services: Services) -> None:
    complaint = services.workbench.take_next("li")
    with pytest.raises(WorkflowError, match="先批准回复"):
        services.workbench.resolve(complaint.id, "li")


def test_resolved_case_masks_personal_data(services: Services, tmp_path: Path) -> None:
    source = tmp_path / "pii.jsonl"
    source.write_text('{"id": "P1", "text": "我的手机13812345678一直收到骚扰短信，你们泄露了我的信息！"}\n', encoding="utf-8")
    report = import_and_triage(services.store, services.triage, source, "boss")
    complaint_id = report.added_ids[0]
    services.store.claim(complaint_id, "li")
    draft, _ = services.workbench.draft(complaint_id, "li")
    services.workbench.approve(complaint_id, draft.text, "li", "agent")
    case = services.workbench.resolve(complaint_id, "li")
    assert "13812345678" not in case.complaint and "138****5678" in case.complaint

"""The whole flow on plain function calls: import → triage → next → draft → edit → approve
→ resolve → case base, with locks, escalation, server-side roles, one transaction per
change and the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaint_desk.config import Settings
from complaint_desk.domain import User
from complaint_desk.services import Services
from complaint_desk.store import LockConflictError
from complaint_desk.workflow.access import PERMISSIONS, PermissionDeniedError
from complaint_desk.workflow.service import WorkflowError


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
    built.workflow.import_file(built.workflow.actor("boss"), source)
    return built


def who(services: Services, name: str) -> User:
    return services.workflow.actor(name)


def test_full_flow_ends_in_the_case_base(services: Services) -> None:
    li, flow = who(services, "li"), services.workflow
    complaint = flow.take_next(li)
    assert complaint is not None and complaint.external_id == "A1"  # the regulator threat is P1
    draft, outcome = flow.draft(li, complaint.id, hint="已查到包裹在驿站")
    assert draft.kind == "generated" and outcome.result.passed and outcome.backend == "composer"
    edited = draft.text.replace("感谢", "非常感谢")
    flow.approve(li, complaint.id, edited)
    kinds = [d.kind for d in services.store.list_drafts(complaint.id)]
    assert kinds == ["generated", "edited", "sent"]
    assert services.store.get_complaint(complaint.id).status == "sent"
    case = flow.resolve(li, complaint.id, remedy="redelivery", root_cause="驿站代收未通知")
    assert case.source == "resolved" and services.store.get_complaint(complaint.id).status == "resolved"
    top = services.case_base.similar("快递三天没到，再不处理我就打12315投诉！", k=1)[0]
    assert top.case.id == case.id
    actions = [e.action for e in services.store.list_audit(complaint.id)]
    assert {"take", "draft", "approve", "resolve"} <= set(actions)


def test_two_agents_cannot_take_the_same_complaint(services: Services) -> None:
    first = services.workflow.take_next(who(services, "li"))
    second = services.workflow.take_next(who(services, "wang"))
    assert first.id != second.id
    with pytest.raises(LockConflictError):
        services.store.claim(first.id, "wang")


def test_approval_is_refused_while_checks_fail(services: Services) -> None:
    li = who(services, "li")
    complaint = services.workflow.take_next(li)
    with pytest.raises(WorkflowError, match="未通过的检查"):
        services.workflow.approve(li, complaint.id, "这件事不归我管。")


def test_large_compensation_needs_a_supervisors_approval_first(services: Services) -> None:
    li, boss, flow = who(services, "li"), who(services, "boss"), services.workflow
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    offer = draft.text.replace("您看", "我们为您补偿300元。您看", 1)
    with pytest.raises(WorkflowError, match="提交主管审批"):  # an agent cannot send it alone
        flow.approve(li, complaint.id, offer)
    claimed = draft.text.replace("您看", "经主管批准，我们为您补偿20元。您看", 1)
    with pytest.raises(WorkflowError, match="还没有主管批准"):  # nor claim an approval that has not happened
        flow.approve(li, complaint.id, claimed)
    with pytest.raises(WorkflowError, match="不需要审批"):
        flow.request_approval(li, complaint.id, 150, "行李箱损坏严重")
    flow.request_approval(li, complaint.id, 300, "第三次投诉，箱子无法使用", offer)
    assert services.store.get_complaint(complaint.id).status == "escalated"
    with pytest.raises(WorkflowError, match="不能再批准发送"):
        flow.approve(li, complaint.id, offer)
    with pytest.raises(PermissionDeniedError):
        flow.decide_approval(li, complaint.id, True)
    decided = flow.decide_approval(boss, complaint.id, True, "同意，注意安抚")
    assert decided.status == "approved" and decided.decided_by == "boss"
    assert services.store.get_complaint(complaint.id).status == "assigned"
    with pytest.raises(WorkflowError, match="没有待审批"):  # deciding twice changes nothing
        flow.decide_approval(boss, complaint.id, False, "再看看")
    with pytest.raises(WorkflowError, match="超过主管批准的 300 元"):
        flow.approve(li, complaint.id, draft.text.replace("您看", "我们为您补偿500元。您看", 1))
    approved = draft.text.replace("您看", "经主管批准，我们为您补偿300元。您看", 1)
    sent = flow.approve(li, complaint.id, approved).draft
    assert sent.offered_amount == 300 and sent.approved_by == "boss"
    steps = [e.action for e in flow.audit_trail(li, complaint.id)]
    assert steps[-3:] == ["request_approval", "approval_approved", "approve"]


def test_a_rejected_request_goes_back_to_the_agent_with_the_note(services: Services) -> None:
    li, boss, flow = who(services, "li"), who(services, "boss"), services.workflow
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    flow.request_approval(li, complaint.id, 800, "客户要求赔偿八百")
    with pytest.raises(WorkflowError, match="驳回时请写明"):
        flow.decide_approval(boss, complaint.id, False, "")
    flow.decide_approval(boss, complaint.id, False, "按保价条款处理，不额外补偿")
    (answer,) = flow.approval_history(li, complaint.id)
    assert answer.status == "rejected" and answer.note == "按保价条款处理，不额外补偿"
    with pytest.raises(WorkflowError, match="提交主管审批"):  # still not allowed
        flow.approve(li, complaint.id, draft.text.replace("您看", "我们为您补偿800元。您看", 1))
    flow.approve(li, complaint.id, draft.text)  # the revised reply goes out
    steps = [e.action for e in flow.audit_trail(li, complaint.id)]
    assert steps[-3:] == ["request_approval", "approval_rejected", "approve"]


def test_a_supervisor_may_promise_above_the_limit_and_is_recorded(services: Services) -> None:
    boss, flow = who(services, "boss"), services.workflow
    complaint = flow.take_next(boss)
    draft, _ = flow.draft(boss, complaint.id)
    sent = flow.approve(boss, complaint.id, draft.text.replace("您看", "我们为您补偿300元。您看", 1)).draft
    assert sent.approved_by == "boss"


def test_an_agent_holds_a_bounded_pile(services: Services) -> None:
    li, flow = who(services, "li"), services.workflow
    services.settings.ui.max_held = 2
    taken = [flow.take_next(li).id, flow.take_next(li).id]
    with pytest.raises(WorkflowError, match="上限 2 条"):
        flow.take_next(li)
    assert [item.complaint.id for item in flow.mine(li)] == taken
    flow.release(li, taken[0])
    assert flow.take_next(li) is not None


def test_queue_search_and_pages(services: Services) -> None:
    from complaint_desk.store import QueueFilter

    boss, flow = who(services, "boss"), services.workflow
    assert [i.complaint.external_id for i in flow.queue(boss, QueueFilter(search="发票")).items] == ["A2"]
    assert [i.complaint.customer_name for i in flow.queue(boss, QueueFilter(search="王")).items] == ["王"]
    assert [i.complaint.id for i in flow.queue(boss, QueueFilter(search="1")).items][:1] == [1]
    assert flow.queue(boss, QueueFilter(search="100%_")).total == 0  # LIKE wildcards are text
    first, second = (flow.queue(boss, QueueFilter(limit=2, offset=offset)) for offset in (0, 2))
    assert first.total == second.total == 3 and len(first.items) == 2 and len(second.items) == 1
    assert {i.complaint.id for i in first.items}.isdisjoint({i.complaint.id for i in second.items})


def test_bulk_reassign_is_all_or_nothing(services: Services) -> None:
    boss, flow = who(services, "boss"), services.workflow
    with pytest.raises(WorkflowError):
        flow.reassign_many(boss, [1, 2, 999], "wang")
    assert all(c.assigned_to is None for c in services.store.list_complaints())
    assert flow.reassign_many(boss, [1, 2], "wang") == 2
    assert [c.id for c in services.store.list_complaints() if c.assigned_to == "wang"] == [1, 2]


def test_a_sent_reply_is_not_sent_again(services: Services) -> None:
    li, flow = who(services, "li"), services.workflow
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    flow.approve(li, complaint.id, draft.text)
    with pytest.raises(WorkflowError, match="不能再批准发送"):
        flow.approve(li, complaint.id, draft.text)
    with pytest.raises(WorkflowError, match="不能再生成草稿"):
        flow.draft(li, complaint.id)
    assert [d.kind for d in services.store.list_drafts(complaint.id)].count("sent") == 1


def test_resolve_needs_a_sent_reply(services: Services) -> None:
    li = who(services, "li")
    complaint = services.workflow.take_next(li)
    with pytest.raises(WorkflowError, match="先批准回复"):
        services.workflow.resolve(li, complaint.id)


def test_resolved_case_masks_personal_data(services: Services, tmp_path: Path) -> None:
    li, flow = who(services, "li"), services.workflow
    source = tmp_path / "pii.jsonl"
    source.write_text('{"id": "P1", "text": "我的手机13812345678一直收到骚扰短信，你们泄露了我的信息！"}\n', encoding="utf-8")
    complaint_id = flow.import_file(who(services, "boss"), source).added_ids[0]
    flow.open(li, complaint_id)
    draft, _ = flow.draft(li, complaint_id)
    flow.approve(li, complaint_id, draft.text)
    case = flow.resolve(li, complaint_id, root_cause="客户手机号13812345678被泄露")
    assert "13812345678" not in case.complaint and "138****5678" in case.complaint
    assert "13812345678" not in case.root_cause


# --- server-side roles -------------------------------------------------------------------


@pytest.mark.parametrize("action", ["queue", "dashboard", "assignable", "reassign", "reassign_many", "import_file",
                                    "decide_approval", "approvals", "remove_demo", "seed_demo"])
def test_an_agent_is_refused_every_supervisor_action(services: Services, action: str, tmp_path: Path) -> None:
    li, flow = who(services, "li"), services.workflow
    arguments = {"reassign": (1, "wang"), "reassign_many": ([1], "wang"), "import_file": (tmp_path / "x.csv",),
                 "decide_approval": (1, True)}
    with pytest.raises(PermissionDeniedError):
        getattr(flow, action)(li, *arguments.get(action, ()))


def test_an_agent_cannot_touch_a_colleagues_complaint(services: Services) -> None:
    flow = services.workflow
    complaint = flow.take_next(who(services, "li"))
    wang = who(services, "wang")
    for call in (lambda: flow.open(wang, complaint.id), lambda: flow.draft(wang, complaint.id),
                 lambda: flow.approve(wang, complaint.id, "您好"), lambda: flow.release(wang, complaint.id),
                 lambda: flow.resolve(wang, complaint.id)):
        with pytest.raises(PermissionDeniedError):
            call()
    flow.release(who(services, "boss"), complaint.id)  # a supervisor may release anyone's lock
    assert services.store.get_complaint(complaint.id).assigned_to is None


def test_unknown_and_deactivated_users_are_refused(services: Services) -> None:
    with pytest.raises(PermissionDeniedError):
        services.workflow.actor("nobody")
    services.store.add_user(User(username="gone", display_name="gone", role="agent", active=False), "secret1")
    with pytest.raises(PermissionDeniedError):
        services.workflow.actor("gone")


def test_every_permission_names_known_roles() -> None:
    assert all(roles and roles <= {"agent", "supervisor", "admin"} for roles in PERMISSIONS.values())


# --- one transaction per change ------------------------------------------------------------


class Crash(RuntimeError):
    """Stands for the process dying part way through a change."""


def _crash_on(services: Services, monkeypatch: pytest.MonkeyPatch, method: str, after: int = 0) -> None:
    """Make the store's `method` fail on its call number `after` (0 = first)."""
    original = getattr(services.store, method)
    calls = {"n": 0}

    def failing(*args, **kwargs):  # noqa: ANN002,ANN003,ANN202
        calls["n"] += 1
        if calls["n"] > after:
            raise Crash(method)
        return original(*args, **kwargs)

    monkeypatch.setattr(services.store, method, failing)


def _state(services: Services, complaint_id: int) -> tuple:
    complaint = services.store.get_complaint(complaint_id)
    return (complaint.status, complaint.assigned_to, [d.kind for d in services.store.list_drafts(complaint_id)],
            [e.action for e in services.store.list_audit(complaint_id)], [c.id for c in services.store.list_cases("resolved")])


@pytest.mark.parametrize(("method", "after"), [("transition", 0), ("list_drafts", 0), ("add_draft", 0),
                                               ("add_draft", 1), ("audit", 0)])
def test_a_crash_inside_approve_leaves_the_complaint_as_it_was(services: Services, monkeypatch: pytest.MonkeyPatch,
                                                                method: str, after: int) -> None:
    li, flow = who(services, "li"), services.workflow
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    edited = draft.text.replace("感谢", "非常感谢")  # edited: approve writes two drafts, so every step can fail
    before = _state(services, complaint.id)
    _crash_on(services, monkeypatch, method, after)  # each store call approve makes, in order, after the status change
    with pytest.raises(Crash):
        flow.approve(li, complaint.id, edited)
    monkeypatch.undo()
    assert _state(services, complaint.id) == before


@pytest.mark.parametrize("method", ["add_case", "audit"])
def test_a_crash_inside_resolve_leaves_the_complaint_as_it_was(services: Services, monkeypatch: pytest.MonkeyPatch,
                                                                method: str) -> None:
    li, flow = who(services, "li"), services.workflow
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    flow.approve(li, complaint.id, draft.text)
    before = _state(services, complaint.id)
    _crash_on(services, monkeypatch, method)
    with pytest.raises(Crash):
        flow.resolve(li, complaint.id, remedy="redelivery")
    monkeypatch.undo()
    assert _state(services, complaint.id) == before
    assert all(c.id != f"res-{complaint.id}" for c in services.case_base.cases())
    assert flow.resolve(li, complaint.id, remedy="redelivery").id == f"res-{complaint.id}"  # and it can be redone


@pytest.mark.parametrize("method", ["decide_approval", "transition", "audit"])
def test_a_crash_inside_an_approval_decision_changes_nothing(services: Services, monkeypatch: pytest.MonkeyPatch,
                                                             method: str) -> None:
    li, flow = who(services, "li"), services.workflow
    complaint = flow.take_next(li)
    flow.request_approval(li, complaint.id, 300, "箱子无法使用")
    before = _state(services, complaint.id), services.store.list_approvals(complaint.id)
    _crash_on(services, monkeypatch, method)
    with pytest.raises(Crash):
        flow.decide_approval(who(services, "boss"), complaint.id, True)
    monkeypatch.undo()
    assert (_state(services, complaint.id), services.store.list_approvals(complaint.id)) == before


def test_start_up_finishes_triage_an_interrupted_run_left(tiny_settings: Settings) -> None:
    """A crash between import and triage leaves complaints at no priority; the next start triages them."""
    from complaint_desk.domain import Complaint
    from complaint_desk.ui.server import prepare

    built = Services.build(tiny_settings, load_llm_in_background=False)
    built.store.add_complaints([Complaint(text="手机刚买就黑屏，客服也不回复，我要投诉到12315！"),
                                Complaint(text="我孩子吃了你们的零食上吐下泻，现在还在医院")])
    assert len(built.store.untriaged_ids()) == 2
    resumed = prepare(tiny_settings, demo=False)
    assert resumed.store.untriaged_ids() == []
    assert all(c.triage is not None for c in resumed.store.list_complaints())


def test_a_reply_with_another_customers_case_in_it_cannot_be_approved(services: Services) -> None:
    """The request-aware check runs at approval, not only in the guard."""
    li, flow = who(services, "li"), services.workflow
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    reference = flow.view(complaint.id).similar[0].case
    lifted = max(reference.complaint.replace("！", "，").replace("。", "，").split("，"), key=len)
    assert len(lifted) >= 12
    pasted = draft.text.replace("您看", f"另外，{lifted}。您看", 1)
    assert any(v.copied_from == reference.id for v in flow.check(pasted, complaint).violations)
    with pytest.raises(WorkflowError, match="未通过的检查"):
        flow.approve(li, complaint.id, pasted)
    assert services.store.get_complaint(complaint.id).status == "assigned"


def test_a_re_import_finishes_triage_an_interrupted_import_left(services: Services, tmp_path: Path) -> None:
    """kill -9 between storing and triaging, then the same file again: 新增 0, and nothing stays untriaged."""
    from complaint_desk.domain import Complaint

    services.store.add_complaints([Complaint(external_id="K1", text="热水器漏电，我家老人被电了一下，现在还手麻")])
    source = tmp_path / "again.jsonl"
    source.write_text('{"id": "K1", "text": "热水器漏电，我家老人被电了一下，现在还手麻"}\n', encoding="utf-8")
    report = services.workflow.import_file(who(services, "boss"), source)
    assert report.added_ids == [] and report.duplicates == 1
    assert services.store.untriaged_ids() == []


def test_a_reply_may_state_as_done_only_what_the_notes_say(services: Services) -> None:
    li, flow = who(services, "li"), services.workflow
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    claim = draft.text.replace("您看", "我们已经联系了快递员。您看", 1)
    with pytest.raises(WorkflowError, match="无据陈述"):
        flow.approve(li, complaint.id, claim)
    noted, _ = flow.draft(li, complaint.id, hint="已联系快递员，明天上午送到")
    assert noted.notes == "已联系快递员，明天上午送到" and "已联系快递员" in noted.text
    sent = flow.approve(li, complaint.id, claim).draft  # the notes it was drafted with ground the claim
    assert sent.notes == "已联系快递员，明天上午送到"


def test_a_crisis_is_p1_and_never_drafted_by_template(services: Services, tmp_path: Path) -> None:
    li, flow = who(services, "li"), services.workflow
    source = tmp_path / "crisis.jsonl"
    source.write_text('{"id": "C1", "text": "钱被你们扣光了，我真的不想活了"}\n', encoding="utf-8")
    complaint_id = flow.import_file(who(services, "boss"), source).added_ids[0]
    view = flow.open(li, complaint_id)
    assert view.item.priority == "P1" and "crisis" in view.complaint.triage.flag_ids
    with pytest.raises(WorkflowError, match="危机信号"):
        flow.draft(li, complaint_id)

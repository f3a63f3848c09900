"""What each UI action does, as plain functions over the services.

Every function takes the acting user and returns display values (strings, rows, text
segments); Gradio wiring lives in layout.py. Errors a user can act on come back as a
Chinese message, never as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from complaint_desk import vocab
from complaint_desk.domain import STATUS_NAMES, Complaint, FlagHit, Violation, utcnow
from complaint_desk.importing import ImportFormatError
from complaint_desk.intake import import_and_triage
from complaint_desk.queue import QueueItem, ordered
from complaint_desk.services import Services
from complaint_desk.store import LockConflictError, QueueFilter
from complaint_desk.workbench import WorkflowError

Segments = list[tuple[str, str | None]]
QUEUE_HEADERS = ["编号", "优先级", "分数", "原因", "主题", "怒气", "风险信号", "已等待(小时)", "SLA剩余(小时)", "状态", "处理人", "投诉摘要"]
SIMILAR_HEADERS = ["案例", "得分", "主题", "处理方式", "结果", "匹配原因", "投诉"]
VIOLATION_HEADERS = ["规则", "原文", "问题", "建议改法"]
DRAFT_HEADERS = ["时间", "类型", "作者", "后端", "内容"]
DRAFT_KINDS = {"generated": "AI草稿", "edited": "坐席修改", "sent": "已发送"}


class UIError(RuntimeError):
    """A message for the person at the screen."""


def role_of(services: Services, username: str | None) -> str:
    user = services.store.get_user(username or "")
    if user is None:
        raise UIError("请先登录")
    return user.role


def _local(moment: datetime | None, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M") if moment else ""


def _summary(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def queue_row(item: QueueItem) -> list:
    complaint = item.complaint
    triage = complaint.triage
    return [
        complaint.id,
        f"{item.priority} {vocab.PRIORITY_NAMES[item.priority]}",
        round(item.priority_score, 2),
        item.reason,
        vocab.TOPIC_NAMES[triage.topic] if triage else "",
        vocab.ANGER_NAMES[triage.anger] if triage else "",
        "、".join(vocab.FLAG_NAMES[f] for f in triage.flag_ids) if triage else "",
        round(item.waited_hours, 1),
        round(item.sla_left_hours, 1),
        STATUS_NAMES[complaint.status] + ("（演示）" if complaint.is_demo else ""),
        complaint.assigned_to or "",
        _summary(complaint.text),
    ]


def parse_day(value: str | None, tz: str, end: bool = False) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").replace(tzinfo=ZoneInfo(tz))
    except ValueError as error:
        raise UIError(f"日期「{value}」格式不对，请用 2026-11-23 这样的格式") from error
    return day + timedelta(days=1) if end else day


def queue_rows(services: Services, topics: Sequence[str] = (), priorities: Sequence[str] = (),
               statuses: Sequence[str] = ("open", "assigned", "escalated"), agent: str | None = None,
               date_from: str | None = None, date_to: str | None = None) -> list[list]:
    tz = services.settings.timezone
    query = QueueFilter(statuses=tuple(statuses), topics=tuple(topics), priorities=tuple(priorities),
                        assigned_to=agent or None, created_from=parse_day(date_from, tz),
                        created_to=parse_day(date_to, tz, end=True), limit=services.settings.ui.queue_page_size)
    return [queue_row(item) for item in ordered(services.store, services.settings, query)]


def highlight_segments(text: str, spans: Sequence[tuple[int, int, str]]) -> Segments:
    """Text split into plain runs and labelled spans, for gr.HighlightedText (overlaps dropped)."""
    segments: Segments = []
    cursor = 0
    for start, end, label in sorted((s for s in spans if s[1] > s[0]), key=lambda s: s[0]):
        if start < cursor:
            continue
        if start > cursor:
            segments.append((text[cursor:start], None))
        segments.append((text[start:end], label))
        cursor = end
    if cursor < len(text):
        segments.append((text[cursor:], None))
    return segments


def flag_segments(text: str, hits: Sequence[FlagHit]) -> Segments:
    """The complaint with its risk-signal spans labelled by the flag's Chinese name."""
    return highlight_segments(text, [(h.start, h.end, vocab.FLAG_NAMES[h.flag]) for h in hits])


def violation_segments(text: str, violations: Sequence[Violation]) -> Segments:
    """The draft with each violating span labelled by its rule's Chinese name."""
    return highlight_segments(text, [(v.start, v.end, vocab.RULE_NAMES[v.rule]) for v in violations])


def violation_rows(violations: Sequence[Violation]) -> list[list[str]]:
    return [[vocab.RULE_NAMES[v.rule], v.span, v.message, v.fix or ""] for v in violations]


@dataclass
class ComplaintView:
    complaint_id: int
    text: str
    meta: str
    triage: str
    flags: Segments
    similar: list[list]
    precedent: str
    drafts: list[list]
    draft: str


def _require_access(complaint: Complaint, username: str, role: str) -> None:
    if role == "agent" and complaint.assigned_to not in (None, username):
        raise UIError(f"投诉 {complaint.id} 由 {complaint.assigned_to} 处理中")


def open_complaint(services: Services, complaint_id: int, username: str) -> ComplaintView:
    role = role_of(services, username)
    try:
        complaint = services.store.get_complaint(int(complaint_id))
    except (KeyError, ValueError, TypeError) as error:
        raise UIError(f"找不到投诉 {complaint_id}") from error
    _require_access(complaint, username, role)
    if role == "agent" and complaint.assigned_to is None and complaint.status == "open":
        try:
            services.store.claim(complaint.id, username)  # type: ignore[arg-type]
            services.store.audit(username, "open", complaint.id)
        except LockConflictError as error:
            raise UIError(str(error)) from error
    view = services.workbench.view(complaint.id)  # type: ignore[arg-type]
    triage = view.complaint.triage
    assert triage is not None
    tz = services.settings.timezone
    meta = (f"编号 {view.complaint.id} · {STATUS_NAMES[view.complaint.status]} · 处理人 {view.complaint.assigned_to or '无'} · "
            f"渠道 {view.complaint.channel or '-'} · 客户 {view.complaint.customer_name or '-'} · "
            f"订单 {view.complaint.order_id or '-'} · 提交于 {_local(view.complaint.created_at, tz)}"
            + (" · 演示数据" if view.complaint.is_demo else ""))
    triage_text = (
        f"{view.item.priority} {vocab.PRIORITY_NAMES[view.item.priority]}（{view.item.priority_score:.2f}）：{view.item.reason}\n"
        f"主题：{vocab.TOPIC_NAMES[triage.topic]}　怒气：{vocab.ANGER_NAMES[triage.anger]}（{triage.anger_score:.2f}）　"
        f"客户类型：{'、'.join(f'{vocab.PERSONA_NAMES[p.label]} {p.probability:.0%}' for p in triage.persona_top3)}\n"
        f"建议责任部门：{vocab.DEPARTMENT_NAMES[triage.department]}　SLA 剩余 {view.item.sla_left_hours:.1f} 小时"
    )
    similar = [
        [s.case.id, round(s.score, 3), vocab.TOPIC_NAMES[s.case.topic], vocab.REMEDY_NAMES[s.case.remedy],
         vocab.OUTCOME_NAMES[s.case.outcome], "；".join(s.why), _summary(s.case.complaint, 60)]
        for s in view.similar
    ]
    drafts = draft_history(services, view.complaint.id)
    latest = view.drafts[-1].text if view.drafts else ""
    return ComplaintView(view.complaint.id, view.complaint.text, meta, triage_text,  # type: ignore[arg-type]
                         flag_segments(view.complaint.text, triage.flags), similar, view.precedent.summary, drafts, latest)


def draft_history(services: Services, complaint_id: int | None) -> list[list]:
    if not complaint_id:
        return []
    tz = services.settings.timezone
    return [[_local(d.created_at, tz), DRAFT_KINDS[d.kind], d.author, d.backend or "", _summary(d.text, 60)]
            for d in services.store.list_drafts(int(complaint_id))]


def take_next(services: Services, username: str) -> int:
    role_of(services, username)
    complaint = services.workbench.take_next(username)
    if complaint is None:
        raise UIError("队列里没有待处理的投诉")
    return complaint.id  # type: ignore[return-value]


def backend_notice(services: Services) -> str:
    current = services.drafting.current
    name = getattr(current.backend, "description", current.backend.name)
    return f"生成后端：{name}" + (f"。{current.notice}" if current.notice else "")


def generate(services: Services, complaint_id: int | None, username: str, hint: str | None) -> Iterator[tuple[str, str]]:
    """Stream (draft text, status) while the draft is written, checked and repaired."""
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    role = role_of(services, username)
    _require_access(services.store.get_complaint(int(complaint_id)), username, role)
    for event in services.workbench.draft_stream(int(complaint_id), username, hint):
        if event.done and event.outcome is not None:
            outcome = event.outcome
            state = "草稿已通过全部检查" if outcome.result.passed else "草稿仍有问题，请修改后再批准"
            extra = f"（生成 {outcome.attempts} 次{'，已自动修复' if outcome.repaired else ''}，后端 {outcome.backend}）"
            yield event.text, state + extra
        else:
            yield event.text, event.status


def live_check(services: Services, complaint_id: int | None, text: str) -> tuple[Segments, list[list[str]], str]:
    if not complaint_id or not text.strip():
        return [], [], ""
    complaint = services.store.get_complaint(int(complaint_id))
    result = services.workbench.check(text, complaint)
    sequence = [m.move for i, m in enumerate(result.moves) if i == 0 or m.move != result.moves[i - 1].move]
    moves = " → ".join(vocab.MOVE_NAMES[m] for m in sequence)
    status = "通过全部检查" if result.passed else f"发现 {len(result.violations)} 处问题"
    return violation_segments(text, result.violations), violation_rows(result.violations), f"{status}　脚本：{moves}"


def _workflow(call):  # noqa: ANN001,ANN202
    try:
        return call()
    except (WorkflowError, LockConflictError, KeyError) as error:
        raise UIError(str(error.args[0] if error.args else error)) from error


def approve(services: Services, complaint_id: int | None, text: str, username: str) -> str:
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    role = role_of(services, username)
    result = _workflow(lambda: services.workbench.approve(int(complaint_id), text, username, role))
    return result.message


def resolve(services: Services, complaint_id: int | None, username: str, remedy: str | None, outcome: str,
            root_cause: str) -> str:
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    role = role_of(services, username)
    _require_access(services.store.get_complaint(int(complaint_id)), username, role)
    case = _workflow(lambda: services.workbench.resolve(int(complaint_id), username, remedy or None, outcome or "satisfied",
                                                        root_cause or ""))
    return f"已结案，案例 {case.id} 已加入案例库（{vocab.REMEDY_NAMES[case.remedy]}），现在即可检索到"


def _supervisor(services: Services, username: str) -> None:
    if role_of(services, username) not in ("supervisor", "admin"):
        raise UIError("只有主管或管理员可以这样操作")


def release(services: Services, complaint_id: int | None, username: str) -> str:
    if not complaint_id:
        raise UIError("请填写投诉编号")
    role = role_of(services, username)
    complaint = _workflow(lambda: services.store.get_complaint(int(complaint_id)))
    if role == "agent" and complaint.assigned_to != username:
        raise UIError("只能释放自己正在处理的投诉")
    services.store.release(complaint.id)  # type: ignore[arg-type]
    services.store.audit(username, "release", complaint.id)
    return f"投诉 {complaint.id} 已释放回队列"


def reassign(services: Services, complaint_id: int | None, target: str | None, username: str) -> str:
    _supervisor(services, username)
    if not complaint_id or not target:
        raise UIError("请填写投诉编号并选择坐席")
    if services.store.get_user(target) is None:
        raise UIError(f"没有账号 {target}")
    _workflow(lambda: services.store.assign(int(complaint_id), target))
    services.store.audit(username, "reassign", int(complaint_id), to=target)
    return f"投诉 {complaint_id} 已分配给 {target}"


def approve_escalated(services: Services, complaint_id: int | None, username: str) -> str:
    _supervisor(services, username)
    if not complaint_id:
        raise UIError("请填写投诉编号")
    sent = _workflow(lambda: services.workbench.approve_escalated(int(complaint_id), username))
    return f"已批准投诉 {complaint_id} 的补偿（{sent.offered_amount:g} 元），回复记录为已发送"


def bulk_import(services: Services, path: str | None, username: str) -> tuple[str, list[list]]:
    _supervisor(services, username)
    if not path:
        raise UIError("请先选择要导入的文件")
    try:
        report = import_and_triage(services.store, services.triage, Path(path), username)
    except ImportFormatError as error:
        raise UIError(str(error)) from error
    return report.summary(), [[e.row, e.column, e.message] for e in report.errors]


def agents(services: Services) -> list[str]:
    return [u.username for u in services.store.list_users() if u.role in ("agent", "supervisor") and u.active]


def now_label(services: Services) -> str:
    return _local(utcnow(), services.settings.timezone)

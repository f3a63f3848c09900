"""What each UI action does, as plain functions over the services.

Every function takes the acting user and returns display values (strings, rows, text
segments); Gradio wiring lives in layout.py. Errors a user can act on come back as a
Chinese message, never as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from zoneinfo import ZoneInfo

from complaint_desk import vocab
from complaint_desk.domain import QUEUE_STATUSES, STATUS_NAMES, FlagHit, User, Violation, utcnow
from complaint_desk.errors import ActionableError
from complaint_desk.services import Services
from complaint_desk.store import QueueFilter
from complaint_desk.workflow.access import allowed
from complaint_desk.workflow.dashboard import DashboardData
from complaint_desk.workflow.queue import QueueItem

Segments = list[tuple[str, str | None]]
QUEUE_HEADERS = ["编号", "优先级", "分数", "原因", "主题", "怒气", "风险信号", "已等待(小时)", "SLA剩余(小时)", "状态", "处理人", "投诉摘要"]
SIMILAR_HEADERS = ["案例", "得分", "主题", "处理方式", "结果", "匹配原因", "投诉"]
VIOLATION_HEADERS = ["规则", "原文", "问题", "建议改法"]
DRAFT_HEADERS = ["时间", "类型", "作者", "后端", "内容"]
DRAFT_KINDS = {"generated": "AI草稿", "edited": "坐席修改", "sent": "已发送"}


class UIError(RuntimeError):
    """A message for the person at the screen."""


def acting(call):  # noqa: ANN001,ANN201  (a decorator keeping the handler's own signature)
    """Run a handler with errors a user can act on turned into the message on screen."""
    @wraps(call)
    def run(*args, **kwargs):  # noqa: ANN002,ANN003,ANN202
        try:
            return call(*args, **kwargs)
        except ActionableError as error:
            raise UIError(str(error)) from error
        except KeyError as error:
            raise UIError(str(error.args[0] if error.args else error)) from error
    return run


def actor(services: Services, username: str | None) -> User:
    return services.workflow.actor(username)


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


@acting
def queue_rows(services: Services, username: str | None, topics: Sequence[str] = (), priorities: Sequence[str] = (),
               statuses: Sequence[str] = QUEUE_STATUSES, agent: str | None = None,
               date_from: str | None = None, date_to: str | None = None) -> list[list]:
    tz = services.settings.timezone
    query = QueueFilter(statuses=tuple(statuses), topics=tuple(topics), priorities=tuple(priorities),
                        assigned_to=agent or None, created_from=parse_day(date_from, tz),
                        created_to=parse_day(date_to, tz, end=True), limit=services.settings.ui.queue_page_size)
    return [queue_row(item) for item in services.workflow.queue(actor(services, username), query)]


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


@acting
def open_complaint(services: Services, complaint_id: int, username: str) -> ComplaintView:
    if not complaint_id:
        raise UIError("请填写投诉编号")
    view = services.workflow.open(actor(services, username), complaint_id)
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
    drafts = draft_history(services, view.complaint.id, username)
    latest = view.drafts[-1].text if view.drafts else ""
    return ComplaintView(view.complaint.id, view.complaint.text, meta, triage_text,  # type: ignore[arg-type]
                         flag_segments(view.complaint.text, triage.flags), similar, view.precedent.summary, drafts, latest)


@acting
def draft_history(services: Services, complaint_id: int | None, username: str | None) -> list[list]:
    if not complaint_id:
        return []
    tz = services.settings.timezone
    return [[_local(d.created_at, tz), DRAFT_KINDS[d.kind], d.author, d.backend or "", _summary(d.text, 60)]
            for d in services.workflow.drafts(actor(services, username), int(complaint_id))]


@acting
def take_next(services: Services, username: str) -> int:
    complaint = services.workflow.take_next(actor(services, username))
    if complaint is None:
        raise UIError("队列里没有待处理的投诉")
    return complaint.id  # type: ignore[return-value]


def backend_notice(services: Services) -> str:
    current = services.drafting.current
    name = getattr(current.backend, "description", current.backend.name)
    return f"生成后端：{name}" + (f"。{current.notice}" if current.notice else "")


@acting
def generate(services: Services, complaint_id: int | None, username: str, hint: str | None) -> Iterator[tuple[str, str]]:
    """Stream (draft text, status) while the draft is written, checked and repaired."""
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    for event in services.workflow.draft_stream(actor(services, username), int(complaint_id), hint):
        if event.done and event.outcome is not None:
            outcome = event.outcome
            state = "草稿已通过全部检查" if outcome.result.passed else "草稿仍有问题，请修改后再批准"
            if outcome.fell_back:
                state = "模型写的草稿改不好（如照抄了别的案例），已改用脚本组稿；" + state
            extra = f"（生成 {outcome.attempts} 次{'，已自动修复' if outcome.repaired else ''}，后端 {outcome.backend}）"
            yield event.text, state + extra
        else:
            yield event.text, event.status


@acting
def live_check(services: Services, complaint_id: int | None, text: str,
               username: str | None) -> tuple[Segments, list[list[str]], str]:
    if not complaint_id or not text.strip():
        return [], [], ""
    complaint = services.workflow.complaint(actor(services, username), int(complaint_id))
    result = services.workflow.check(text, complaint)
    sequence = [m.move for i, m in enumerate(result.moves) if i == 0 or m.move != result.moves[i - 1].move]
    moves = " → ".join(vocab.MOVE_NAMES[m] for m in sequence)
    status = "通过全部检查" if result.passed else f"发现 {len(result.violations)} 处问题"
    return violation_segments(text, result.violations), violation_rows(result.violations), f"{status}　脚本：{moves}"


@acting
def approve(services: Services, complaint_id: int | None, text: str, username: str) -> str:
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    return services.workflow.approve(actor(services, username), int(complaint_id), text).message


@acting
def resolve(services: Services, complaint_id: int | None, username: str, remedy: str | None, outcome: str,
            root_cause: str) -> str:
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    case = services.workflow.resolve(actor(services, username), int(complaint_id), remedy or None,
                                     outcome or "satisfied", root_cause or "")
    return f"已结案，案例 {case.id} 已加入案例库（{vocab.REMEDY_NAMES[case.remedy]}），现在即可检索到"


@acting
def release(services: Services, complaint_id: int | None, username: str) -> str:
    if not complaint_id:
        raise UIError("请填写投诉编号")
    services.workflow.release(actor(services, username), int(complaint_id))
    return f"投诉 {complaint_id} 已释放回队列"


@acting
def reassign(services: Services, complaint_id: int | None, target: str | None, username: str) -> str:
    if not complaint_id or not target:
        raise UIError("请填写投诉编号并选择坐席")
    services.workflow.reassign(actor(services, username), int(complaint_id), target)
    return f"投诉 {complaint_id} 已分配给 {target}"


@acting
def approve_escalated(services: Services, complaint_id: int | None, username: str) -> str:
    if not complaint_id:
        raise UIError("请填写投诉编号")
    sent = services.workflow.approve_escalation(actor(services, username), int(complaint_id))
    return f"已批准投诉 {complaint_id} 的补偿（{sent.offered_amount:g} 元），回复记录为已发送"


@acting
def bulk_import(services: Services, path: str | None, username: str) -> tuple[str, list[list]]:
    if not path:
        raise UIError("请先选择要导入的文件")
    limit_mb = services.settings.ui.max_upload_mb
    if Path(path).stat().st_size > limit_mb * 1024 * 1024:
        raise UIError(f"文件超过 {limit_mb} MB，请拆分后分批导入，或用命令行 complaint-desk import")
    report = services.workflow.import_file(actor(services, username), Path(path))
    return report.summary(), [[e.row, e.column, e.message] for e in report.errors]


@acting
def dashboard(services: Services, username: str | None) -> DashboardData:
    return services.workflow.dashboard(actor(services, username))


def agents(services: Services, username: str | None) -> list[str]:
    user = actor(services, username)
    return services.workflow.assignable(user) if allowed(user, "reassign") else []


def now_label(services: Services) -> str:
    return _local(utcnow(), services.settings.timezone)

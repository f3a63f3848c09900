"""What each UI action does, as plain functions over the services.

Every function takes the acting user and returns display values (strings, rows, text
segments); Gradio wiring lives in layout.py. Errors a user can act on come back as a
Chinese message, never as a traceback.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from zoneinfo import ZoneInfo

from complaint_desk import vocab
from complaint_desk.domain import QUEUE_STATUSES, STATUS_NAMES, DraftVersion, FlagHit, User, Violation, utcnow
from complaint_desk.errors import ActionableError
from complaint_desk.privacy import mask_pii
from complaint_desk.services import Services
from complaint_desk.store import QueueFilter
from complaint_desk.ui import cards
from complaint_desk.ui.typed import UIError, parse_amount, parse_id, parse_ids
from complaint_desk.workflow.access import allowed
from complaint_desk.workflow.dashboard import DashboardData
from complaint_desk.workflow.importing import write_export
from complaint_desk.workflow.queue import QueueItem, queue_item

Segments = list[tuple[str, str | None]]
QUEUE_HEADERS = ["编号", "优先级", "原因", "主题", "怒气", "风险信号", "SLA", "状态", "处理人", "投诉摘要"]
MINE_HEADERS = ["投诉", "SLA", "状态"]
WAITING_HEADERS = ["投诉", "SLA", "摘要"]
APPROVAL_HEADERS = ["编号", "申请人", "金额(元)", "理由", "申请时间", "投诉摘要"]
VIOLATION_HEADERS = ["规则", "原文", "问题", "建议改法"]
DRAFT_HEADERS = ["时间", "类型", "作者", "后端", "内容"]
AUDIT_HEADERS = ["时间", "操作人", "操作", "详情"]
AUDIT_NAMES = {"take": "领取", "open": "打开并领取", "release": "释放", "reassign": "重新分配", "draft": "生成草稿",
               "request_approval": "提交主管审批", "approval_approved": "主管批准", "approval_rejected": "主管驳回",
               "approve": "批准发送", "resolve": "结案", "import": "导入", "export": "导出"}
DRAFT_KINDS = {"generated": "AI草稿", "edited": "坐席修改", "sent": "已发送"}


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
        item.reason,
        vocab.TOPIC_NAMES[triage.topic] if triage else "",
        vocab.ANGER_NAMES[triage.anger] if triage else "",
        "、".join(vocab.FLAG_NAMES[f] for f in triage.flag_ids) if triage else "",
        cards.sla_text(item),
        STATUS_NAMES[complaint.status] + ("（演示）" if complaint.is_demo else ""),
        complaint.assigned_to or "",
        _summary(mask_pii(complaint.text)),  # the full text is one click away, for those who may open it
    ]


def parse_day(value: str | None, tz: str, end: bool = False) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").replace(tzinfo=ZoneInfo(tz))
    except ValueError as error:
        raise UIError(f"日期「{value}」格式不对，请用 2026-11-23 这样的格式") from error
    return day + timedelta(days=1) if end else day


@dataclass
class QueueView:
    rows: list[list]
    status: str
    page: int
    pages: int


@acting
def queue_view(services: Services, username: str | None, topics: Sequence[str] = (), priorities: Sequence[str] = (),
               statuses: Sequence[str] = QUEUE_STATUSES, agent: str | None = None, date_from: str | None = None,
               date_to: str | None = None, search: str | None = None, page: int = 1) -> QueueView:
    """One page of the filtered queue and a line saying where in it we are."""
    tz = services.settings.timezone
    size = services.settings.ui.queue_page_size
    page = max(1, int(page or 1))
    query = QueueFilter(statuses=tuple(statuses), topics=tuple(topics), priorities=tuple(priorities),
                        assigned_to=agent or None, created_from=parse_day(date_from, tz),
                        created_to=parse_day(date_to, tz, end=True), search=(search or "").strip() or None,
                        limit=size, offset=(page - 1) * size)
    result = services.workflow.queue(actor(services, username), query)
    pages = max(1, -(-result.total // size))
    if page > pages:
        return queue_view(services, username, topics, priorities, statuses, agent, date_from, date_to, search, pages)
    shown = f"第 {result.offset + 1}–{result.offset + len(result.items)} 条" if result.items else "没有符合条件的投诉"
    return QueueView([queue_row(item) for item in result.items],
                     f"共 {result.total} 条，{shown}（第 {page}/{pages} 页），更新于 {now_label(services)}", page, pages)


@acting
def my_rows(services: Services, username: str | None) -> list[list]:
    return [[f"{i.complaint.id} · {i.priority}", cards.sla_short(i), STATUS_NAMES[i.complaint.status]]
            for i in services.workflow.mine(actor(services, username))]


@acting
def waiting_rows(services: Services, username: str | None) -> list[list]:
    return [[f"{i.complaint.id} · {i.priority}", cards.sla_short(i), _summary(mask_pii(i.complaint.text), 24)]
            for i in services.workflow.waiting(actor(services, username))]


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


_SENTENCE_END = re.compile(r"[。！？!?\n]")


def violation_segments(text: str, violations: Sequence[Violation]) -> Segments:
    """Only the sentences with a violation, each span labelled by its rule's Chinese name:
    the panel beside the editor shows where the problems are, not the whole draft again."""
    spans = [(v.start, v.end, vocab.RULE_NAMES[v.rule]) for v in violations if v.end > v.start]
    windows: list[tuple[int, int]] = []
    for start, end, _label in sorted(spans):
        left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
        right = next((m.end() for m in _SENTENCE_END.finditer(text, end)), len(text))
        if windows and left <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(right, windows[-1][1]))
        else:
            windows.append((left, right))
    segments: Segments = []
    for index, (left, right) in enumerate(windows):
        if index:
            segments.append((" …… ", None))
        inside = [(s - left, e - left, label) for s, e, label in spans if left <= s < right]
        segments.extend(highlight_segments(text[left:right].rstrip("\n"), inside))
    return segments


def violation_rows(violations: Sequence[Violation]) -> list[list[str]]:
    return [[vocab.RULE_NAMES[v.rule], v.span, v.message, v.fix or ""] for v in violations]


@dataclass
class ComplaintView:
    complaint_id: int
    header: str
    flags: Segments
    triage: str
    cards: str
    precedent: str
    approval: str
    drafts: list[list]
    draft: str
    status: str
    notes: str  # the 补充情况 the latest draft was written with: this complaint's facts, not the last one's
    plan: str  # the reply plan the program proposes with those notes, for the agent to edit


@acting
def open_complaint(services: Services, complaint_id: int | None, username: str) -> ComplaintView:
    """The workbench for one complaint; opening claims an unassigned one (a refresh uses
    `complaint_state`, which never claims)."""
    if not complaint_id:
        raise UIError("请填写投诉编号")
    user = actor(services, username)
    view = services.workflow.open(user, int(complaint_id))
    complaint, triage = view.complaint, view.complaint.triage
    assert triage is not None
    tz = services.settings.timezone
    triage_text = cards.triage_block([
        f"为什么是 {view.item.priority}：{view.item.reason}",
        f"主题 {vocab.TOPIC_NAMES[triage.topic]} · 怒气 {vocab.ANGER_NAMES[triage.anger]} · 客户类型 "
        f"{'、'.join(f'{vocab.PERSONA_NAMES[p.label]} {p.probability:.0%}' for p in triage.persona_top3)} · "
        f"建议部门 {vocab.DEPARTMENT_NAMES[triage.department]}",
    ])
    approvals = services.workflow.approval_history(user, complaint.id)  # type: ignore[arg-type]
    latest = view.drafts[-1].text if view.drafts else ""
    notes = next((d.notes for d in reversed(view.drafts) if d.notes), None) or ""
    return ComplaintView(
        complaint.id, cards.complaint_header(complaint, view.item, _local(complaint.created_at, tz)),  # type: ignore[arg-type]
        flag_segments(complaint.text, triage.flags), triage_text, cards.case_cards(view.similar, triage),
        cards.note("处理惯例：" + view.precedent.summary), cards.approval_notice(approvals),
        draft_rows(view.drafts, tz), latest,
        f"已打开投诉 {complaint.id}", notes,  # its status is in the header, which every action refreshes
        services.workflow.proposed_plan(user, complaint.id, notes, view))  # type: ignore[arg-type]


@acting
def propose_plan(services: Services, complaint_id: int | None, username: str, notes: str | None) -> str:
    """The plan again, from the current notes (after the agent adds what they found)."""
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    return services.workflow.proposed_plan(actor(services, username), int(complaint_id), notes or "")


def draft_rows(drafts: Sequence[DraftVersion], tz: str) -> list[list]:
    return [[_local(d.created_at, tz), DRAFT_KINDS[d.kind], d.author, d.backend or "", _summary(d.text, 60)]
            for d in drafts]


@acting
def draft_history(services: Services, complaint_id: int | None, username: str | None) -> list[list]:
    if not complaint_id:
        return []
    drafts = services.workflow.drafts(actor(services, username), int(complaint_id))
    return draft_rows(drafts, services.settings.timezone)


@dataclass
class ComplaintState:
    """What an action changes on the open complaint, without the case search a full view needs."""

    header: str
    approval: str
    drafts: list[list]
    audit: list[list]


@acting
def complaint_state(services: Services, complaint_id: int, username: str | None) -> ComplaintState:
    user = actor(services, username)
    approvals = services.workflow.approval_history(user, int(complaint_id))  # checks the holder
    complaint = services.workflow.complaint(user, int(complaint_id))
    tz = services.settings.timezone
    header = cards.complaint_header(complaint, queue_item(complaint, services.settings, utcnow()),
                                    _local(complaint.created_at, tz))
    return ComplaintState(header, cards.approval_notice(approvals),
                          draft_rows(services.workflow.drafts(user, int(complaint_id)), tz),
                          audit_rows(services, complaint_id, username))


@acting
def audit_rows(services: Services, complaint_id: int | None, username: str | None) -> list[list]:
    if not complaint_id:
        return []
    tz = services.settings.timezone
    return [[_local(e.at, tz), e.username, AUDIT_NAMES.get(e.action, e.action),
             "，".join(f"{k}={v}" for k, v in e.detail.items() if v not in (None, "", []))]
            for e in services.workflow.audit_trail(actor(services, username), int(complaint_id))]


@acting
def take_next(services: Services, username: str) -> int:
    complaint = services.workflow.take_next(actor(services, username))
    if complaint is None:
        raise UIError("队列里没有待处理的投诉")
    return complaint.id  # type: ignore[return-value]


def backend_notice(services: Services, username: str | None = None) -> str:
    """How drafts are written now, in plain words; the setup details only for an admin
    (agents cannot act on an environment variable, and the server log has them too)."""
    current = services.drafting.current
    if current.backend.name == "composer":
        plain = "草稿由脚本组稿写（现在没有可用的大模型），请核对后再发"
    else:
        plain = f"草稿由本地大模型写：{getattr(current.backend, 'description', current.backend.name)}"
    user = services.store.get_user(username or "")
    if current.notice and user is not None and user.role == "admin":
        plain += f"。{current.notice}"
    return plain


@acting
def generate(services: Services, complaint_id: int | None, username: str, hint: str | None,
             plan: str | None = None) -> Iterator[tuple[str, str]]:
    """Stream (draft text, status) while the draft is written, checked and repaired."""
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    stream = services.workflow.draft_stream(actor(services, username), int(complaint_id), hint, plan)
    try:  # a generator raises only once iterated, after @acting has returned: its first step is run here
        first = next(stream, None)
    except ActionableError as error:
        raise UIError(str(error)) from error
    for event in itertools.chain([first] if first else [], stream):
        if event.done and event.outcome is not None:
            outcome = event.outcome
            state = "草稿已通过全部检查" if outcome.result.passed else "草稿仍有问题，请修改后再批准"
            if outcome.fell_back:
                state = "模型写的草稿改不好（如照抄或编造），整封改用脚本组稿；" + state
            chosen = f"，从 {outcome.sampled} 份里挑了最好的一份" if outcome.sampled > 1 else ""
            extra = f"（生成 {outcome.attempts} 次{chosen}{'，已自动修复' if outcome.repaired else ''}，后端 {outcome.backend}）"
            yield event.text, state + extra
        else:
            yield event.text, event.status


@acting
def live_check(services: Services, complaint_id: int | None, text: str, username: str | None,
               notes: str | None = None, plan: str | None = None) -> tuple[Segments, list[list[str]], str]:
    if not complaint_id or not text.strip():
        return [], [], ""
    user = actor(services, username)
    complaint = services.workflow.complaint(user, int(complaint_id))
    result = services.workflow.check(text, complaint, user, notes or "", plan)
    sequence = [m.move for i, m in enumerate(result.moves) if i == 0 or m.move != result.moves[i - 1].move]
    moves = " → ".join(vocab.MOVE_NAMES[m] for m in sequence)
    status = "通过全部检查" if result.passed else f"发现 {len(result.violations)} 处问题"
    spans = violation_segments(text, result.violations) if result.violations else []
    return spans, violation_rows(result.violations), f"{status}　脚本：{moves}"


@acting
def suggest_fix(services: Services, complaint_id: int | None, text: str, username: str | None,
                notes: str | None = None, plan: str | None = None) -> str:
    """The draft with every suggested change applied (the guard's repairs), for one click."""
    if not complaint_id or not text.strip():
        raise UIError("先打开投诉并写好草稿")
    return services.workflow.suggested_fix(actor(services, username), int(complaint_id), text, notes or "", plan)


@acting
def approve(services: Services, complaint_id: int | None, text: str, username: str, notes: str | None = None,
            plan: str | None = None) -> str:
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    return services.workflow.approve(actor(services, username), int(complaint_id), text, notes or "", plan).message


@acting
def request_approval(services: Services, complaint_id: int | None, amount: str | float | None, reason: str,
                     text: str, username: str) -> str:
    if not complaint_id:
        raise UIError("请先打开一条投诉")
    approval = services.workflow.request_approval(actor(services, username), int(complaint_id), parse_amount(amount),
                                                  reason or "", text or "")
    return f"已提交主管审批：补偿 {approval.amount:g} 元，等主管答复（状态：待主管审批）"


@acting
def approval_rows(services: Services, username: str | None) -> list[list]:
    tz = services.settings.timezone
    return [[a.complaint_id, a.requested_by, f"{a.amount:g}", a.reason, _local(a.requested_at, tz),
             _summary(mask_pii(c.text), 40)] for a, c in services.workflow.approvals(actor(services, username))]


@acting
def approval_detail(services: Services, complaint_id: int | None, username: str | None) -> str:
    """What a supervisor reads before deciding: the request, the complaint, the agent's draft."""
    for approval, complaint in services.workflow.approvals(actor(services, username)):
        if approval.complaint_id == complaint_id:
            draft = approval.draft or "（坐席没有附上草稿）"
            return (f"申请：补偿 {approval.amount:g} 元（{approval.requested_by}）——{approval.reason}\n\n"
                    f"投诉原文：{complaint.text}\n\n坐席拟发送的回复：{draft}")
    return ""


@acting
def decide_approval(services: Services, complaint_id: str | int | None, approve: bool, note: str, username: str) -> str:
    picked = parse_id(complaint_id)
    if not picked:
        raise UIError("请先在列表里点选一条申请，或填写投诉编号")
    decided = services.workflow.decide_approval(actor(services, username), picked, approve, note or "")
    verb = "已批准" if approve else "已驳回"
    return f"{verb}投诉 {decided.complaint_id} 的补偿申请（{decided.amount:g} 元），已退回坐席 {decided.requested_by}"


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
def reassign(services: Services, ids_text: str | None, target: str | None, username: str) -> str:
    ids = parse_ids(ids_text)
    if not ids or not target:
        raise UIError("请填写（或在表格里点选）投诉编号，并选择要分配给的坐席")
    count = services.workflow.reassign_many(actor(services, username), ids, target)
    return f"投诉 {'、'.join(map(str, ids))} 已分配给 {target}（共 {count} 条）"


@acting
def unlock(services: Services, ids_text: str | None, username: str) -> str:
    ids = parse_ids(ids_text)
    if not ids:
        raise UIError("请填写（或在表格里点选）投诉编号")
    user = actor(services, username)
    for complaint_id in ids:
        services.workflow.release(user, complaint_id)
    return f"投诉 {'、'.join(map(str, ids))} 已释放回队列"


@acting
def export_csv(services: Services, statuses: Sequence[str], username: str) -> str:
    """A CSV file (UTF-8 with BOM, formulas neutralised, personal data masked) to download."""
    rows = services.workflow.export(actor(services, username), tuple(statuses))
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    folder = Path(tempfile.mkdtemp(prefix="complaint-desk-export-"))
    path = folder / f"投诉导出-{stamp}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_export(rows, handle, "csv", bom=True)
    return str(path)


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


def causes(services: Services) -> list[str]:
    """Root causes already written at resolve, most used first: picking one keeps the
    dashboard's TOP5 grouped instead of split by wording."""
    return [cause for cause, _count in services.workflow.known_causes()]


def now_label(services: Services) -> str:
    return _local(utcnow(), services.settings.timezone)

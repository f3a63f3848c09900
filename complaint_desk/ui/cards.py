"""Small HTML pieces of the workbench: the complaint header with its SLA clock, similar-case
cards, the approval notice.

Every value that came from a user (complaint text, case text, names, notes) passes through
`html.escape` here; nothing else in the UI builds HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from complaint_desk import vocab
from complaint_desk.cases.base import SimilarCase, match_reason
from complaint_desk.domain import APPROVAL_NAMES, STATUS_NAMES, Approval, Complaint, TriageResult
from complaint_desk.workflow.queue import QueueItem


def sla_text(item: QueueItem) -> str:
    """'剩余 1 小时 20 分' or '已超时 3 小时 5 分': a clock, not a bare signed number."""
    hours = item.sla_left_hours
    whole = int(abs(hours) * 60)
    span = f"{whole // 60} 小时 {whole % 60} 分" if whole >= 60 else f"{whole} 分钟"
    return f"已超时 {span}" if hours < 0 else f"剩余 {span}"


def sla_short(item: QueueItem) -> str:
    """The clock in a narrow list: '超时 29 小时', '剩 45 分'."""
    minutes = int(abs(item.sla_left_hours) * 60)
    span = f"{minutes // 60} 小时" if minutes >= 60 else f"{minutes} 分"
    return f"超时 {span}" if item.sla_left_hours < 0 else f"剩 {span}"


def sla_level(item: QueueItem) -> str:
    """late / soon (under a quarter of the SLA left) / ok: the colour of the clock."""
    if item.sla_left_hours < 0:
        return "late"
    return "soon" if item.sla_left_hours < item.sla_hours / 4 else "ok"


def complaint_header(complaint: Complaint, item: QueueItem, local_time: str) -> str:
    status = STATUS_NAMES[complaint.status]
    fields = [f"渠道 {complaint.channel or '-'}", f"客户 {complaint.customer_name or '-'}",
              f"订单 {complaint.order_id or '-'}", f"提交于 {local_time}", f"处理人 {complaint.assigned_to or '无'}"]
    demo = '<span class="cd-tag">演示数据</span>' if complaint.is_demo else ""
    if complaint.triage and "crisis" in complaint.triage.flag_ids:
        demo = '<span class="cd-sla cd-sla-late">危机信号：先打电话确认客户安全，再人工回复</span> ' + demo
    sla = "" if complaint.status in ("sent", "resolved") else (
        f'<span class="cd-sla cd-sla-{sla_level(item)}" title="SLA {item.sla_hours:g} 小时">SLA {sla_text(item)}</span>')
    return (f'<div class="cd-header" data-complaint-id="{complaint.id}" data-status="{complaint.status}">'
            f'<b>投诉 {complaint.id}</b> <span class="cd-priority cd-{item.priority}">{item.priority} '
            f'{vocab.PRIORITY_NAMES[item.priority]}</span> <span class="cd-status">{status}</span> {sla} {demo}'
            f'<div class="cd-fields">{escape(" · ".join(fields))}</div></div>')


def case_cards(similar: Sequence[SimilarCase], triage: TriageResult | None) -> str:
    """One card per similar resolved case: why it matches, the complaint, the cause, what
    was done and how it ended, and the reply that was sent (folded)."""
    if not similar:
        return '<div class="cd-empty">案例库里还没有相近的已解决案例</div>'
    cards = []
    for hit in similar:
        case = hit.case
        cause = f'<div><span class="cd-k">原因</span>{escape(case.root_cause)}</div>' if case.root_cause else ""
        cards.append(
            f'<div class="cd-card"><div class="cd-why">{escape(match_reason(case, triage))}</div>'
            f'<div class="cd-case-complaint">{escape(case.complaint)}</div>{cause}'
            f'<details><summary>当时发出的回复</summary><div class="cd-reply">{escape(case.reply)}</div></details>'
            f'<div class="cd-meta">案例 {escape(case.id)} · 相似度 {hit.score:.2f}</div></div>')
    return '<div class="cd-cards">' + "".join(cards) + "</div>"


def approval_notice(approvals: Sequence[Approval]) -> str:
    """What the agent must know about compensation on this complaint, latest request first."""
    if not approvals:
        return ""  # the request form's own title says where the limit is
    latest = approvals[-1]
    state = APPROVAL_NAMES[latest.status]
    text = f"补偿申请 {latest.amount:g} 元：{state}"
    if latest.status == "approved":
        text += f"（{latest.decided_by}）。回复里可以写“经主管批准”，金额不超过 {latest.amount:g} 元。"
    elif latest.status == "rejected":
        text += f"（{latest.decided_by}）。请按主管意见修改回复。"
    else:
        text += "，等主管答复后才能发送。"
    note = f"<div>主管意见：{escape(latest.note)}</div>" if latest.note else ""
    return f'<div class="cd-note cd-approval-{latest.status}" id="approval-state">{escape(text)}{note}</div>'


def triage_block(lines: Sequence[str]) -> str:
    return '<div class="cd-triage">' + "<br>".join(escape(line) for line in lines) + "</div>"


def note(text: str) -> str:
    """A one-line note; the whole text in its tooltip when the line is cut."""
    return f'<div class="cd-note" title="{escape(text, quote=True)}">{escape(text)}</div>'

"""Supervisor dashboard: what comes in, how angry, why (TOP5 causes, seed 003), SLA breaches,
and how often AI drafts are sent as written. Statistics here; figures in ui/."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from complaint_desk import vocab
from complaint_desk.config import Settings
from complaint_desk.domain import utcnow
from complaint_desk.store import QueueFilter, Store
from complaint_desk.workflow.queue import queue_item


@dataclass
class DashboardData:
    days: list[date]
    volume: dict[str, list[int]]  # topic -> count per day
    anger: dict[int, int]
    top_causes: list[tuple[str, int, float]]  # topic name, count, share
    top_root_causes: list[tuple[str, int]]
    sla_open_breaches: dict[str, int]
    sla_answered_late: dict[str, int]
    drafts_unedited: int
    drafts_edited: int
    drafts_manual: int
    total: int


def collect(store: Store, settings: Settings, days: int = 14, cause_window_days: int = 90,
            now: datetime | None = None) -> DashboardData:
    now = now or utcnow()
    tz = ZoneInfo(settings.timezone)
    complaints = store.list_complaints(QueueFilter(statuses=(), created_from=now - timedelta(days=cause_window_days)))
    today = now.astimezone(tz).date()
    day_list = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    volume: dict[str, list[int]] = {topic: [0] * days for topic in vocab.TOPIC_IDS}
    anger: Counter[int] = Counter()
    causes: Counter[str] = Counter()
    for complaint in complaints:
        if complaint.triage is None or complaint.created_at is None:
            continue
        causes[complaint.triage.topic] += 1
        anger[complaint.triage.anger] += 1
        day = complaint.created_at.astimezone(tz).date()
        if day in day_list:
            volume[complaint.triage.topic][day_list.index(day)] += 1
    total = sum(causes.values())
    top = [(vocab.TOPIC_NAMES[t], n, round(n / total, 3) if total else 0.0) for t, n in causes.most_common(5)]
    roots = Counter(c.root_cause.strip() for c in store.list_cases(source="resolved") if c.root_cause.strip())
    open_breaches: Counter[str] = Counter()
    for complaint in store.list_complaints(QueueFilter()):
        item = queue_item(complaint, settings, now)
        if item.overdue:
            open_breaches[item.priority] += 1
    late: Counter[str] = Counter()
    drafts_by_complaint: dict[int, list] = defaultdict(list)
    for draft in store.list_drafts():
        drafts_by_complaint[draft.complaint_id].append(draft)
    unedited = edited = manual = 0
    for complaint in complaints:
        history = drafts_by_complaint.get(complaint.id or -1, [])
        sent = next((d for d in history if d.kind == "sent"), None)
        if sent is None:
            continue
        generated = [d for d in history if d.kind == "generated" and d.created_at <= sent.created_at]
        if not generated:
            manual += 1
        elif generated[-1].text.strip() == sent.text.strip():
            unedited += 1
        else:
            edited += 1
        if complaint.triage and complaint.created_at:
            hours = (sent.created_at - complaint.created_at).total_seconds() / 3600
            if hours > settings.priority.sla_hours[complaint.triage.priority]:
                late[complaint.triage.priority] += 1
    return DashboardData(day_list, volume, dict(anger), top, roots.most_common(5), dict(open_breaches), dict(late),
                         unedited, edited, manual, total)

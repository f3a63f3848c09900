"""Supervisor dashboard: what comes in and how it trends, how angry, why (TOP5 root causes
written at resolve, seed 003), SLA breaches, and how often AI drafts are sent as written.
Statistics here; figures in ui/."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from complaint_desk import vocab
from complaint_desk.config import Settings
from complaint_desk.domain import Case, utcnow
from complaint_desk.store import QueueFilter, Store
from complaint_desk.text import fold
from complaint_desk.workflow.queue import queue_item

_CAUSE_NOISE = re.compile(r"[\s。，,.!！?？;；:：、\"'“”‘’（）()]+")


def root_causes(cases: Iterable[Case]) -> list[tuple[str, int]]:
    """Causes written at resolve, grouped when they differ only in spacing, punctuation or
    width, each shown in its most used wording; most frequent first."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        cause = case.root_cause.strip()
        if cause:
            groups[_CAUSE_NOISE.sub("", fold(cause))][cause] += 1
    ranked = [(wordings.most_common(1)[0][0], sum(wordings.values())) for wordings in groups.values()]
    return sorted(ranked, key=lambda pair: (-pair[1], pair[0]))


@dataclass
class DashboardData:
    days: list[date]
    volume: dict[str, list[int]]  # topic -> count per day
    anger: dict[int, int]
    top_causes: list[tuple[str, int, float]]  # root cause, cases, share of resolved cases with a cause
    trend: list[tuple[str, int, int]]  # topic name, last 7 days, the 7 days before
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
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total = 0
    for complaint in complaints:
        if complaint.triage is None or complaint.created_at is None:
            continue
        total += 1
        anger[complaint.triage.anger] += 1
        day = complaint.created_at.astimezone(tz).date()
        if day in day_list:
            volume[complaint.triage.topic][day_list.index(day)] += 1
        age = (today - day).days
        if age < 14:
            weeks[complaint.triage.topic][age // 7] += 1
    trend = sorted(((vocab.TOPIC_NAMES[t], now_, before) for t, (now_, before) in weeks.items()),
                   key=lambda row: -(row[1] + row[2]))
    recent = [c for c in store.list_cases(source="resolved") if c.created_at >= now - timedelta(days=cause_window_days)]
    causes = root_causes(recent)
    with_cause = sum(n for _cause, n in causes)
    top = [(cause, n, round(n / with_cause, 3)) for cause, n in causes[:5]]
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
    return DashboardData(day_list, volume, dict(anger), top, trend, dict(open_breaches), dict(late),
                         unedited, edited, manual, total)

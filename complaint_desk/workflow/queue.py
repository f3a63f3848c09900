"""The queue: open complaints ordered by priority, re-scored as they wait (SLA clock)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from complaint_desk.config import Settings
from complaint_desk.domain import Complaint, utcnow
from complaint_desk.store import QueueFilter, Store
from complaint_desk.triage import priority as prio


@dataclass(frozen=True)
class QueueItem:
    complaint: Complaint
    priority: str
    priority_score: float
    reason: str
    waited_hours: float
    sla_hours: float

    @property
    def sla_left_hours(self) -> float:
        return self.sla_hours - self.waited_hours

    @property
    def overdue(self) -> bool:
        return self.sla_left_hours < 0


def waited_hours(complaint: Complaint, now: datetime) -> float:
    if complaint.created_at is None:
        return 0.0
    return max(0.0, (now - complaint.created_at).total_seconds() / 3600)


def queue_item(complaint: Complaint, settings: Settings, now: datetime) -> QueueItem:
    """The complaint's priority *now*: triage's anger and flags plus the time it has waited."""
    waited = waited_hours(complaint, now)
    triage = complaint.triage
    if triage is None:
        return QueueItem(complaint, "P3", settings.priority.p3_threshold, "尚未分诊", waited,
                         settings.priority.sla_hours["P3"])
    score = prio.priority_score(triage.anger_score, triage.anger, triage.flag_ids, waited, settings.priority,
                                triage.likely_rage)
    level = prio.priority_level(score, settings.priority)
    reason = prio.reason(triage.anger, triage.flags, waited, settings.priority, level, triage.likely_rage)
    return QueueItem(complaint, level, score, reason, waited, settings.priority.sla_hours[level])


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int  # matching complaints on every page
    offset: int


def ordered_page(store: Store, settings: Settings, query: QueueFilter | None = None,
                 now: datetime | None = None) -> QueuePage:
    """Highest priority first; among equals, the one closest to (or past) its SLA first.

    Priority is filtered and the page cut after re-scoring: waiting may have raised a
    complaint's priority since triage, so the stored order is not the queue's order."""
    now = now or utcnow()
    query = query or QueueFilter()
    stored = store.list_complaints(replace(query, priorities=(), limit=None, offset=0))
    items = [queue_item(c, settings, now) for c in stored]
    if query.priorities:
        items = [item for item in items if item.priority in query.priorities]
    items.sort(key=lambda item: (item.priority, -item.priority_score, item.sla_left_hours))
    end = query.offset + query.limit if query.limit else None
    return QueuePage(items[query.offset:end], len(items), query.offset)


def ordered(store: Store, settings: Settings, query: QueueFilter | None = None,
            now: datetime | None = None) -> list[QueueItem]:
    return ordered_page(store, settings, query, now).items


"""Persistence: the Store protocol and the registry that picks an implementation by URL.

`sqlite` (the embedded default, one file in the data dir) and `postgresql` (for teams
that share one server) are both served by the SQLAlchemy store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from complaint_desk.config import Settings
from complaint_desk.domain import QUEUE_STATUSES, AuditEntry, Case, Complaint, DraftVersion, TriageResult, User
from complaint_desk.errors import ActionableError
from complaint_desk.registry import Registry


@dataclass
class AddResult:
    """What happened to a batch of complaints handed to the store."""

    added_ids: list[int] = field(default_factory=list)
    duplicates: int = 0


@dataclass
class QueueFilter:
    statuses: Sequence[str] = QUEUE_STATUSES
    topics: Sequence[str] = ()
    priorities: Sequence[str] = ()
    assigned_to: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int | None = None


class LockConflictError(ActionableError, RuntimeError):
    """Another agent holds the complaint."""


class StateConflictError(ActionableError, RuntimeError):
    """The complaint changed state since it was read (someone else acted first)."""


class Store(Protocol):
    """What the flow needs from persistence; everything above talks only to this."""

    url: str

    def add_complaints(self, complaints: Iterable[Complaint], source: str | None = None) -> AddResult: ...
    def get_complaint(self, complaint_id: int) -> Complaint: ...
    def list_complaints(self, query: QueueFilter | None = None) -> list[Complaint]: ...
    def untriaged_ids(self) -> list[int]: ...
    def save_triage(self, complaint_id: int, result: TriageResult) -> None: ...
    def claim(self, complaint_id: int, username: str) -> Complaint: ...
    def release(self, complaint_id: int) -> None: ...
    def assign(self, complaint_id: int, username: str | None) -> None: ...
    def transition(self, complaint_id: int, status: str, from_statuses: Sequence[str]) -> None: ...
    def add_draft(self, draft: DraftVersion) -> DraftVersion: ...
    def list_drafts(self, complaint_id: int | None = None) -> list[DraftVersion]: ...
    def approve_draft(self, draft_id: int, approver: str) -> None: ...
    def add_case(self, case: Case) -> None: ...
    def add_cases(self, cases: Iterable[Case]) -> int: ...
    def list_cases(self, source: str | None = None) -> list[Case]: ...
    def add_user(self, user: User, password: str, is_demo: bool = False) -> None: ...
    def authenticate(self, username: str, password: str) -> User | None: ...
    def get_user(self, username: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def set_password(self, username: str, password: str) -> None: ...
    def audit(self, username: str, action: str, complaint_id: int | None = None, **detail: object) -> None: ...
    def list_audit(self, complaint_id: int | None = None, limit: int = 200) -> list[AuditEntry]: ...
    def has_demo(self) -> bool: ...
    def remove_demo(self) -> int: ...
    def count_complaints(self) -> int: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...


STORES: Registry[Store] = Registry("存储")


def open_store(settings: Settings) -> Store:
    """The store the config names: the URL scheme picks the registered implementation."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.ensure_data_dir()
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    return STORES.create(scheme, url)


from complaint_desk.store import sql as _sql  # noqa: E402,F401  (registers the SQL backends)

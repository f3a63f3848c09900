"""The SQLAlchemy store: SQLite (WAL) embedded by default, PostgreSQL by URL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Engine, create_engine, delete, event, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from complaint_desk.domain import (
    STATUS_NAMES,
    AuditEntry,
    Case,
    Complaint,
    DraftVersion,
    TriageResult,
    utcnow,
)
from complaint_desk.store.accounts import AccountRows
from complaint_desk.store.approvals import ApprovalRows
from complaint_desk.store.base import STORES, AddResult, LockConflictError, QueueFilter, StateConflictError
from complaint_desk.store.migrations import upgrade
from complaint_desk.store.schema import AuditRow, CaseRow, ComplaintRow, DraftRow, UserRow

DEDUPE_KEY_CHARS = 80  # the dedupe_key column's width


def dedupe_key(complaint: Complaint) -> str:
    """External id when the source system gave one, else a hash of what identifies it.

    A missing created_at stays out of the hash (the store fills in the import time), so
    re-importing a file without times still finds the earlier rows.
    """
    if complaint.external_id:
        key = f"ext:{complaint.external_id.strip()}"
        # the whole id decides: one too long for the column is stored by its hash, never cut short
        return key if len(key) <= DEDUPE_KEY_CHARS else "ext-sha1:" + hashlib.sha1(key.encode("utf-8")).hexdigest()
    created = complaint.created_at.isoformat() if complaint.created_at else ""
    basis = "\x1f".join([complaint.text.strip(), complaint.customer_name or "", created, complaint.order_id or ""])
    return "sha1:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()


def _utc(value: datetime) -> datetime:
    """Everything goes into the database as UTC: SQLite would silently drop the offset."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001  (DB-API objects)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SqlStore(AccountRows, ApprovalRows):
    """Store on any SQLAlchemy database; every public method is one transaction, or part of
    the enclosing one when called inside `transaction()`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.schema_version = upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # the session of the transaction open in this thread (or task), if any
        self._current: ContextVar[Session | None] = ContextVar(f"complaint-desk-session-{id(self)}", default=None)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        current = self._current.get()
        if current is not None:
            yield current
            return
        with self._sessions.begin() as session:
            token = self._current.set(session)
            try:
                yield session
            finally:
                self._current.reset(token)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every store call inside the block commits together, or none does."""
        with self._session():
            yield

    def close(self) -> None:
        self.engine.dispose()

    # --- complaints ----------------------------------------------------------------

    def add_complaints(self, complaints: Iterable[Complaint], source: str | None = None) -> AddResult:
        """Insert in one transaction; complaints already present (same dedupe key) are skipped."""
        result = AddResult()
        now = utcnow()
        with self._session() as session:
            batch = list(complaints)
            keys = [dedupe_key(c) for c in batch]
            existing = set(session.scalars(select(ComplaintRow.dedupe_key).where(ComplaintRow.dedupe_key.in_(keys))))
            for complaint, key in zip(batch, keys, strict=True):
                if key in existing:
                    result.duplicates += 1
                    continue
                existing.add(key)
                row = ComplaintRow(
                    dedupe_key=key,
                    external_id=complaint.external_id,
                    text=complaint.text,
                    customer_name=complaint.customer_name,
                    channel=complaint.channel,
                    created_at=_utc(complaint.created_at) if complaint.created_at else now,
                    imported_at=now,
                    order_id=complaint.order_id,
                    customer_tier=complaint.customer_tier,
                    industry=complaint.industry,
                    source=source,
                    status=complaint.status,
                    is_demo=complaint.is_demo,
                )
                session.add(row)
                session.flush()
                result.added_ids.append(row.id)
                if complaint.triage is not None:
                    _write_triage(row, complaint.triage, now)
        return result

    def get_complaint(self, complaint_id: int) -> Complaint:
        with self._session() as session:
            row = session.get(ComplaintRow, complaint_id)
            if row is None:
                raise KeyError(f"投诉 {complaint_id} 不存在")
            return _complaint(row)

    def list_complaints(self, query: QueueFilter | None = None) -> list[Complaint]:
        query = query or QueueFilter()
        stmt = select(ComplaintRow)
        if query.statuses:
            stmt = stmt.where(ComplaintRow.status.in_(query.statuses))
        if query.topics:
            stmt = stmt.where(ComplaintRow.topic.in_(query.topics))
        if query.priorities:
            stmt = stmt.where(ComplaintRow.priority.in_(query.priorities))
        if query.assigned_to:
            stmt = stmt.where(ComplaintRow.assigned_to == query.assigned_to)
        if query.created_from:
            stmt = stmt.where(ComplaintRow.created_at >= _utc(query.created_from))
        if query.created_to:
            stmt = stmt.where(ComplaintRow.created_at <= _utc(query.created_to))
        if query.search and query.search.strip():
            stmt = stmt.where(_matches(query.search.strip()))
        stmt = stmt.order_by(ComplaintRow.priority.asc().nulls_last(), ComplaintRow.created_at.asc())
        if query.limit:
            stmt = stmt.offset(query.offset).limit(query.limit)
        with self._session() as session:
            return [_complaint(row) for row in session.scalars(stmt)]

    def count_complaints(self) -> int:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(ComplaintRow)) or 0

    def untriaged_ids(self) -> list[int]:
        with self._session() as session:
            return list(session.scalars(select(ComplaintRow.id).where(ComplaintRow.triaged_at.is_(None))))

    def save_triage(self, complaint_id: int, result: TriageResult) -> None:
        with self._session() as session:
            row = _row(session, complaint_id)
            _write_triage(row, result, utcnow())

    def claim(self, complaint_id: int, username: str) -> Complaint:
        """Lock a complaint to an agent; atomic, so two agents can never both win."""
        with self._session() as session:
            changed = session.execute(
                update(ComplaintRow)
                .where(
                    ComplaintRow.id == complaint_id,
                    ComplaintRow.status.in_(("open", "assigned")),
                    or_(ComplaintRow.assigned_to.is_(None), ComplaintRow.assigned_to == username),
                )
                .values(assigned_to=username, status="assigned", locked_at=utcnow())
            ).rowcount
            row = _row(session, complaint_id)
            if changed != 1:
                raise LockConflictError(f"投诉 {complaint_id} 已由 {row.assigned_to or '他人'} 处理中")
            return _complaint(row)

    def release(self, complaint_id: int) -> None:
        with self._session() as session:
            row = _row(session, complaint_id)
            row.assigned_to = None
            row.locked_at = None
            if row.status == "assigned":
                row.status = "open"

    def assign(self, complaint_id: int, username: str | None) -> None:
        with self._session() as session:
            row = _row(session, complaint_id)
            row.assigned_to = username
            row.locked_at = utcnow() if username else None
            if row.status in ("open", "assigned"):
                row.status = "assigned" if username else "open"

    def transition(self, complaint_id: int, status: str, from_statuses: Sequence[str]) -> None:
        """Move a complaint to `status` only if it is still in one of `from_statuses`.

        One conditional UPDATE: of two requests racing to send the same reply, the second
        finds the status already changed and fails, on SQLite and PostgreSQL alike.
        """
        with self._session() as session:
            changed = session.execute(
                update(ComplaintRow)
                .where(ComplaintRow.id == complaint_id, ComplaintRow.status.in_(tuple(from_statuses)))
                .values(status=status)
            ).rowcount
            if changed != 1:
                row = _row(session, complaint_id)
                raise StateConflictError(f"投诉 {complaint_id} 的状态已变为「{STATUS_NAMES[row.status]}」，请刷新后再操作")

    # --- drafts ----------------------------------------------------------------------

    def add_draft(self, draft: DraftVersion) -> DraftVersion:
        with self._session() as session:
            _row(session, draft.complaint_id)
            row = DraftRow(
                complaint_id=draft.complaint_id,
                kind=draft.kind,
                text=draft.text,
                author=draft.author,
                backend=draft.backend,
                created_at=_utc(draft.created_at),
                violations=[v.model_dump() for v in draft.violations],
                moves=[m.model_dump() for m in draft.moves],
                offered_amount=draft.offered_amount,
                needs_approval=draft.needs_approval,
                approved_by=draft.approved_by,
                notes=draft.notes,
            )
            session.add(row)
            session.flush()
            return draft.model_copy(update={"id": row.id})

    def list_drafts(self, complaint_id: int | None = None) -> list[DraftVersion]:
        stmt = select(DraftRow).order_by(DraftRow.id)
        if complaint_id is not None:
            stmt = stmt.where(DraftRow.complaint_id == complaint_id)
        with self._session() as session:
            return [_draft(row) for row in session.scalars(stmt)]

    # --- cases -----------------------------------------------------------------------

    def add_case(self, case: Case) -> None:
        self.add_cases([case])

    def add_cases(self, cases: Iterable[Case]) -> int:
        """Insert cases not yet present (by id); returns how many were new."""
        with self._session() as session:
            batch = list(cases)
            existing = set(session.scalars(select(CaseRow.id).where(CaseRow.id.in_([c.id for c in batch]))))
            new = [c for c in batch if c.id not in existing]
            session.add_all(CaseRow(**{**c.model_dump(), "created_at": _utc(c.created_at)}) for c in new)
            return len(new)

    def list_cases(self, source: str | None = None) -> list[Case]:
        stmt = select(CaseRow).order_by(CaseRow.created_at, CaseRow.id)
        if source:
            stmt = stmt.where(CaseRow.source == source)
        with self._session() as session:
            return [
                Case.model_validate({**_columns(row), "created_at": _aware(row.created_at)})
                for row in session.scalars(stmt)
            ]

    # --- audit ----------------------------------------------------------------------

    def audit(self, username: str, action: str, complaint_id: int | None = None, **detail: object) -> None:
        with self._session() as session:
            session.add(AuditRow(at=utcnow(), username=username, action=action, complaint_id=complaint_id, detail=detail))

    def list_audit(self, complaint_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
        stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if complaint_id is not None:
            stmt = stmt.where(AuditRow.complaint_id == complaint_id)
        with self._session() as session:
            return [
                AuditEntry(
                    id=row.id,
                    at=_aware(row.at),
                    username=row.username,
                    action=row.action,
                    complaint_id=row.complaint_id,
                    detail=row.detail,
                )
                for row in session.scalars(stmt)
            ]

    # --- demo ------------------------------------------------------------------------

    def has_demo(self) -> bool:
        with self._session() as session:
            return bool(session.scalar(select(func.count()).where(ComplaintRow.is_demo.is_(True))))

    def remove_demo(self) -> int:
        """Delete demo complaints (their drafts and audit rows too) and demo accounts."""
        with self._session() as session:
            ids = list(session.scalars(select(ComplaintRow.id).where(ComplaintRow.is_demo.is_(True))))
            session.execute(delete(DraftRow).where(DraftRow.complaint_id.in_(ids)))
            session.execute(update(CaseRow).where(CaseRow.complaint_id.in_(ids)).values(complaint_id=None))
            session.execute(delete(ComplaintRow).where(ComplaintRow.id.in_(ids)))
            demo_users = list(session.scalars(select(UserRow.username).where(UserRow.is_demo.is_(True))))
            session.execute(update(ComplaintRow).where(ComplaintRow.assigned_to.in_(demo_users)).values(assigned_to=None))
            session.execute(delete(UserRow).where(UserRow.is_demo.is_(True)))
            return len(ids)


def _matches(term: str) -> ColumnElement[bool]:
    """Search by id, external id, customer name or any part of the text (LIKE, escaped)."""
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    clauses = [ComplaintRow.text.like(pattern, escape="\\"), ComplaintRow.customer_name.like(pattern, escape="\\"),
               ComplaintRow.external_id.like(pattern, escape="\\"), ComplaintRow.order_id.like(pattern, escape="\\")]
    if term.isdigit():
        clauses.append(ComplaintRow.id == int(term))
    return or_(*clauses)


def _row(session: Session, complaint_id: int) -> ComplaintRow:
    row = session.get(ComplaintRow, complaint_id)
    if row is None:
        raise KeyError(f"投诉 {complaint_id} 不存在")
    return row


def _write_triage(row: ComplaintRow, result: TriageResult, at: datetime) -> None:
    row.anger = result.anger
    row.anger_score = result.anger_score
    row.topic = result.topic
    row.persona = result.persona
    row.priority = result.priority
    row.priority_score = result.priority_score
    row.department = result.department
    row.triage_json = result.model_dump(mode="json")
    row.triaged_at = at


def _columns(row: object) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}  # type: ignore[attr-defined]


def _complaint(row: ComplaintRow) -> Complaint:
    """The domain object from its row (columns the model does not have, such as the dedupe key, are left out)."""
    return Complaint.model_validate({**_columns(row), "created_at": _aware(row.created_at),
                                     "locked_at": _aware(row.locked_at), "triage": row.triage_json or None})


def _draft(row: DraftRow) -> DraftVersion:
    return DraftVersion.model_validate({**_columns(row), "created_at": _aware(row.created_at),
                                        "violations": row.violations or [], "moves": row.moves or []})


STORES.register("sqlite")(SqlStore)
STORES.register("postgresql")(SqlStore)

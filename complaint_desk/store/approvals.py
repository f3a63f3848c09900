"""Compensation approvals in the SQL store: an agent's request and a supervisor's decision.

A mixin of SqlStore (it uses the store's `_session`). The decision is one conditional
UPDATE from `pending`, so of two supervisors answering at once exactly one decides.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from complaint_desk.domain import Approval, utcnow
from complaint_desk.store.base import StateConflictError
from complaint_desk.store.schema import ApprovalRow


def _approval(row: ApprovalRow) -> Approval:
    values = {column.key: getattr(row, column.key) for column in ApprovalRow.__table__.columns}
    for key in ("requested_at", "decided_at"):  # SQLite hands back naive datetimes
        if values[key] is not None and values[key].tzinfo is None:
            values[key] = values[key].replace(tzinfo=UTC)
    return Approval.model_validate(values)


class ApprovalRows:
    _session: Callable[[], AbstractContextManager[Session]]

    def add_approval(self, approval: Approval) -> Approval:
        with self._session() as session:
            row = ApprovalRow(**approval.model_dump(exclude={"id"}))
            session.add(row)
            session.flush()
            return approval.model_copy(update={"id": row.id})

    def list_approvals(self, complaint_id: int | None = None, status: str | None = None) -> list[Approval]:
        stmt = select(ApprovalRow).order_by(ApprovalRow.id)
        if complaint_id is not None:
            stmt = stmt.where(ApprovalRow.complaint_id == complaint_id)
        if status is not None:
            stmt = stmt.where(ApprovalRow.status == status)
        with self._session() as session:
            return [_approval(row) for row in session.scalars(stmt)]

    def decide_approval(self, approval_id: int, status: str, decided_by: str, note: str) -> Approval:
        """Approve or reject a pending request; refused if someone decided it first."""
        with self._session() as session:
            changed = session.execute(
                update(ApprovalRow).where(ApprovalRow.id == approval_id, ApprovalRow.status == "pending")
                .values(status=status, decided_by=decided_by, decided_at=utcnow(), note=note)
            ).rowcount
            if changed != 1:
                raise StateConflictError("这条审批已经由别人处理过了，请刷新后再看")
            return _approval(session.get(ApprovalRow, approval_id))  # type: ignore[arg-type]

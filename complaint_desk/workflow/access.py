"""Who may do what: the one table of permissions, checked on the server for every action."""

from __future__ import annotations

from complaint_desk.domain import Complaint, User
from complaint_desk.errors import ActionableError

EVERYONE = frozenset({"agent", "supervisor", "admin"})
LEADS = frozenset({"supervisor", "admin"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": EVERYONE,  # open a complaint the actor may work on
    "work": EVERYONE,  # take, draft, approve, resolve
    "queue": LEADS,  # see every customer's complaint in the supervisor queue
    "dashboard": LEADS,
    "import": LEADS,
    "reassign": LEADS,
    "release_any": LEADS,  # release a complaint somebody else holds
    "approve_escalation": LEADS,
    "accounts": frozenset({"admin"}),
}


class WorkflowError(ActionableError, RuntimeError):
    """An action that is not allowed in the complaint's current state; the message says why."""


class PermissionDeniedError(WorkflowError):
    """The actor's role does not allow the action (checked on the server, not by hiding tabs)."""


def allowed(actor: User, action: str) -> bool:
    return actor.active and actor.role in PERMISSIONS[action]


def require_role(actor: User, action: str, message: str | None = None) -> None:
    if not allowed(actor, action):
        raise PermissionDeniedError(message or "你的账号没有权限进行这个操作（需要主管或管理员）")


def require_holder(actor: User, complaint: Complaint) -> None:
    """An agent works only on complaints that are unassigned or assigned to them."""
    if actor.role == "agent" and complaint.assigned_to not in (None, actor.username):
        raise PermissionDeniedError(f"投诉 {complaint.id} 由 {complaint.assigned_to} 处理中，不能由你操作")

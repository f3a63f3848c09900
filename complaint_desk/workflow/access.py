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


class PasswordPolicyError(ActionableError, ValueError):
    """A new password the policy refuses; the message says why."""


def require_good_password(password: str, username: str, min_chars: int) -> None:
    """The one password policy, for the CLI, the demo accounts and any future form alike."""
    if len(password) < min_chars:
        raise PasswordPolicyError(f"密码至少 {min_chars} 位")
    if password.lower() in (username.lower(), "password", "12345678", "123456789", "qwertyui") or len(set(password)) < 4:
        raise PasswordPolicyError("密码太容易猜到：不要用账号名、连续或重复的字符")


def allowed(actor: User, action: str) -> bool:
    return actor.active and actor.role in PERMISSIONS[action]


def require_role(actor: User, action: str, message: str | None = None) -> None:
    if not allowed(actor, action):
        raise PermissionDeniedError(message or "你的账号没有权限进行这个操作（需要主管或管理员）")


def require_holder(actor: User, complaint: Complaint) -> None:
    """An agent works only on complaints that are unassigned or assigned to them."""
    if actor.role == "agent" and complaint.assigned_to not in (None, actor.username):
        raise PermissionDeniedError(f"投诉 {complaint.id} 由 {complaint.assigned_to} 处理中，不能由你操作")

"""Compensation above an agent's limit: what a reply may promise, and what approving it does.

The flow (seed 004, 主管批示): the agent asks (提交主管审批: amount and reason) → the
complaint waits as 待主管审批 → a supervisor approves or rejects with a note → the
complaint returns to the agent, who may then promise up to the approved amount and say
经主管批准. A reply can never claim an approval that has not happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from complaint_desk import vocab
from complaint_desk.checks import offers
from complaint_desk.domain import Approval, CheckResult, Complaint, DraftVersion, User
from complaint_desk.drafting.request import Grant
from complaint_desk.workflow.access import WorkflowError, allowed


def grant_for(actor: User, approvals: list[Approval], limit: float) -> Grant:
    """What this sender may promise on this complaint: a lead has no limit; an agent has
    the policy limit, or the amount of the latest request if a supervisor approved it."""
    if allowed(actor, "approve_escalation"):
        return Grant(limit=None, approved=True)
    latest = approvals[-1] if approvals else None
    if latest is not None and latest.status == "approved":
        return Grant(limit=max(limit, latest.amount), approved=True)
    return Grant(limit=limit)


def refusal(result: CheckResult) -> str | None:
    """Why a reply may not be sent, in words; None when it may."""
    if not result.violations:
        return None
    first = result.violations[0]
    if all(v.rule == "over_promise" for v in result.violations):  # the money: say what to do about it
        return f"{first.message}{first.fix or ''}"
    names = "、".join(vocab.RULE_NAMES[r] for r in sorted({v.rule for v in result.violations}))
    return f"回复还有未通过的检查（{names}），请修改后再批准"


def largest_offer(text: str) -> float | None:
    return max((offer.value for offer in offers(text)), default=None)


def require_request(complaint: Complaint, amount: float, reason: str, limit: float, answerable: tuple[str, ...]) -> None:
    """A request a supervisor can decide: above the limit, with a reason, while still open."""
    if complaint.status not in answerable:
        raise WorkflowError("这条投诉当前不能提交审批（已回复、已结案或正在审批中）")
    if not amount or amount <= 0:
        raise WorkflowError("请填写要申请的补偿金额（元）")
    if amount <= limit:
        raise WorkflowError(f"{amount:g} 元在你可直接承诺的额度（{limit:g} 元）以内，不需要审批，直接写进回复即可")
    if len(reason.strip()) < 4:
        raise WorkflowError("请写明申请理由（至少 4 个字），主管要据此判断")


@dataclass(frozen=True)
class ApprovalResult:
    draft: DraftVersion
    message: str

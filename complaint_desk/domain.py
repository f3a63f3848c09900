"""Domain objects passed between the flow's steps (import → triage → draft → approve → case).

They are pydantic models so that the same objects validate input, serialise to the JSONL
contract, and round-trip through the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from complaint_desk import vocab

ComplaintStatus = Literal["open", "assigned", "escalated", "sent", "resolved"]
QUEUE_STATUSES: tuple[str, ...] = ("open", "assigned", "escalated")
STATUS_NAMES: dict[str, str] = {
    "open": "待处理",
    "assigned": "处理中",
    "escalated": "待主管审批",
    "sent": "已回复",
    "resolved": "已结案",
}
DraftKind = Literal["generated", "edited", "sent"]
ApprovalStatus = Literal["pending", "approved", "rejected"]
APPROVAL_NAMES: dict[str, str] = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回"}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Span(BaseModel):
    """A character range of a text, with the text it covers (for highlighting)."""

    start: int
    end: int
    text: str


class FlagHit(Span):
    """A risk signal: a rule's matched span, or (empty span) the learned head's probability."""

    flag: str
    probability: float | None = None

    @field_validator("flag")
    @classmethod
    def _known_flag(cls, value: str) -> str:
        if value not in vocab.FLAG_IDS:
            raise ValueError(f"unknown flag id {value!r}")
        return value


class LabelScore(BaseModel):
    label: str
    probability: float


class TriageResult(BaseModel):
    """Everything SPEC asks triage to say about one complaint, each part explainable."""

    anger: int = Field(ge=0, le=3)
    anger_score: float = Field(ge=0.0, le=1.0)
    topic: str
    topic_scores: list[LabelScore] = []
    persona: str
    persona_top3: list[LabelScore] = []
    flags: list[FlagHit] = []
    priority: str
    priority_score: float = Field(ge=0.0, le=1.0)
    reason: str
    department: str
    model: str = ""
    # P(暴怒) when it reached the model's recall-first threshold although the level read lower:
    # SPEC makes every anger-3 complaint P1, and missing one costs more than a false alarm
    likely_rage: float | None = Field(None, ge=0.0, le=1.0)

    @property
    def flag_ids(self) -> list[str]:
        return sorted({hit.flag for hit in self.flags})

    @property
    def topic_probabilities(self) -> dict[str, float]:
        """Triage's likely topics (the top few) — what ranks similar cases."""
        return {score.label: score.probability for score in self.topic_scores} or {self.topic: 1.0}


class Complaint(BaseModel):
    """One incoming complaint as imported; `id` is assigned by the store."""

    id: int | None = None
    external_id: str | None = Field(None, max_length=120)
    text: str
    customer_name: str | None = Field(None, max_length=120)
    channel: str | None = Field(None, max_length=40)
    created_at: datetime | None = None
    order_id: str | None = Field(None, max_length=120)
    customer_tier: str | None = Field(None, max_length=40)
    industry: str | None = Field(None, max_length=40)
    status: ComplaintStatus = "open"
    assigned_to: str | None = None
    locked_at: datetime | None = None
    is_demo: bool = False
    triage: TriageResult | None = None

    @field_validator("external_id", "text", "customer_name", "channel", "order_id", "customer_tier", "industry")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        """A NUL character is never part of real text, and PostgreSQL refuses to store one."""
        if value is not None and "\x00" in value:
            raise ValueError("含有空字符（NUL），请检查导出文件是否损坏")
        return value


class Violation(BaseModel):
    """One broken rule in a draft: where, why (Chinese) and the approved direction."""

    rule: str
    start: int
    end: int
    span: str
    message: str
    fix: str | None = None
    move: str | None = None  # the script move a structure violation is about (missing, out of order)
    copied_from: str | None = None  # the reference case whose text the draft repeats
    amount: float | None = None  # an offer above the agent's limit: approving escalates instead of refusing


class MoveSpan(Span):
    move: str


class CheckResult(BaseModel):
    passed: bool
    violations: list[Violation] = []
    moves: list[MoveSpan] = []

    @property
    def rules(self) -> list[str]:
        return sorted({v.rule for v in self.violations})


class DraftVersion(BaseModel):
    """Every version of a reply is kept: what the model wrote, what the agent sent."""

    id: int | None = None
    complaint_id: int
    kind: DraftKind
    text: str
    author: str
    backend: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    violations: list[Violation] = []
    moves: list[MoveSpan] = []
    offered_amount: float | None = None
    needs_approval: bool = False
    approved_by: str | None = None
    notes: str | None = None  # the agent's 补充情况 it was written or sent with: the facts it may state


class Approval(BaseModel):
    """An agent's request for a compensation above their limit, and the supervisor's answer
    (主管批示, seed 004). A reply may say 经主管批准 only once one is approved."""

    id: int | None = None
    complaint_id: int
    amount: float = Field(gt=0)
    reason: str
    draft: str = ""
    requested_by: str
    requested_at: datetime = Field(default_factory=utcnow)
    status: ApprovalStatus = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""


class Case(BaseModel):
    """A resolved complaint kept in the case base (投诉资料库, seed 001 §十一)."""

    id: str
    industry: str
    topic: str
    anger: int = Field(ge=0, le=3)
    persona: str
    flags: list[str] = []
    complaint: str
    root_cause: str = ""
    department: str
    remedy: str
    amount: float | None = None
    resolution: str = ""
    reply: str
    outcome: str
    approved_by_supervisor: bool = False
    source: Literal["builtin", "resolved"] = "builtin"
    complaint_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("topic", "persona", "remedy", "outcome", "department")
    @classmethod
    def _known_id(cls, value: str, info: ValidationInfo) -> str:
        return _check_id(value, _CASE_IDS[info.field_name], info.field_name)  # type: ignore[index]

    @field_validator("flags")
    @classmethod
    def _flags(cls, value: list[str]) -> list[str]:
        return [_check_id(flag, vocab.FLAG_IDS, "flag") for flag in value]


class User(BaseModel):
    username: str
    display_name: str
    role: str
    active: bool = True


class AuditEntry(BaseModel):
    id: int | None = None
    at: datetime = Field(default_factory=utcnow)
    username: str
    action: str
    complaint_id: int | None = None
    detail: dict = {}


# the SPEC vocabulary each labelled field of a case must come from
_CASE_IDS: dict[str, tuple[str, ...]] = {
    "topic": vocab.TOPIC_IDS, "persona": vocab.PERSONA_IDS, "remedy": vocab.REMEDY_IDS,
    "outcome": vocab.OUTCOME_IDS, "department": tuple(vocab.DEPARTMENT_NAMES),
}


def _check_id(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} id {value!r}; expected one of {', '.join(allowed)}")
    return value

"""The agent's workbench: queue → context → draft → edit → approve → resolve → case base.

Each step is a plain method on domain objects; the Gradio UI and the CLI call these and
nothing below them. Every action that changes something is written to the audit log.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from complaint_desk import vocab
from complaint_desk.cases.base import CaseBase, Precedent, SimilarCase
from complaint_desk.config import Settings
from complaint_desk.domain import Case, CheckResult, Complaint, DraftVersion
from complaint_desk.drafting.backends import LoadedBackend, load_backend
from complaint_desk.drafting.composer import ComposerBackend, chosen_remedy
from complaint_desk.drafting.guard import GuardedDraft, StreamEvent, guard, guard_stream
from complaint_desk.drafting.request import DraftRequest
from complaint_desk.errors import ActionableError
from complaint_desk.eval.checks import check_draft, offered_amounts
from complaint_desk.intake import TriageService
from complaint_desk.queue import QueueItem, queue_item, take_next
from complaint_desk.store import Store
from complaint_desk.text import mask_pii


class WorkflowError(ActionableError, RuntimeError):
    """An action that is not allowed in the complaint's current state; the message says why."""


class DraftingService:
    """Holds the LLM backend; loads it in the background so the UI starts at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loaded: LoadedBackend | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start_loading(self) -> None:
        with self._lock:
            if self._loaded is None and self._thread is None:
                self._thread = threading.Thread(target=self._load, daemon=True, name="llm-loader")
                self._thread.start()

    def _load(self) -> None:
        loaded = load_backend(self.settings)
        with self._lock:
            self._loaded = loaded

    def wait(self) -> LoadedBackend:
        """The backend, loading it in this thread if nobody started it (CLI, batch jobs)."""
        if self._thread is None and self._loaded is None:
            self._load()
        elif self._thread is not None:
            self._thread.join()
        return self._loaded  # type: ignore[return-value]

    @property
    def current(self) -> LoadedBackend:
        """What drafting uses right now: the composer (with a notice) while the model loads."""
        with self._lock:
            if self._loaded is not None:
                return self._loaded
        self.start_loading()
        return LoadedBackend(ComposerBackend(), f"正在加载模型 {self.settings.llm.model}，加载完成前使用脚本组稿。")


@dataclass(frozen=True)
class WorkbenchView:
    complaint: Complaint
    item: QueueItem
    similar: list[SimilarCase]
    precedent: Precedent
    drafts: list[DraftVersion]


@dataclass(frozen=True)
class ApprovalResult:
    draft: DraftVersion
    escalated: bool
    message: str


class Workbench:
    def __init__(self, store: Store, settings: Settings, case_base: CaseBase, triage: TriageService,
                 drafting: DraftingService) -> None:
        self.store = store
        self.settings = settings
        self.case_base = case_base
        self.triage = triage
        self.drafting = drafting

    # --- reading ---------------------------------------------------------------------------

    def _triaged(self, complaint_id: int) -> Complaint:
        complaint = self.store.get_complaint(complaint_id)
        if complaint.triage is None:
            self.triage.triage_ids(self.store, [complaint_id])
            complaint = self.store.get_complaint(complaint_id)
        return complaint

    def _industry(self, complaint: Complaint) -> str | None:
        return complaint.industry or self.settings.industry

    def view(self, complaint_id: int) -> WorkbenchView:
        from complaint_desk.domain import utcnow

        complaint = self._triaged(complaint_id)
        industry = self._industry(complaint)
        similar = self.case_base.similar(complaint.text, industry=industry)
        precedent = self.case_base.precedent(complaint.text, industry=industry)
        return WorkbenchView(complaint, queue_item(complaint, self.settings, utcnow()), similar, precedent,
                             self.store.list_drafts(complaint_id))

    def take_next(self, username: str) -> Complaint | None:
        return take_next(self.store, self.settings, username)

    # --- drafting --------------------------------------------------------------------------

    def request_for(self, view: WorkbenchView, hint: str | None = None) -> DraftRequest:
        complaint = view.complaint
        assert complaint.triage is not None
        return DraftRequest.for_complaint(
            complaint.text,
            complaint.triage.model_copy(update={"priority": view.item.priority}),
            precedent=view.precedent,
            examples=tuple(s.case for s in view.similar[:2]),
            hint=hint.strip() if hint and hint.strip() else None,
            company=self.settings.policy.company_name,
            max_compensation=self.settings.policy.max_compensation_without_approval,
            max_complaint_chars=self.settings.guard.max_complaint_chars,
            max_draft_chars=self.settings.guard.max_draft_chars,
        )

    def _store_generated(self, complaint_id: int, author: str, outcome: GuardedDraft, hint: str | None) -> DraftVersion:
        draft = self.store.add_draft(DraftVersion(
            complaint_id=complaint_id, kind="generated", text=outcome.text, author=author, backend=outcome.backend,
            violations=outcome.result.violations, moves=outcome.result.moves,
        ))
        self.store.audit(author, "draft", complaint_id, backend=outcome.backend, attempts=outcome.attempts,
                         repaired=outcome.repaired, passed=outcome.result.passed, hint=hint or "")
        return draft

    def draft(self, complaint_id: int, author: str, hint: str | None = None) -> tuple[DraftVersion, GuardedDraft]:
        view = self.view(complaint_id)
        loaded = self.drafting.current
        outcome = guard(self.request_for(view, hint), loaded.backend, self.settings.guard.max_regenerations)
        return self._store_generated(complaint_id, author, outcome, hint), outcome

    def draft_stream(self, complaint_id: int, author: str, hint: str | None = None) -> Iterator[StreamEvent]:
        view = self.view(complaint_id)
        loaded = self.drafting.current
        for event in guard_stream(self.request_for(view, hint), loaded.backend, self.settings.guard.max_regenerations):
            if event.done and event.outcome is not None:
                self._store_generated(complaint_id, author, event.outcome, hint)
            yield event

    def check(self, text: str, complaint: Complaint) -> CheckResult:
        topic = complaint.triage.topic if complaint.triage else None
        return check_draft(text, topic, compensation_limit=self.settings.policy.max_compensation_without_approval)

    # --- approving and resolving -----------------------------------------------------------

    def _require_holder(self, complaint: Complaint, username: str, role: str) -> None:
        if complaint.assigned_to not in (None, username) and role == "agent":
            raise WorkflowError(f"这条投诉由 {complaint.assigned_to} 处理中，不能由你操作")

    def approve(self, complaint_id: int, text: str, username: str, role: str) -> ApprovalResult:
        """Store the text as sent — or, above the compensation limit, escalate to a supervisor."""
        complaint = self.store.get_complaint(complaint_id)
        self._require_holder(complaint, username, role)
        if complaint.status in ("sent", "resolved"):
            raise WorkflowError("这条投诉已经回复过了")
        text = text.strip()
        if not text:
            raise WorkflowError("回复内容为空")
        result = self.check(text, complaint)
        if not result.passed:
            names = "、".join(vocab.RULE_NAMES[r] for r in result.rules)
            raise WorkflowError(f"回复还有未通过的检查（{names}），请修改后再批准")
        limit = self.settings.policy.max_compensation_without_approval
        offered = max((amount for amount, _s, _e in offered_amounts(text)), default=None)
        needs_approval = offered is not None and offered > limit and role == "agent"
        last = next((d for d in reversed(self.store.list_drafts(complaint_id)) if d.kind == "generated"), None)
        edited = last is None or last.text.strip() != text
        if edited and not needs_approval:
            self.store.add_draft(DraftVersion(complaint_id=complaint_id, kind="edited", text=text, author=username,
                                              moves=result.moves))
        if needs_approval:
            draft = self.store.add_draft(DraftVersion(
                complaint_id=complaint_id, kind="edited", text=text, author=username, moves=result.moves,
                offered_amount=offered, needs_approval=True))
            self.store.set_status(complaint_id, "escalated")
            self.store.audit(username, "escalate", complaint_id, amount=offered, limit=limit)
            return ApprovalResult(draft, True, f"补偿 {offered:g} 元超过 {limit:g} 元，已提交主管审批")
        sent = self.store.add_draft(DraftVersion(
            complaint_id=complaint_id, kind="sent", text=text, author=username, moves=result.moves,
            offered_amount=offered, approved_by=username if role != "agent" else None))
        self.store.set_status(complaint_id, "sent")
        self.store.audit(username, "approve", complaint_id, draft=sent.id, edited=edited)
        return ApprovalResult(sent, False, "回复已批准并记录为已发送")

    def approve_escalated(self, complaint_id: int, supervisor: str) -> DraftVersion:
        """A supervisor signs off an escalated draft (主管批示, seed 004)."""
        complaint = self.store.get_complaint(complaint_id)
        if complaint.status != "escalated":
            raise WorkflowError("这条投诉没有待审批的草稿")
        pending = next(d for d in reversed(self.store.list_drafts(complaint_id)) if d.needs_approval)
        self.store.approve_draft(pending.id, supervisor)  # type: ignore[arg-type]
        sent = self.store.add_draft(DraftVersion(
            complaint_id=complaint_id, kind="sent", text=pending.text, author=pending.author, moves=pending.moves,
            offered_amount=pending.offered_amount, approved_by=supervisor))
        self.store.set_status(complaint_id, "sent")
        self.store.audit(supervisor, "approve_escalated", complaint_id, draft=sent.id, amount=pending.offered_amount)
        return sent

    def resolve(self, complaint_id: int, username: str, remedy: str | None = None, outcome: str = "satisfied",
                root_cause: str = "", resolution: str = "") -> Case:
        """Close the complaint and add it to the case base (personal data masked)."""
        complaint = self._triaged(complaint_id)
        sent = next((d for d in reversed(self.store.list_drafts(complaint_id)) if d.kind == "sent"), None)
        if sent is None:
            raise WorkflowError("还没有已发送的回复，先批准回复再结案")
        if remedy is not None and remedy not in vocab.REMEDY_IDS:
            raise WorkflowError(f"未知的处理方式 {remedy}")
        triage = complaint.triage
        assert triage is not None
        view_precedent = self.case_base.precedent(complaint.text, industry=self._industry(complaint))
        case = Case(
            id=f"res-{complaint_id}",
            industry=self._industry(complaint) or "general",
            topic=triage.topic,
            anger=triage.anger,
            persona=triage.persona,
            flags=triage.flag_ids,
            complaint=mask_pii(complaint.text),
            root_cause=root_cause.strip(),
            department=triage.department,
            remedy=remedy or chosen_remedy(DraftRequest.for_complaint(complaint.text, triage, precedent=view_precedent)),
            amount=sent.offered_amount,
            resolution=resolution.strip(),
            reply=mask_pii(sent.text),
            outcome=outcome,
            approved_by_supervisor=bool(sent.approved_by and sent.offered_amount),
            source="resolved",
            complaint_id=complaint_id,
        )
        self.case_base.add(case)
        self.store.set_status(complaint_id, "resolved")
        self.store.audit(username, "resolve", complaint_id, case=case.id, remedy=case.remedy, outcome=outcome)
        return case

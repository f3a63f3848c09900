"""The workflow service: the one owner of every state change of a complaint.

import → triage → take/claim → draft → (request approval → supervisor decides →) approve
and send → resolve → case base, plus release and reassign. Each change is one method that checks the
actor's role on the server, and writes the change and its audit entry in one transaction:
a crash part way leaves the complaint as it was, with no audit entry. The UI and the CLI
call this service and nothing below it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from complaint_desk import vocab
from complaint_desk.cases.base import CaseBase, Precedent, SimilarCase, masked
from complaint_desk.config import Settings
from complaint_desk.domain import STATUS_NAMES, Approval, Case, CheckResult, Complaint, DraftVersion, User, utcnow
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.guard import GuardedDraft, StreamEvent, guard, guard_stream
from complaint_desk.drafting.plan import chosen_remedy, plan_for
from complaint_desk.drafting.repair import repair
from complaint_desk.drafting.reply_plan import ReplyPlan, parse_plan
from complaint_desk.drafting.request import DraftRequest, Grant, build_request
from complaint_desk.drafting.service import DraftingService
from complaint_desk.privacy import mask_pii
from complaint_desk.store import LockConflictError, QueueFilter, Store
from complaint_desk.triage.service import TriageService
from complaint_desk.workflow.access import (
    PermissionDeniedError,
    WorkflowError,
    require_good_password,
    require_holder,
    require_role,
)
from complaint_desk.workflow.approvals import ApprovalResult, grant_for, largest_offer, refusal, require_request
from complaint_desk.workflow.dashboard import DashboardData, collect, root_causes
from complaint_desk.workflow.demo import DEMO_USERS, demo_complaints
from complaint_desk.workflow.importing import ExportRow, ImportReport, export_rows, import_file
from complaint_desk.workflow.queue import QueueItem, QueuePage, ordered, ordered_page, queue_item

Progress = Callable[[int], None]
ANSWERABLE = ("open", "assigned")  # statuses from which a reply can be sent or approval requested


@dataclass(frozen=True)
class WorkbenchView:
    complaint: Complaint
    item: QueueItem
    similar: list[SimilarCase]
    precedent: Precedent
    drafts: list[DraftVersion]


def read_plan(text: str | None) -> ReplyPlan | None:
    """The agent's edited reply plan; empty means the one the program proposes."""
    return parse_plan(text) if text and text.strip() else None


class Workflow:
    def __init__(self, store: Store, settings: Settings, case_base: CaseBase, triage: TriageService,
                 drafting: DraftingService) -> None:
        self.store = store
        self.settings = settings
        self.case_base = case_base
        self.triage = triage
        self.drafting = drafting

    # --- who is acting ---------------------------------------------------------------------

    # the operator of the command line: whoever can run it can open the database file anyway
    @staticmethod
    def operator(name: str = "cli") -> User:
        return User(username=name, display_name="命令行", role="admin")

    def actor(self, username: str | None) -> User:
        """The logged-in user as stored now (role changes and deactivation apply at once)."""
        user = self.store.get_user(username or "")
        if user is None or not user.active:
            raise PermissionDeniedError("请先登录")
        return user

    # --- reading ---------------------------------------------------------------------------

    def complaint(self, actor: User, complaint_id: int) -> Complaint:
        require_role(actor, "read")
        try:
            return self.store.get_complaint(int(complaint_id))
        except (KeyError, ValueError, TypeError) as error:
            raise WorkflowError(f"找不到投诉 {complaint_id}") from error

    def queue(self, actor: User, query: QueueFilter | None = None) -> QueuePage:
        """One page of the queue as a supervisor filters it, and how many match in all."""
        require_role(actor, "queue")
        return ordered_page(self.store, self.settings, query)

    def mine(self, actor: User) -> list[QueueItem]:
        """What this user holds and has not answered yet (我的投诉), most urgent first."""
        require_role(actor, "read")
        return ordered(self.store, self.settings, QueueFilter(statuses=("assigned", "escalated"),
                                                              assigned_to=actor.username))

    def waiting(self, actor: User, limit: int = 20) -> list[QueueItem]:
        """The next unclaimed complaints, for an agent to see what is coming and pick one."""
        require_role(actor, "work")
        items = ordered(self.store, self.settings, QueueFilter(statuses=("open",)))
        return [item for item in items if not item.complaint.assigned_to][:limit]

    def approvals(self, actor: User, status: str | None = "pending") -> list[tuple[Approval, Complaint]]:
        """Compensation requests (pending by default), oldest first, each with its complaint."""
        require_role(actor, "approve_escalation")
        return [(a, self.store.get_complaint(a.complaint_id)) for a in self.store.list_approvals(status=status)]

    def approval_history(self, actor: User, complaint_id: int) -> list[Approval]:
        """Every request on one complaint and its answer: how the agent learns the decision."""
        complaint = self.complaint(actor, complaint_id)
        require_holder(actor, complaint)
        return self.store.list_approvals(complaint_id=complaint.id)

    def audit_trail(self, actor: User, complaint_id: int) -> list:
        """The audit entries of one complaint, oldest first."""
        complaint = self.complaint(actor, complaint_id)
        require_holder(actor, complaint)
        return list(reversed(self.store.list_audit(complaint.id)))

    def drafts(self, actor: User, complaint_id: int) -> list[DraftVersion]:
        require_role(actor, "read")
        return self.store.list_drafts(complaint_id)

    def dashboard(self, actor: User) -> DashboardData:
        require_role(actor, "dashboard")
        return collect(self.store, self.settings)

    def assignable(self, actor: User) -> list[str]:
        """Accounts a complaint can be assigned to."""
        require_role(actor, "reassign")
        return [u.username for u in self.store.list_users() if u.role in ("agent", "supervisor") and u.active]

    def _triaged(self, complaint_id: int) -> Complaint:
        complaint = self.store.get_complaint(complaint_id)
        if complaint.triage is None:
            self.triage.triage_ids(self.store, [complaint_id])
            complaint = self.store.get_complaint(complaint_id)
        return complaint

    def _industry(self, complaint: Complaint) -> str | None:
        return complaint.industry or self.settings.industry

    def view(self, complaint_id: int) -> WorkbenchView:
        """Everything the workbench shows for one complaint: triage, similar cases, drafts."""
        complaint = self._triaged(complaint_id)
        industry = self._industry(complaint)
        similar, precedent = self.case_base.for_complaint(complaint.text, complaint.triage, industry)
        return WorkbenchView(complaint, queue_item(complaint, self.settings, utcnow()), similar, precedent,
                             self.store.list_drafts(complaint_id))

    def check(self, text: str, complaint: Complaint, actor: User | None = None, notes: str | None = None,
              plan: str | None = None) -> CheckResult:
        """Every check a reply must pass, including those only this complaint's request knows
        (text copied from the similar cases shown beside it): what approval runs too."""
        limit = self.settings.guard.max_reply_chars
        if len(text) > limit:  # a reply that long is a paste gone wrong, and would tie up the checker
            raise WorkflowError(f"回复过长（{len(text)} 字），上限 {limit} 字，请精简后再检查")
        complaint = self._triaged(complaint.id)  # type: ignore[arg-type]  (the check needs its topic)
        assert complaint.triage is not None
        similar = self.case_base.similar(complaint.text, industry=self._industry(complaint),
                                         topics=complaint.triage.topic_probabilities)
        # the request the drafts saw, as far as the checks need it: this complaint's reference cases;
        # the precedent and the draft history (what view() also loads) play no part, so every
        # keystroke of the live check pays for one search only
        request = build_request(complaint.text, complaint.triage, self.case_base, self.settings,
                                industry=self._industry(complaint), similar=similar, precedent=Precedent(0, ()),
                                grant=self._grant(actor, complaint) if actor else None, hint=notes, plan=read_plan(plan))
        return check_for_request(text, request)

    def suggested_fix(self, actor: User, complaint_id: int, text: str, notes: str | None = None,
                      plan: str | None = None) -> str:
        """The reply with the checks' suggested changes applied (what the guard repairs): one
        click for the agent, who still reads and approves it."""
        complaint = self.complaint(actor, complaint_id)
        require_holder(actor, complaint)
        view = self.view(complaint.id)  # type: ignore[arg-type]
        request = self.request_for(view, notes, actor, plan)
        return repair(text, check_for_request(text, request), request)

    def proposed_plan(self, actor: User, complaint_id: int, notes: str | None = None,
                      view: WorkbenchView | None = None) -> str:
        """The reply plan the program proposes (with the current notes), for the agent to edit."""
        complaint = self.complaint(actor, complaint_id)
        return plan_for(self.request_for(view or self.view(complaint.id), notes, actor)).render()  # type: ignore[arg-type]

    def known_causes(self, limit: int = 30) -> list[tuple[str, int]]:
        """Root causes written at resolve so far, most frequent first (the resolve form offers them)."""
        return root_causes(self.store.list_cases(source="resolved"))[:limit]

    def _grant(self, actor: User, complaint: Complaint) -> Grant:
        return grant_for(actor, self.store.list_approvals(complaint_id=complaint.id),
                         self.settings.policy.max_compensation_without_approval)

    # --- intake ----------------------------------------------------------------------------

    def import_file(self, actor: User, path: Path, triage: bool = True, progress: Progress | None = None,
                    is_demo: bool = False) -> ImportReport:
        """Import a file (good rows in transactional batches, bad rows reported), then triage."""
        require_role(actor, "import")
        report = import_file(self.store, path, ZoneInfo(self.settings.timezone), progress, is_demo=is_demo,
                             max_text_chars=self.settings.intake.max_text_chars)
        self.store.audit(actor.username, "import", None, file=path.name, added=len(report.added_ids),
                         duplicates=report.duplicates, errors=len(report.errors))
        if triage:  # everything still untriaged, not only this file's rows: an earlier run may have died mid-way
            self.triage.triage_pending(self.store)
        return report

    def export(self, actor: User, statuses: tuple[str, ...] = ()) -> list[ExportRow]:
        """Complaints and their sent replies for a spreadsheet, personal data masked."""
        require_role(actor, "queue")
        rows = export_rows(self.store, statuses)
        self.store.audit(actor.username, "export", None, rows=len(rows), statuses=list(statuses))
        return rows

    # --- claiming --------------------------------------------------------------------------

    def take_next(self, actor: User) -> Complaint | None:
        """Lock the highest-priority unassigned complaint to this agent (下一条)."""
        require_role(actor, "work")
        held = len(self.store.list_complaints(QueueFilter(statuses=("assigned",), assigned_to=actor.username)))
        if held >= self.settings.ui.max_held:
            raise WorkflowError(f"你手上已有 {held} 条未回复的投诉（上限 {self.settings.ui.max_held} 条），"
                                "请先回复或释放其中一条，再领下一条")
        for item in ordered(self.store, self.settings, QueueFilter(statuses=("open",))):
            if item.complaint.assigned_to:
                continue
            try:
                with self.store.transaction():
                    complaint = self.store.claim(item.complaint.id, actor.username)  # type: ignore[arg-type]
                    self.store.audit(actor.username, "take", complaint.id, priority=item.priority)
                return complaint
            except LockConflictError:
                continue  # a colleague was faster; try the next one
        return None

    def open(self, actor: User, complaint_id: int) -> WorkbenchView:
        """Open a complaint; an agent who opens an unclaimed one claims it."""
        complaint = self.complaint(actor, complaint_id)
        require_holder(actor, complaint)
        if actor.role == "agent" and complaint.assigned_to is None and complaint.status == "open":
            with self.store.transaction():
                self.store.claim(complaint.id, actor.username)  # type: ignore[arg-type]
                self.store.audit(actor.username, "open", complaint.id)
        return self.view(complaint.id)  # type: ignore[arg-type]

    def release(self, actor: User, complaint_id: int) -> None:
        complaint = self.complaint(actor, complaint_id)
        if complaint.assigned_to != actor.username:
            require_role(actor, "release_any", "只能释放自己正在处理的投诉")
        if complaint.status not in ANSWERABLE:
            raise WorkflowError(f"投诉 {complaint.id} 当前为「{STATUS_NAMES[complaint.status]}」，不能释放回队列")
        with self.store.transaction():
            self.store.release(complaint.id)  # type: ignore[arg-type]
            self.store.audit(actor.username, "release", complaint.id, holder=complaint.assigned_to)

    def reassign(self, actor: User, complaint_id: int, to: str) -> None:
        require_role(actor, "reassign")
        complaint = self.complaint(actor, complaint_id)
        target = self.store.get_user(to or "")
        if target is None or not target.active:
            raise WorkflowError(f"没有账号 {to}")
        with self.store.transaction():
            self.store.assign(complaint.id, target.username)  # type: ignore[arg-type]
            self.store.audit(actor.username, "reassign", complaint.id, to=target.username,
                             previous=complaint.assigned_to)

    def reassign_many(self, actor: User, complaint_ids: list[int], to: str) -> int:
        """Bulk reassign (a supervisor moving a colleague's pile): all of them, or none."""
        require_role(actor, "reassign")
        if not complaint_ids:
            raise WorkflowError("请至少选择一条投诉")
        with self.store.transaction():
            for complaint_id in complaint_ids:
                self.reassign(actor, complaint_id, to)
        return len(complaint_ids)

    # --- drafting --------------------------------------------------------------------------

    def request_for(self, view: WorkbenchView, hint: str | None = None, actor: User | None = None,
                    plan: str | None = None) -> DraftRequest:
        complaint = view.complaint
        assert complaint.triage is not None
        return build_request(complaint.text, complaint.triage.model_copy(update={"priority": view.item.priority}),
                             self.case_base, self.settings, industry=self._industry(complaint), hint=hint,
                             similar=view.similar, precedent=view.precedent,
                             grant=self._grant(actor, complaint) if actor else None, plan=read_plan(plan))

    def _drafting_view(self, actor: User, complaint_id: int) -> WorkbenchView:
        complaint = self.complaint(actor, complaint_id)
        require_holder(actor, complaint)
        if complaint.status not in ANSWERABLE:
            raise WorkflowError(f"这条投诉当前状态为「{STATUS_NAMES[complaint.status]}」，不能再生成草稿")
        crisis = [hit for hit in (complaint.triage.flags if complaint.triage else []) if hit.flag == "crisis"]
        if crisis:  # SPEC: a person first, never a templated reply
            signal = f"「{crisis[0].text}」" if crisis[0].text else "模型判断"
            raise WorkflowError(f"这条投诉有危机信号（{signal}）：请立即由人工打电话联系客户、确认安全；"
                                "回复请人工撰写，不用模板生成")
        return self.view(complaint.id)  # type: ignore[arg-type]

    def _store_generated(self, actor: User, complaint_id: int, outcome: GuardedDraft, hint: str | None) -> DraftVersion:
        with self.store.transaction():
            draft = self.store.add_draft(DraftVersion(
                complaint_id=complaint_id, kind="generated", text=outcome.text, author=actor.username,
                backend=outcome.backend, violations=outcome.result.violations, moves=outcome.result.moves,
                notes=hint or None,
            ))
            self.store.audit(actor.username, "draft", complaint_id, backend=outcome.backend, attempts=outcome.attempts,
                             repaired=outcome.repaired, passed=outcome.result.passed, hint=mask_pii(hint or ""))
        return draft

    def draft(self, actor: User, complaint_id: int, hint: str | None = None,
              plan: str | None = None) -> tuple[DraftVersion, GuardedDraft]:
        view = self._drafting_view(actor, complaint_id)
        outcome = guard(self.request_for(view, hint, actor, plan), self.drafting.current.backend,
                        self.settings.guard.max_regenerations, best_of=self.settings.guard.best_of)
        return self._store_generated(actor, complaint_id, outcome, hint), outcome

    def draft_stream(self, actor: User, complaint_id: int, hint: str | None = None,
                     plan: str | None = None) -> Iterator[StreamEvent]:
        view = self._drafting_view(actor, complaint_id)
        backend = self.drafting.current.backend
        request = self.request_for(view, hint, actor, plan)
        for event in guard_stream(request, backend, self.settings.guard.max_regenerations, self.settings.guard.best_of):
            if event.done and event.outcome is not None:
                self._store_generated(actor, complaint_id, event.outcome, hint)
            yield event

    # --- approving and resolving -----------------------------------------------------------

    def approve(self, actor: User, complaint_id: int, text: str, notes: str | None = None,
                plan: str | None = None) -> ApprovalResult:
        """Record the text as sent, if every check passes — including that any amount above the
        agent's limit was approved by a supervisor first (request_approval)."""
        require_role(actor, "work")
        complaint = self.complaint(actor, complaint_id)
        require_holder(actor, complaint)
        text = text.strip()
        if not text:
            raise WorkflowError("回复内容为空")
        if complaint.status not in ANSWERABLE:
            raise WorkflowError(f"这条投诉当前状态为「{STATUS_NAMES[complaint.status]}」，不能再批准发送")
        if notes is None:  # the facts the last draft was written with, e.g. for an API client
            notes = next((d.notes for d in reversed(self.store.list_drafts(complaint.id)) if d.kind == "generated"), "")
        result = self.check(text, complaint, actor, notes, plan)
        reason = refusal(result)
        if reason:
            raise WorkflowError(reason)
        offered = largest_offer(text)
        approved_by = None  # who signed off an amount above the agent's limit (the check let it through)
        if offered is not None and offered > self.settings.policy.max_compensation_without_approval:
            approved_by = actor.username if actor.role != "agent" else \
                self.store.list_approvals(complaint_id=complaint.id)[-1].decided_by
        with self.store.transaction():
            self.store.transition(complaint.id, "sent", ANSWERABLE)  # type: ignore[arg-type]
            last = next((d for d in reversed(self.store.list_drafts(complaint.id)) if d.kind == "generated"), None)
            edited = last is None or last.text.strip() != text
            if edited:
                self.store.add_draft(DraftVersion(complaint_id=complaint.id, kind="edited", text=text,
                                                  author=actor.username, moves=result.moves, notes=notes or None))
            sent = self.store.add_draft(DraftVersion(
                complaint_id=complaint.id, kind="sent", text=text, author=actor.username, moves=result.moves,
                offered_amount=offered, approved_by=approved_by, notes=notes or None))
            self.store.audit(actor.username, "approve", complaint.id, draft=sent.id, edited=edited, amount=offered,
                             approved_by=approved_by)
        return ApprovalResult(sent, "回复已批准并记录为已发送")

    def request_approval(self, actor: User, complaint_id: int, amount: float, reason: str, text: str = "") -> Approval:
        """提交主管审批: the complaint waits as 待主管审批 until a supervisor answers."""
        require_role(actor, "work")
        complaint = self.complaint(actor, complaint_id)
        require_holder(actor, complaint)
        require_request(complaint, amount, reason, self.settings.policy.max_compensation_without_approval, ANSWERABLE)
        with self.store.transaction():
            self.store.transition(complaint.id, "escalated", ANSWERABLE)  # type: ignore[arg-type]
            approval = self.store.add_approval(Approval(
                complaint_id=complaint.id, amount=float(amount), reason=mask_pii(reason.strip()),  # type: ignore[arg-type]
                draft=text.strip(), requested_by=actor.username))
            self.store.audit(actor.username, "request_approval", complaint.id, approval=approval.id, amount=amount)
        return approval

    def decide_approval(self, actor: User, complaint_id: int, approve: bool, note: str = "") -> Approval:
        """A supervisor approves or rejects the pending request; the complaint goes back to
        the agent who asked (now allowed, or not, to promise the amount)."""
        require_role(actor, "approve_escalation")
        complaint = self.complaint(actor, complaint_id)
        pending = self.store.list_approvals(complaint_id=complaint.id, status="pending")
        if complaint.status != "escalated" or not pending:
            raise WorkflowError(f"投诉 {complaint_id} 没有待审批的补偿申请")
        if not approve and len(note.strip()) < 2:
            raise WorkflowError("驳回时请写明原因或建议，坐席要据此修改")
        with self.store.transaction():
            decided = self.store.decide_approval(pending[-1].id, "approved" if approve else "rejected",  # type: ignore[arg-type]
                                                 actor.username, note.strip())
            self.store.transition(complaint.id, "assigned", ("escalated",))  # type: ignore[arg-type]
            self.store.audit(actor.username, "approval_approved" if approve else "approval_rejected", complaint.id,
                             approval=decided.id, amount=decided.amount, note=decided.note)
        return decided

    def resolve(self, actor: User, complaint_id: int, remedy: str | None = None, outcome: str = "satisfied",
                root_cause: str = "", resolution: str = "") -> Case:
        """Close the complaint and add it to the case base (personal data masked)."""
        require_role(actor, "work")
        complaint = self.complaint(actor, complaint_id)
        require_holder(actor, complaint)
        complaint = self._triaged(complaint.id)  # type: ignore[arg-type]
        sent = next((d for d in reversed(self.store.list_drafts(complaint.id)) if d.kind == "sent"), None)
        if sent is None or complaint.status != "sent":
            raise WorkflowError("还没有已发送的回复，先批准回复再结案")
        if remedy is not None and remedy not in vocab.REMEDY_IDS:
            raise WorkflowError(f"未知的处理方式 {remedy}")
        if outcome not in vocab.OUTCOME_IDS:
            raise WorkflowError(f"未知的处理结果 {outcome}")
        case = self._case_of(complaint, sent, remedy, outcome, root_cause, resolution)
        with self.store.transaction():
            self.store.transition(complaint.id, "resolved", ("sent",))  # type: ignore[arg-type]
            self.store.add_case(case)
            self.store.audit(actor.username, "resolve", complaint.id, case=case.id, remedy=case.remedy, outcome=outcome)
        self.case_base.include(case)  # searchable now; a crash before this is caught up at the next start
        return case

    def _case_of(self, complaint: Complaint, sent: DraftVersion, remedy: str | None, outcome: str, root_cause: str,
                 resolution: str) -> Case:
        triage = complaint.triage
        assert triage is not None
        industry = self._industry(complaint)
        if remedy is None:  # the precedent the workbench showed
            _similar, precedent = self.case_base.for_complaint(complaint.text, triage, industry)
            remedy = chosen_remedy(DraftRequest.for_complaint(complaint.text, triage, precedent=precedent))
        return masked(Case(
            id=f"res-{complaint.id}", industry=industry or "general", topic=triage.topic, anger=triage.anger,
            persona=triage.persona, flags=triage.flag_ids, complaint=complaint.text, root_cause=root_cause.strip(),
            department=triage.department, remedy=remedy, amount=sent.offered_amount, resolution=resolution.strip(),
            reply=sent.text, outcome=outcome, approved_by_supervisor=bool(sent.approved_by and sent.offered_amount),
            source="resolved", complaint_id=complaint.id,
        ))

    # --- accounts and demo data --------------------------------------------------------------

    def add_user(self, actor: User, user: User, password: str, is_demo: bool = False) -> None:
        require_role(actor, "accounts")
        require_good_password(password, user.username, self.settings.auth.min_password_chars)
        with self.store.transaction():
            self.store.add_user(user, password, is_demo=is_demo)
            self.store.audit(actor.username, "user_add", None, account=user.username, role=user.role)

    def set_password(self, actor: User, username: str, password: str) -> None:
        if actor.username != username:
            require_role(actor, "accounts", "只有管理员可以修改别人的密码")
        require_good_password(password, username, self.settings.auth.min_password_chars)
        with self.store.transaction():
            self.store.set_password(username, password)  # ends every session of the old password
            self.store.audit(actor.username, "password", None, account=username)

    def setup_state(self) -> tuple[int, int]:
        """(complaints, accounts) in the store: what start-up needs to decide on demo data."""
        return self.store.count_complaints(), len(self.store.list_users())

    def seed_demo(self, actor: User) -> list[tuple[str, str, str]]:
        """The demo queue (triaged) and demo accounts with fresh random passwords:
        (username, password, role) of each account created."""
        require_role(actor, "accounts")
        added = self.store.add_complaints(demo_complaints(self.settings.external_data_dir), source="demo")
        self.triage.triage_ids(self.store, added.added_ids)
        credentials = []
        for username, name, role in DEMO_USERS:
            if self.store.get_user(username) is None:
                password = secrets.token_urlsafe(8)
                self.add_user(actor, User(username=username, display_name=name, role=role), password, is_demo=True)
                credentials.append((username, password, role))
        self.store.audit(actor.username, "demo_seed", None, complaints=len(added.added_ids))
        return credentials

    def remove_demo(self, actor: User) -> int:
        """Delete demo complaints, their drafts and the demo accounts; returns how many complaints."""
        require_role(actor, "accounts")
        with self.store.transaction():
            removed = self.store.remove_demo()
            self.store.audit(actor.username, "demo_remove", None, complaints=removed)
        return removed

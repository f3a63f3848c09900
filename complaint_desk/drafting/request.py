"""What every LLM backend is asked to do: one complaint, its triage and its precedent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from complaint_desk.cases.base import CaseBase, Precedent, SimilarCase
from complaint_desk.config import GuardSettings, PolicySettings, Settings
from complaint_desk.domain import Case, TriageResult, Violation
from complaint_desk.drafting.reply_plan import ReplyPlan
from complaint_desk.privacy import mask_pii

TRUNCATION_MARK = "……（以下内容过长已省略）"
_FENCE = re.compile(r"<\s*/?\s*投诉\s*>")


def unfenced(text: str) -> str:
    """Customer text as the prompt may quote it: personal data masked, any <投诉> fence tag
    written in full-width so it cannot close the prompt's own."""
    return _FENCE.sub(lambda tag: tag.group().replace("<", "＜").replace(">", "＞"), mask_pii(text))


@dataclass(frozen=True)
class Grant:
    """What the sender of this reply may promise, as the workflow knows it: up to `limit`
    yuan (None: no limit, a supervisor writes), and whether a supervisor's approval is on
    record, which is what lets a reply say 经主管批准."""

    limit: float | None
    approved: bool = False


@dataclass(frozen=True)
class DraftRequest:
    complaint: str
    topic: str
    anger: int
    persona: str
    flags: tuple[str, ...] = ()
    priority: str = "P3"
    precedent: Precedent | None = None
    examples: tuple[Case, ...] = ()
    hint: str | None = None
    company: str = "我们"
    max_compensation: float = PolicySettings().max_compensation_without_approval
    default_compensation: float = PolicySettings().default_compensation
    max_complaint_chars: int = GuardSettings().max_complaint_chars
    max_draft_chars: int = GuardSettings().max_draft_chars
    feedback: tuple[Violation, ...] = field(default_factory=tuple)
    variant: int = 0  # another choice of the composer's wordings for the same complaint
    grant: Grant | None = None  # None: not known (a draft checked on its own, as in the eval sets)
    grounded: bool = False  # the complaint and the notes (hint) are all the facts there are: check `unfounded`
    plan: ReplyPlan | None = None  # the agent's edited plan; None: the one drafting/plan.py proposes
    attempt: int = 0  # which try at this request (a retry samples anew)
    prompt: str = "plan"  # which user prompt the model gets (drafting/prompts.py USER_PROMPTS)

    @property
    def approved_amount(self) -> float | None:
        """The amount a supervisor approved for this complaint, if one did."""
        return self.grant.limit if self.grant and self.grant.approved else None

    @classmethod
    def for_complaint(cls, text: str, triage: TriageResult, **kwargs: object) -> DraftRequest:
        return cls(complaint=text, topic=triage.topic, anger=triage.anger, persona=triage.persona,
                   flags=tuple(triage.flag_ids), priority=triage.priority, **kwargs)  # type: ignore[arg-type]

    @property
    def prompt_complaint(self) -> str:
        """The complaint as the model sees it: personal data masked, length capped, and the
        prompt's <投诉> fence written in full-width so the complaint cannot close it."""
        masked = unfenced(self.complaint)
        if len(masked) > self.max_complaint_chars:
            masked = masked[: self.max_complaint_chars] + TRUNCATION_MARK
        return masked

    @property
    def key(self) -> str:
        """Stable per complaint: the composer varies its wording by it, deterministically."""
        return self.complaint if not self.variant else f"{self.complaint}\x1e{self.variant}"

    def with_feedback(self, violations: list[Violation]) -> DraftRequest:
        """The next try: the checker's findings named, the failed draft itself not shown (a model
        shown its draft tends to send it back unchanged)."""
        return replace(self, feedback=tuple(violations), attempt=self.attempt + 1)


def build_request(text: str, triage: TriageResult, case_base: CaseBase, settings: Settings, industry: str | None = None,
                  hint: str | None = None, similar: Sequence[SimilarCase] | None = None,
                  precedent: Precedent | None = None, grant: Grant | None = None,
                  grounded: bool = True, plan: ReplyPlan | None = None) -> DraftRequest:
    """The request for one complaint: its triage, its similar cases and precedent, policy, and
    the agent's reply plan if they edited one."""
    industry = industry or settings.industry
    if similar is None or precedent is None:
        found, shown_precedent = case_base.for_complaint(text, triage, industry)
        similar = found if similar is None else similar
        precedent = shown_precedent if precedent is None else precedent
    return DraftRequest.for_complaint(
        text, triage,
        precedent=precedent,
        examples=tuple(s.case for s in similar[: settings.llm.prompt_examples]),
        hint=hint.strip() if hint and hint.strip() else None,
        company=settings.policy.company_name,
        max_compensation=settings.policy.max_compensation_without_approval,
        default_compensation=settings.policy.default_compensation,
        max_complaint_chars=settings.guard.max_complaint_chars,
        max_draft_chars=settings.guard.max_draft_chars,
        grant=grant,
        grounded=grounded,
        plan=plan,
        prompt=settings.llm.prompt_style,
    )


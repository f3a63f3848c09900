"""What every LLM backend is asked to do: one complaint, its triage and its precedent."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from complaint_desk.cases.base import Precedent
from complaint_desk.domain import Case, TriageResult, Violation
from complaint_desk.text import mask_pii

TRUNCATION_MARK = "……（以下内容过长已省略）"


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
    max_compensation: float = 200.0
    max_complaint_chars: int = 2000
    max_draft_chars: int = 600
    feedback: tuple[Violation, ...] = field(default_factory=tuple)
    previous_draft: str | None = None

    @classmethod
    def for_complaint(cls, text: str, triage: TriageResult, **kwargs: object) -> DraftRequest:
        return cls(complaint=text, topic=triage.topic, anger=triage.anger, persona=triage.persona,
                   flags=tuple(triage.flag_ids), priority=triage.priority, **kwargs)  # type: ignore[arg-type]

    @property
    def prompt_complaint(self) -> str:
        """The complaint as the model sees it: personal data masked, length capped."""
        masked = mask_pii(self.complaint)
        if len(masked) > self.max_complaint_chars:
            masked = masked[: self.max_complaint_chars] + TRUNCATION_MARK
        return masked

    @property
    def key(self) -> str:
        """Stable per complaint: the composer varies its wording by it, deterministically."""
        return self.complaint

    def with_feedback(self, draft: str, violations: list[Violation]) -> DraftRequest:
        return replace(self, previous_draft=draft, feedback=tuple(violations))

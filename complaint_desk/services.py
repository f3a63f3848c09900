"""The object graph behind the UI and long-running commands, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass

from complaint_desk.cases.base import CaseBase
from complaint_desk.config import Settings
from complaint_desk.drafting.service import DraftingService
from complaint_desk.store import Store, open_store
from complaint_desk.triage.service import TriageService
from complaint_desk.workflow.service import Workflow


@dataclass
class Services:
    settings: Settings
    store: Store
    case_base: CaseBase
    triage: TriageService
    drafting: DraftingService
    workflow: Workflow

    @classmethod
    def build(cls, settings: Settings, load_llm_in_background: bool = True) -> Services:
        store = open_store(settings)
        case_base = CaseBase(store, settings)
        case_base.ensure_seeded()
        case_base.indexes()
        triage = TriageService(settings)
        triage.triager  # noqa: B018  (load now: the background LLM loader must not race this import)
        drafting = DraftingService(settings)
        if load_llm_in_background:
            drafting.start_loading()
        return cls(settings, store, case_base, triage, drafting,
                   Workflow(store, settings, case_base, triage, drafting))

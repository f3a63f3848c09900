"""Triage of stored complaints: the model is loaded on first use (the slow part of start-up)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from complaint_desk.config import Settings
from complaint_desk.store import Store

if TYPE_CHECKING:  # the model module imports torch; loading it is deferred to first use
    from complaint_desk.triage.model import Triager

Progress = Callable[[int], None]


class TriageService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._triager: Triager | None = None

    @property
    def triager(self) -> Triager:
        if self._triager is None:
            from complaint_desk.triage.model import Triager  # noqa: PLC0415  (torch: lazy, not a cycle)

            self._triager = Triager(self.settings)
        return self._triager

    def triage_ids(self, store: Store, ids: Sequence[int], progress: Progress | None = None,
                   batch_size: int = 256) -> int:
        """Triage stored complaints by id, in batches; returns how many were triaged."""
        done = 0
        for start in range(0, len(ids), batch_size):
            chunk = [store.get_complaint(i) for i in ids[start : start + batch_size]]
            results = self.triager.score([c.text for c in chunk], [c.created_at for c in chunk])
            for complaint, result in zip(chunk, results, strict=True):
                store.save_triage(complaint.id, result)  # type: ignore[arg-type]
            done += len(chunk)
            if progress:
                progress(len(chunk))
        return done

    def triage_pending(self, store: Store, progress: Progress | None = None) -> int:
        return self.triage_ids(store, store.untriaged_ids(), progress)

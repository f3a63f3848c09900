"""import → store → triage: how complaints enter the queue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from complaint_desk.config import Settings
from complaint_desk.importing import ImportReport, import_file
from complaint_desk.store import Store

Progress = Callable[[int], None]


class TriageService:
    """Loads the triage model on first use (it is the slow part of start-up)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._triager = None

    @property
    def triager(self):  # noqa: ANN201  (model.triage imports torch; keep it lazy)
        if self._triager is None:
            from complaint_desk.model.triage import Triager

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


def import_and_triage(
    store: Store,
    service: TriageService,
    path: Path,
    username: str,
    triage: bool = True,
    progress: Progress | None = None,
    is_demo: bool = False,
) -> ImportReport:
    """Import a file, triage what was added, and record both in the audit log."""
    report = import_file(store, path, ZoneInfo(service.settings.timezone), progress, is_demo=is_demo)
    store.audit(username, "import", None, file=path.name, added=len(report.added_ids),
                duplicates=report.duplicates, errors=len(report.errors))
    if triage and report.added_ids:
        service.triage_ids(store, report.added_ids)
    return report

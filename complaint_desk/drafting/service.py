"""The LLM backend the workbench drafts with, loaded in the background so the UI starts at once."""

from __future__ import annotations

import threading

from complaint_desk.config import Settings
from complaint_desk.drafting.backends import LoadedBackend, load_backend
from complaint_desk.drafting.composer import ComposerBackend


class DraftingService:
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

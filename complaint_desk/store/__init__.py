"""Persistence: the Store protocol and the registry that picks an implementation by URL.

`sqlite` (the embedded default, one file in the data dir) and `postgresql` (for teams
that share one server) are both served by the SQLAlchemy store (sql.py).
"""

from __future__ import annotations

from complaint_desk.config import Settings
from complaint_desk.store import sql as _sql  # noqa: F401  (registers the SQL backends)
from complaint_desk.store.base import STORES, AddResult, LockConflictError, QueueFilter, StateConflictError, Store

__all__ = ["STORES", "AddResult", "LockConflictError", "QueueFilter", "StateConflictError", "Store", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store the config names: the URL scheme picks the registered implementation."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.ensure_data_dir()
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    return STORES.create(scheme, url)


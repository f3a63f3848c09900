"""Schema versioning: an explicit version table and ordered migration steps.

A new database gets the current tables and is stamped with the latest version. An older
database is brought forward one step at a time, each step in its own transaction, so a
failed step leaves the database at the last good version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, inspect, select, text

from complaint_desk.domain import utcnow
from complaint_desk.errors import ActionableError
from complaint_desk.store.schema import ApprovalRow, Base, LoginAttemptRow, SchemaVersionRow, SessionRow


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _add_users_is_demo(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE users ADD COLUMN is_demo BOOLEAN NOT NULL DEFAULT FALSE"))


def _add_sessions(conn: Connection) -> None:
    Base.metadata.create_all(conn, tables=[LoginAttemptRow.__table__, SessionRow.__table__])


def _add_approvals(conn: Connection) -> None:
    Base.metadata.create_all(conn, tables=[ApprovalRow.__table__])


def _add_draft_notes(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE drafts ADD COLUMN notes TEXT"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", lambda conn: None),
    Migration(2, "users.is_demo: mark demo accounts so the demo can be removed", _add_users_is_demo),
    Migration(3, "login_attempts and sessions: lockout and revocable sign-ins", _add_sessions),
    Migration(4, "approvals: compensation requests above the agent's limit and their decisions", _add_approvals),
    Migration(5, "drafts.notes: the agent's notes a draft was written or sent with (what it may state as fact)",
              _add_draft_notes),
)
LATEST_VERSION = MIGRATIONS[-1].version


class SchemaTooNewError(ActionableError, RuntimeError):
    """The database was written by a newer complaint desk; refusing to touch it."""


def current_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table(SchemaVersionRow.__tablename__):
        return None
    return conn.execute(select(SchemaVersionRow.version).order_by(SchemaVersionRow.version.desc())).scalar()


def upgrade(engine: Engine) -> int:
    """Create or migrate the schema; returns the version the database is now at."""
    with engine.begin() as conn:
        version = current_version(conn)
        if version is None:
            has_tables = inspect(conn).has_table("complaints")
            if not has_tables:
                Base.metadata.create_all(conn)
                _stamp(conn, LATEST_VERSION, "created at latest version")
                return LATEST_VERSION
            raise RuntimeError("数据库中已有表但没有版本记录，无法确定结构版本；请检查数据库 URL 是否正确")
    if version > LATEST_VERSION:
        raise SchemaTooNewError(
            f"数据库结构版本 {version} 比本程序支持的 {LATEST_VERSION} 新，请升级 complaint desk"
        )
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        with engine.begin() as conn:
            migration.apply(conn)
            _stamp(conn, migration.version, migration.description)
        version = migration.version
    return version


def _stamp(conn: Connection, version: int, description: str) -> None:
    conn.execute(
        SchemaVersionRow.__table__.insert().values(version=version, applied_at=utcnow(), description=description)
    )

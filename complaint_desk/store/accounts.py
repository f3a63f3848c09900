"""Accounts in the SQL store: users and their password hashes, sign-in attempts, sessions.

A mixin of SqlStore (it uses the store's `_session`), kept apart because it is the part an
attacker probes: hashing is scrypt, unknown names cost the same as known ones, and a
session is stored only as the hash of its token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaint_desk.domain import User, utcnow
from complaint_desk.store.schema import LoginAttemptRow, SessionRow, UserRow

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


# checked against when the name is unknown, so that a wrong name takes as long as a wrong password
_NOBODY = hash_password(os.urandom(16).hex())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: UserRow) -> User:
    return User(username=row.username, display_name=row.display_name, role=row.role, active=row.active)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


class AccountRows:
    _session: Callable[[], AbstractContextManager[Session]]

    def add_user(self, user: User, password: str, is_demo: bool = False) -> None:
        """Store an account; the password policy is the workflow's (one place for it)."""
        with self._session() as session:
            if session.get(UserRow, user.username) is not None:
                raise ValueError(f"用户名 {user.username} 已存在")
            session.add(UserRow(username=user.username, display_name=user.display_name, role=user.role,
                                password_hash=hash_password(password), active=user.active, is_demo=is_demo,
                                created_at=utcnow()))
            try:
                session.flush()  # a concurrent insert of the same name fails here, not at commit
            except IntegrityError:
                raise ValueError(f"用户名 {user.username} 已存在") from None

    def authenticate(self, username: str, password: str) -> User | None:
        with self._session() as session:
            row = session.get(UserRow, username)
            matches = check_password(password, row.password_hash if row else _NOBODY)
            return _user(row) if row is not None and row.active and matches else None

    def get_user(self, username: str) -> User | None:
        with self._session() as session:
            row = session.get(UserRow, username)
            return _user(row) if row else None

    def list_users(self) -> list[User]:
        with self._session() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def set_password(self, username: str, password: str) -> None:
        """A new password, and every session signed in with the old one ends."""
        with self._session() as session:
            row = session.get(UserRow, username)
            if row is None:
                raise KeyError(f"用户 {username} 不存在")
            row.password_hash = hash_password(password)
            self.revoke_sessions(username=username)

    # --- sign-in attempts and sessions ---------------------------------------------------

    def record_login_attempt(self, username: str, address: str, succeeded: bool) -> None:
        with self._session() as session:
            session.add(LoginAttemptRow(at=utcnow(), username=username[:64], address=address[:64], succeeded=succeeded))

    def failed_logins(self, since: datetime, username: str | None = None, address: str | None = None) -> int:
        """Failed attempts since a time, for an account or from an address, since its last success."""
        with self._session() as session:
            stmt = select(LoginAttemptRow).where(LoginAttemptRow.at >= since)
            if username is not None:
                stmt = stmt.where(LoginAttemptRow.username == username[:64])
            if address is not None:
                stmt = stmt.where(LoginAttemptRow.address == address[:64])
            last_success = session.scalar(stmt.with_only_columns(func.max(LoginAttemptRow.at))
                                          .where(LoginAttemptRow.succeeded.is_(True)))
            failures = stmt.with_only_columns(func.count()).where(LoginAttemptRow.succeeded.is_(False))
            if last_success is not None:
                failures = failures.where(LoginAttemptRow.at > last_success)
            return session.scalar(failures) or 0

    def add_session(self, token: str, username: str, address: str, expires_at: datetime) -> None:
        with self._session() as session:
            session.add(SessionRow(token_hash=token_hash(token), username=username, address=address[:64],
                                   created_at=utcnow(), expires_at=expires_at, revoked_at=None))

    def session_user(self, token: str) -> User | None:
        """The account a session token signs in, while the session and the account are live."""
        with self._session() as session:
            row = session.get(SessionRow, token_hash(token))
            if row is None or row.revoked_at is not None or _aware(row.expires_at) <= utcnow():
                return None
            user = session.get(UserRow, row.username)
            return _user(user) if user is not None and user.active else None

    def revoke_sessions(self, username: str | None = None, token: str | None = None) -> int:
        with self._session() as session:
            stmt = update(SessionRow).where(SessionRow.revoked_at.is_(None)).values(revoked_at=utcnow())
            if username is not None:
                stmt = stmt.where(SessionRow.username == username)
            if token is not None:
                stmt = stmt.where(SessionRow.token_hash == token_hash(token))
            return session.execute(stmt).rowcount

"""Signing in and out: lockout after repeated failures (per account and per address),
sessions the server can end (logout, a new password, an expired or disabled account)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from complaint_desk.config import Settings
from complaint_desk.domain import User, utcnow
from complaint_desk.store import Store


@dataclass(frozen=True)
class SignInResult:
    token: str | None
    message: str  # for the login page when there is no token


class Sessions:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.auth = settings.auth

    def _locked(self, username: str, address: str) -> str | None:
        since = utcnow() - timedelta(minutes=self.auth.lockout_minutes)
        wait = f"请 {self.auth.lockout_minutes} 分钟后再试，或联系管理员"
        if self.store.failed_logins(since, username=username) >= self.auth.max_failures_per_account:
            return f"这个账号连续登录失败次数过多，已暂时锁定；{wait}"
        if self.store.failed_logins(since, address=address) >= self.auth.max_failures_per_address:
            return f"这台电脑登录失败次数过多，已暂时锁定；{wait}"
        return None

    def sign_in(self, username: str, password: str, address: str) -> SignInResult:
        """A session token for the right password, unless the account or address is locked out."""
        username = username.strip()
        locked = self._locked(username, address)
        if locked:
            self.store.audit(username or "-", "login_locked", None, address=address)
            return SignInResult(None, locked)
        user = self.store.authenticate(username, password)
        with self.store.transaction():
            self.store.record_login_attempt(username, address, succeeded=user is not None)
            self.store.audit(username or "-", "login" if user else "login_failed", None, address=address)
            if user is None:
                return SignInResult(None, "账号或密码不对")
            token = secrets.token_urlsafe(32)
            self.store.add_session(token, user.username, address, utcnow() + timedelta(hours=self.auth.session_hours))
        return SignInResult(token, "")

    def user(self, token: str | None) -> User | None:
        """Who a browser's session signs in, or None once it has ended."""
        return self.store.session_user(token) if token else None

    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        user = self.store.session_user(token)
        with self.store.transaction():
            if self.store.revoke_sessions(token=token) and user is not None:
                self.store.audit(user.username, "logout", None)

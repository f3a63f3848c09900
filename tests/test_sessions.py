"""Signing in: lockout per account and per address, names that do not exist cost the same
as wrong passwords, one password policy, and sessions the server can end."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from complaint_desk.config import Settings
from complaint_desk.domain import User
from complaint_desk.store import Store
from complaint_desk.ui.signin import SESSION_COOKIE, sign_in_app
from complaint_desk.workflow.access import PasswordPolicyError
from complaint_desk.workflow.service import Workflow
from complaint_desk.workflow.sessions import Sessions

GOOD = "Lemon-tree-42"


@pytest.fixture
def sessions(store: Store, settings: Settings) -> Sessions:
    for name in ("li", "wang"):
        store.add_user(User(username=name, display_name=name, role="agent"), GOOD)
    return Sessions(store, settings)


def test_a_right_password_opens_a_session_and_a_wrong_one_does_not(sessions: Sessions) -> None:
    assert sessions.sign_in("li", "wrong-password", "10.0.0.1").token is None
    signed = sessions.sign_in("li", GOOD, "10.0.0.1")
    assert signed.token and sessions.user(signed.token).username == "li"
    assert sessions.user("forged-token") is None


def test_an_account_is_locked_after_repeated_failures(sessions: Sessions, settings: Settings) -> None:
    for attempt in range(settings.auth.max_failures_per_account):
        assert sessions.sign_in("li", f"guess-{attempt}", f"10.0.0.{attempt}").token is None
    locked = sessions.sign_in("li", GOOD, "10.0.0.99")
    assert locked.token is None and "锁定" in locked.message
    assert sessions.sign_in("wang", GOOD, "10.0.0.99").token  # the other account is not locked


def test_an_address_is_locked_after_repeated_failures(sessions: Sessions, settings: Settings) -> None:
    for attempt in range(settings.auth.max_failures_per_address):
        sessions.sign_in(f"user{attempt}", "guess", "10.9.9.9")
    assert "这台电脑" in sessions.sign_in("li", GOOD, "10.9.9.9").message
    assert sessions.sign_in("li", GOOD, "10.0.0.2").token  # from elsewhere the account works


def test_a_success_clears_earlier_failures(sessions: Sessions, settings: Settings) -> None:
    for _ in range(settings.auth.max_failures_per_account - 1):
        sessions.sign_in("li", "guess", "10.0.0.1")
    assert sessions.sign_in("li", GOOD, "10.0.0.1").token
    for _ in range(settings.auth.max_failures_per_account - 1):
        sessions.sign_in("li", "guess", "10.0.0.1")
    assert sessions.sign_in("li", GOOD, "10.0.0.1").token


def test_an_unknown_name_costs_the_same_hashing_as_a_wrong_password(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add_user(User(username="li", display_name="li", role="agent"), GOOD)
    calls: list[int] = []
    real = hashlib.scrypt

    def counted(*args, **kwargs):  # noqa: ANN002,ANN003,ANN202
        calls.append(kwargs.get("n", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    store.authenticate("li", "wrong")
    known = list(calls)
    calls.clear()
    store.authenticate("nobody-by-this-name", "wrong")
    assert calls == known and len(known) == 1


def test_a_new_password_ends_every_session_of_the_old_one(sessions: Sessions, store: Store, settings: Settings) -> None:
    first, second = (sessions.sign_in("li", GOOD, "10.0.0.1").token for _ in range(2))
    workflow = Workflow(store, settings, None, None, None)  # type: ignore[arg-type]  (accounts only)
    workflow.set_password(workflow.operator(), "li", "Another-tree-77")
    assert sessions.user(first) is None and sessions.user(second) is None
    assert sessions.sign_in("li", "Another-tree-77", "10.0.0.1").token


def test_logout_and_a_disabled_account_end_the_session(sessions: Sessions, store: Store) -> None:
    token = sessions.sign_in("li", GOOD, "10.0.0.1").token
    sessions.sign_out(token)
    assert sessions.user(token) is None
    store.add_user(User(username="gone", display_name="gone", role="agent", active=False), GOOD)
    assert sessions.sign_in("gone", GOOD, "10.0.0.1").token is None


@pytest.mark.parametrize("password", ["short1", "li", "password", "11111111", "abababab"])
def test_one_password_policy_everywhere(store: Store, settings: Settings, password: str) -> None:
    workflow = Workflow(store, settings, None, None, None)  # type: ignore[arg-type]
    with pytest.raises(PasswordPolicyError):
        workflow.add_user(workflow.operator(), User(username="li", display_name="li", role="agent"), password)
    workflow.add_user(workflow.operator(), User(username="li", display_name="li", role="agent"), GOOD)
    with pytest.raises(PasswordPolicyError):
        workflow.set_password(workflow.operator(), "li", password)


def test_the_sign_in_pages(sessions: Sessions, settings: Settings) -> None:
    client = TestClient(sign_in_app(sessions, settings))
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text and 'type="password"' in page.text
    wrong = client.post("/login", data={"username": "li", "password": "nope"}, headers={"accept": "text/html"})
    assert wrong.status_code == 401 and "账号或密码不对" in wrong.text
    script = client.post("/login", data={"username": "<script>alert(1)</script>", "password": "x"},
                         headers={"accept": "text/html"})
    assert "<script>alert" not in script.text
    ok = client.post("/login", data={"username": "li", "password": GOOD}, headers={"accept": "text/html"},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    token = ok.cookies[SESSION_COOKIE]
    assert "httponly" in ok.headers["set-cookie"].lower() and sessions.user(token).username == "li"
    api = client.post("/login", data={"username": "li", "password": GOOD})
    assert api.json() == {"success": True}
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    out = client.get("/logout", follow_redirects=False)
    assert out.status_code == 303 and sessions.user(token) is None
    client.cookies.clear()
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/lead/", follow_redirects=False).headers["location"] == "/login?next=/lead/"


@pytest.mark.parametrize(("asked", "lands"), [
    ("/lead/", "/lead/"), ("/lead", "/lead/"), ("/", "/"), (None, "/"),
    ("https://evil.example/", "/"), ("//evil.example/lead/", "/"), ("/lead/../admin", "/"), ('"><script>', "/"),
])
def test_signing_in_returns_to_the_page_asked_for_and_only_to_ours(sessions: Sessions, settings: Settings,
                                                                   asked: str | None, lands: str) -> None:
    """A supervisor who opened /lead/ lands there after signing in; a link cannot send anyone elsewhere."""
    client = TestClient(sign_in_app(sessions, settings))
    page = client.get("/login", params={"next": asked} if asked else None)
    assert f'name="next" value="{lands}"' in page.text and "<script>" not in page.text.split("<main>")[1]
    form = {"username": "li", "password": GOOD} | ({"next": asked} if asked else {})
    ok = client.post("/login", data=form, headers={"accept": "text/html"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == lands
    wrong = client.post("/login", data=form | {"password": "nope"}, headers={"accept": "text/html"})
    assert f'name="next" value="{lands}"' in wrong.text

"""Exactly one send per reply, however many approvals race for it, on SQLite and PostgreSQL
(a double click, two tabs, a retried request)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from complaint_desk.config import Settings
from complaint_desk.domain import User
from complaint_desk.errors import ActionableError
from complaint_desk.services import Services

RACERS = 50


@pytest.fixture(params=["sqlite", "postgresql"])
def services(request: pytest.FixtureRequest, tiny_settings: Settings, tmp_path: Path) -> Services:
    settings = tiny_settings
    if request.param == "postgresql":
        settings = tiny_settings.model_copy(update={"database_url": request.getfixturevalue("empty_postgres_url")})
    built = Services.build(settings, load_llm_in_background=False)
    for name, role in (("li", "agent"), ("boss", "supervisor"), ("zhao", "supervisor")):
        built.store.add_user(User(username=name, display_name=name, role=role), "secret1")
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "R1", "text": "冰箱送来就是坏的，不制冷，已经第二次找你们了"}\n', encoding="utf-8")
    built.workflow.import_file(built.workflow.actor("boss"), source)
    yield built
    built.store.close()


def race(call: Callable[[], object]) -> Counter[str]:
    """Run `call` from RACERS threads released at once; count what each got."""
    start, outcomes, lock = threading.Barrier(RACERS), Counter(), threading.Lock()

    def run() -> None:
        start.wait()
        try:
            call()
            outcome = "ok"
        except ActionableError:
            outcome = "refused"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_racing_approvals_send_exactly_once(services: Services) -> None:
    flow, li = services.workflow, services.workflow.actor("li")
    complaint = flow.take_next(li)
    draft, _ = flow.draft(li, complaint.id)
    outcomes = race(lambda: flow.approve(li, complaint.id, draft.text))
    assert outcomes == Counter({"ok": 1, "refused": RACERS - 1})
    assert [d.kind for d in services.store.list_drafts(complaint.id)].count("sent") == 1
    assert [e.action for e in services.store.list_audit(complaint.id)].count("approve") == 1


def test_racing_approval_decisions_decide_exactly_once(services: Services) -> None:
    flow, li = services.workflow, services.workflow.actor("li")
    complaint = flow.take_next(li)
    flow.request_approval(li, complaint.id, 800, "客户损失较大")
    supervisors = [flow.actor("boss"), flow.actor("zhao")]
    turn = iter(range(RACERS))
    outcomes = race(lambda: flow.decide_approval(supervisors[next(turn) % 2], complaint.id, True))
    assert outcomes == Counter({"ok": 1, "refused": RACERS - 1})
    (decided,) = services.store.list_approvals(complaint.id)
    assert decided.status == "approved" and services.store.get_complaint(complaint.id).status == "assigned"
    assert [e.action for e in services.store.list_audit(complaint.id)].count("approval_approved") == 1

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from complaint_desk.domain import Case, Complaint, DraftVersion, FlagHit, TriageResult, User, Violation
from complaint_desk.store import LockConflictError, QueueFilter, Store
from complaint_desk.store.migrations import LATEST_VERSION, SchemaTooNewError, upgrade
from complaint_desk.store.sql import SqlStore


def _triage(priority: str = "P2", anger: int = 2) -> TriageResult:
    return TriageResult(
        anger=anger, anger_score=0.7, topic="delivery", persona="angry",
        flags=[FlagHit(flag="repeat", start=0, end=3, text="第三次")],
        priority=priority, priority_score=0.6, reason="生气 + 第三次", department="logistics",
    )


def test_complaint_round_trip_keeps_every_field(any_store: Store) -> None:
    created = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    added = any_store.add_complaints([
        Complaint(external_id="T-1", text="快递丢了！第三次反映", customer_name="王女士", channel="phone",
                  created_at=created, order_id="SO123", customer_tier="gold", industry="courier"),
    ], source="a.csv")
    [complaint_id] = added.added_ids
    any_store.save_triage(complaint_id, _triage())
    stored = any_store.get_complaint(complaint_id)
    assert stored.text == "快递丢了！第三次反映"
    assert (stored.customer_name, stored.channel, stored.order_id, stored.customer_tier) == ("王女士", "phone", "SO123", "gold")
    assert stored.created_at == created
    assert stored.triage == _triage()
    assert any_store.untriaged_ids() == []


def test_duplicates_are_skipped_by_external_id_or_content(any_store: Store) -> None:
    first = any_store.add_complaints([Complaint(external_id="A", text="x"), Complaint(text="没有编号的投诉")])
    again = any_store.add_complaints([Complaint(external_id="A", text="x changed"), Complaint(text="没有编号的投诉")])
    assert len(first.added_ids) == 2
    assert again.added_ids == [] and again.duplicates == 2
    assert any_store.count_complaints() == 2


def test_claim_is_exclusive(any_store: Store) -> None:
    for name in ("li", "wang"):
        any_store.add_user(User(username=name, display_name=name, role="agent"), "secret1")
    [cid] = any_store.add_complaints([Complaint(text="请尽快处理")]).added_ids
    assert any_store.claim(cid, "li").assigned_to == "li"
    with pytest.raises(LockConflictError):
        any_store.claim(cid, "wang")
    any_store.release(cid)
    assert any_store.claim(cid, "wang").status == "assigned"


def test_drafts_keep_every_version_in_order(any_store: Store) -> None:
    [cid] = any_store.add_complaints([Complaint(text="退款太慢")]).added_ids
    violation = Violation(rule="not_my_job", start=0, end=4, span="不归我管", message="推卸责任", fix="我来联系")
    for kind, body in (("generated", "模型草稿"), ("edited", "坐席修改"), ("sent", "最终发送")):
        any_store.add_draft(DraftVersion(complaint_id=cid, kind=kind, text=body, author="li",
                                         violations=[violation] if kind == "generated" else [],
                                         approved_by="boss" if kind == "sent" else None))
    drafts = any_store.list_drafts(cid)
    assert [d.kind for d in drafts] == ["generated", "edited", "sent"]
    assert drafts[0].violations == [violation]
    assert [d.approved_by for d in drafts] == [None, None, "boss"]  # who let a sent reply promise above the limit


def test_cases_users_and_audit(any_store: Store) -> None:
    case = Case(id="c-1", industry="courier", topic="delivery", anger=1, persona="venting", complaint="包裹没到",
                department="logistics", remedy="redelivery", reply="非常抱歉……", outcome="satisfied")
    assert any_store.add_cases([case, case.model_copy(update={"id": "c-2"})]) == 2
    assert any_store.add_cases([case]) == 0
    assert {c.id for c in any_store.list_cases()} == {"c-1", "c-2"}

    any_store.add_user(User(username="boss", display_name="张主管", role="supervisor"), "pa55word")
    assert any_store.authenticate("boss", "pa55word").role == "supervisor"
    assert any_store.authenticate("boss", "wrong") is None
    with pytest.raises(ValueError, match="已存在"):
        any_store.add_user(User(username="boss", display_name="x", role="agent"), "pa55word")

    any_store.audit("boss", "approve", 7, draft=3)
    [entry] = any_store.list_audit(7)
    assert (entry.username, entry.action, entry.detail) == ("boss", "approve", {"draft": 3})


def test_queue_filter_by_status_topic_and_date(any_store: Store) -> None:
    old = datetime.now(UTC) - timedelta(days=10)
    ids = any_store.add_complaints([
        Complaint(text="a", created_at=old), Complaint(text="b"), Complaint(text="c", status="resolved"),
    ]).added_ids
    any_store.save_triage(ids[0], _triage("P1", 3))
    assert [c.text for c in any_store.list_complaints(QueueFilter(topics=("delivery",)))] == ["a"]
    assert {c.text for c in any_store.list_complaints()} == {"a", "b"}
    recent = any_store.list_complaints(QueueFilter(created_from=datetime.now(UTC) - timedelta(days=1)))
    assert [c.text for c in recent] == ["b"]


def test_demo_data_is_removable(any_store: Store) -> None:
    any_store.add_user(User(username="demo_agent", display_name="演示坐席", role="agent"), "demo123", is_demo=True)
    any_store.add_user(User(username="real", display_name="真实", role="agent"), "real123")
    ids = any_store.add_complaints([Complaint(text="演示投诉", is_demo=True), Complaint(text="真实投诉")]).added_ids
    any_store.claim(ids[0], "demo_agent")
    any_store.add_draft(DraftVersion(complaint_id=ids[0], kind="generated", text="草稿", author="demo_agent"))
    assert any_store.has_demo()
    assert any_store.remove_demo() == 1
    assert [c.text for c in any_store.list_complaints()] == ["真实投诉"]
    assert [u.username for u in any_store.list_users()] == ["real"]
    assert not any_store.has_demo()


def test_sqlite_uses_wal(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_upgrade_from_version_1_adds_the_new_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    SqlStore(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:  # turn the fresh database back into a version-1 one
        conn.execute(text("ALTER TABLE users DROP COLUMN is_demo"))
        conn.execute(text("ALTER TABLE drafts DROP COLUMN notes"))
        conn.execute(text("DELETE FROM schema_version"))
        conn.execute(text("INSERT INTO schema_version VALUES (1, '2026-01-01', 'initial schema')"))
    assert upgrade(engine) == LATEST_VERSION
    reopened = SqlStore(url)
    reopened.add_user(User(username="x", display_name="x", role="agent"), "secret1", is_demo=True)
    assert reopened.remove_demo() == 0 and reopened.list_users() == []
    with engine.connect() as conn:
        versions = [row[0] for row in conn.execute(text("SELECT version FROM schema_version ORDER BY version"))]
    assert versions == list(range(1, LATEST_VERSION + 1))


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    SqlStore(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO schema_version VALUES ({LATEST_VERSION + 1}, '2030-01-01', 'future')"))
    with pytest.raises(SchemaTooNewError, match="请升级"):
        upgrade(engine)

"""The web UI in a real browser: Playwright driving Debian's headless Chromium against the
app started on 127.0.0.1 by the test. Screenshots of each page go to test-artifacts/."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from complaint_desk.config import Settings
from complaint_desk.domain import Complaint, User
from complaint_desk.store import QueueFilter, open_store
from complaint_desk.triage.service import TriageService

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SCRIPT = "<script>alert('xss')</script>快递三天没到"
MARKDOWN = "![图片](http://example.invalid/x.png) **加粗** 外卖洒了"
PASSWORD = "test-pass-123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ui_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-data")


@pytest.fixture(scope="module")
def app_url(ui_data_dir: Path, tiny_checkpoint: Path) -> Iterator[str]:
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("未安装 Chromium（Debian: apt-get install chromium），跳过浏览器测试")
    data_dir = ui_data_dir
    env = {**os.environ, "COMPLAINT_DESK_DATA_DIR": str(data_dir), "COMPLAINT_DESK_TRIAGE__MODEL": str(tiny_checkpoint),
           "COMPLAINT_DESK_LLM__BACKEND": "composer", "COMPLAINT_DESK_RETRIEVAL__BACKEND": "bm25",
           "HF_HUB_OFFLINE": "1"}
    settings = Settings(data_dir=data_dir, triage={"model": str(tiny_checkpoint)})
    store = open_store(settings)
    for username, role in (("agent1", "agent"), ("agent2", "agent"), ("boss", "supervisor")):
        store.add_user(User(username=username, display_name=username, role=role), PASSWORD)
    added = store.add_complaints([
        Complaint(external_id="U1", text="快递丢了三天，客服不理人，再不处理我就打12315投诉你们！！！"),
        Complaint(external_id="U2", text=SCRIPT),
        Complaint(external_id="U3", text=MARKDOWN),
        Complaint(external_id="U4", text="请问发票怎么开？"),
        Complaint(external_id="U5", text="酒店房间有烟味，换了房间还是有"),
    ])
    TriageService(settings).triage_ids(store, added.added_ids)
    store.close()
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "complaint_desk.cli", "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--no-demo"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("工作台没有在 120 秒内启动，见 test-artifacts/server.log")
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser(app_url: str):  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield launched
        launched.close()


def login(browser, app_url: str, username: str):  # noqa: ANN001,ANN201
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"页面弹出了对话框：{dialog.message}"))
    page.goto(app_url)
    page.locator("input").first.fill(username)
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button").first.click()
    page.locator("#system-notice").wait_for(timeout=30000)
    return page


def value(page, elem_id: str) -> str:  # noqa: ANN001
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first.input_value()


def wait_for_value(page, elem_id: str, needle: str, timeout_s: float = 30) -> str:  # noqa: ANN001
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        current = value(page, elem_id)
        if needle in current:
            return current
        time.sleep(0.3)
    raise AssertionError(f"#{elem_id} 没有出现「{needle}」，当前：{value(page, elem_id)!r}")


def test_unauthenticated_requests_are_refused(app_url: str) -> None:
    assert httpx.get(f"{app_url}/config").status_code == 401
    assert httpx.get(f"{app_url}/gradio_api/info").status_code == 401
    assert httpx.post(f"{app_url}/gradio_api/queue/join", json={}).status_code == 401
    page_html = httpx.get(app_url).text
    assert "快递丢了三天" not in page_html


def test_login_with_wrong_password_is_refused(browser, app_url: str) -> None:  # noqa: ANN001
    page = browser.new_page()
    page.goto(app_url)
    page.locator("input").first.fill("agent1")
    page.locator("input[type=password]").fill("wrong-password")
    page.get_by_role("button").first.click()
    page.get_by_role("alert").wait_for(timeout=10000)
    assert "账号或密码不对" in page.get_by_role("alert").inner_text()
    assert page.locator("#system-notice").count() == 0
    page.screenshot(path=str(ARTIFACTS / "login-refused.png"))
    page.close()


def test_logout_ends_the_session(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "agent2")
    page.locator("#logout-button").click()
    page.wait_for_url(f"{app_url}/login", timeout=15000)
    page.goto(app_url)
    assert page.url.endswith("/login")  # the old cookie no longer opens the workbench
    page.context.close()


def test_supervisor_queue_is_sorted_by_priority(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "boss")
    page.get_by_role("tab", name="主管队列").click()
    page.locator("#queue-refresh").click()
    wait_for_value(page, "queue-status", "共 5 条")
    # Gradio 6 renders data rows as div.virtual-row (the <table> only holds the header)
    rows = page.locator("#queue-table .virtual-row")
    rows.first.wait_for()
    priorities = [rows.nth(i).locator("[role=gridcell]").nth(1).inner_text().strip() for i in range(rows.count())]
    assert len(priorities) == 5
    assert priorities[0].startswith("P1") and priorities == sorted(priorities)
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    page.get_by_role("tab", name="看板").click()
    page.get_by_role("button", name="刷新看板").click()
    page.wait_for_timeout(4000)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    page.context.close()


def test_agent_flow_draft_check_approve_resolve(browser, app_url: str, tiny_checkpoint: Path) -> None:  # noqa: ANN001
    page = login(browser, app_url, "agent1")
    page.screenshot(path=str(ARTIFACTS / "workbench-empty.png"))
    page.locator("#next-button").click()
    meta = wait_for_value(page, "complaint-meta", "处理人 agent1")
    assert "12315" in value(page, "complaint-text")  # the P1 complaint comes first
    assert "监管投诉" in value(page, "triage-box")
    page.locator("#generate-button").click()
    wait_for_value(page, "draft-status", "通过全部检查")
    draft = value(page, "draft-editor")
    assert draft and "非常" in draft
    page.screenshot(path=str(ARTIFACTS / "workbench-draft.png"), full_page=True)

    editor = page.locator("#draft-editor textarea")
    editor.fill(draft + "这件事不归我管。")
    editor.press("End")
    editor.type(" ")
    wait_for_value(page, "check-status", "发现")
    spans = page.locator("#violation-spans").inner_text()
    assert "不归我管" in spans and "推卸责任" in spans
    page.screenshot(path=str(ARTIFACTS / "workbench-violation.png"), full_page=True)

    editor.fill(draft)
    editor.type(" ")
    wait_for_value(page, "check-status", "通过全部检查")
    page.locator("#approve-button").click()
    wait_for_value(page, "action-status", "已批准")
    page.locator("#resolve-button").click()
    wait_for_value(page, "action-status", "已加入案例库")
    assert meta.split("编号 ")[1].split(" ")[0] == "1"
    page.context.close()


def test_resolved_complaint_left_the_queue_and_is_retrievable(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "boss")
    page.get_by_role("tab", name="主管队列").click()
    page.locator("#queue-refresh").click()
    wait_for_value(page, "queue-status", "共 4 条")
    assert "12315" not in page.locator("#queue-table").inner_text()
    page.get_by_role("tab", name="坐席工作台").click()
    page.locator("#open-id input").fill("5")  # another open complaint: similar cases must include the new case
    page.locator("#open-button").click()
    wait_for_value(page, "complaint-meta", "编号 5")
    page.context.close()


def test_script_and_markdown_render_literally(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "boss")
    for complaint_id, text in ((2, SCRIPT), (3, MARKDOWN)):
        page.locator("#open-id input").fill(str(complaint_id))
        page.locator("#open-button").click()
        wait_for_value(page, "complaint-meta", f"编号 {complaint_id}")
        assert value(page, "complaint-text") == text
        assert page.locator("img[src*='example.invalid']").count() == 0
        assert text[:20] in page.locator("#flag-spans").inner_text().replace("\n", "")
    page.screenshot(path=str(ARTIFACTS / "literal-text.png"), full_page=True)
    page.context.close()


def test_two_agents_cannot_take_the_same_complaint(browser, app_url: str) -> None:  # noqa: ANN001
    first, second = login(browser, app_url, "agent1"), login(browser, app_url, "agent2")
    first.locator("#next-button").click()
    first_meta = wait_for_value(first, "complaint-meta", "处理人 agent1")
    second.locator("#next-button").click()
    second_meta = wait_for_value(second, "complaint-meta", "处理人 agent2")
    first_id = first_meta.split("编号 ")[1].split(" ")[0]
    assert first_id != second_meta.split("编号 ")[1].split(" ")[0]
    second.locator("#open-id input").fill(first_id)
    second.locator("#open-button").click()
    wait_for_value(second, "action-status", "处理中")
    first.context.close()
    second.context.close()


def test_the_resolved_case_is_in_the_case_base(app_url: str, ui_data_dir: Path, tiny_checkpoint: Path) -> None:
    """After the UI resolved complaint 1, the case base on disk serves it to a fresh reader."""
    settings = Settings(data_dir=ui_data_dir, triage={"model": str(tiny_checkpoint)}, retrieval={"backend": "bm25"})
    store = open_store(settings)
    resolved = store.list_cases(source="resolved")
    assert [c.complaint_id for c in resolved] == [1]
    assert [c.status for c in store.list_complaints(QueueFilter(statuses=("resolved",)))] == ["resolved"]
    from complaint_desk.cases.base import CaseBase

    top = CaseBase(store, settings).similar("快递丢了三天，客服不理人，再不处理我就打12315投诉你们！！！", k=1)[0]
    assert top.case.id == resolved[0].id


def test_supervisor_queue_actions_show_their_result(browser, app_url: str) -> None:  # noqa: ANN001
    """重新分配, 解除锁定 and 批准待审补偿 run on the server and report next to the queue."""
    page = login(browser, app_url, "boss")
    page.get_by_role("tab", name="主管队列").click()
    page.locator("#target-id input").fill("4")
    assignee = page.get_by_label("分配给")
    assignee.fill("agent2")
    assignee.press("Enter")
    page.get_by_role("button", name="重新分配").click()
    wait_for_value(page, "queue-action-status", "投诉 4 已分配给 agent2")
    wait_for_value(page, "queue-status", "共 4 条")
    assert "agent2" in page.locator("#queue-table").inner_text()
    page.get_by_role("button", name="解除锁定").click()
    wait_for_value(page, "queue-action-status", "投诉 4 已释放回队列")
    page.get_by_role("button", name="批准待审补偿").click()
    wait_for_value(page, "queue-action-status", "没有待审批的草稿")
    page.screenshot(path=str(ARTIFACTS / "queue-actions.png"), full_page=True)
    page.context.close()


def test_an_agent_session_is_refused_supervisor_handlers(app_url: str) -> None:
    """Hidden tabs are not the protection: called through the Gradio API with an agent's
    session, the supervisor handlers answer with a refusal and no customer's text."""
    from gradio_client import Client

    client = Client(app_url, auth=("agent1", PASSWORD), verbose=False)
    rows, status = client.predict([], [], ["open", "assigned", "escalated"], None, "", "", api_name="/load_queue")
    assert "没有权限" in status and "12315" not in json.dumps(rows, ensure_ascii=False)
    assert "没有权限" in client.predict(4, "agent1", api_name="/reassign_action")
    assert "没有权限" in client.predict(4, api_name="/escalated_action")
    dashboard = client.predict(api_name="/dashboard")
    assert "没有权限" in json.dumps(dashboard, ensure_ascii=False)

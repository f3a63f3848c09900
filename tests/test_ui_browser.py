"""The web UI in a real browser: Playwright driving Debian's headless Chromium against the
app started on 127.0.0.1 by the test, as each role. Every button and shortcut is used and
its result read next to it. Screenshots of each view go to test-artifacts/ for review.

The tests share one server and run in order: the complaints they claim, send and resolve
are the next test's starting point.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
COMPLAINTS = [
    "快递丢了三天，客服不理人，再不处理我就打12315投诉你们！！！",
    SCRIPT,
    MARKDOWN,
    "请问发票怎么开？",
    "酒店房间有烟味，换了房间还是有",
    "行李箱托运后轮子摔掉了一个，拉杆也弯了，这是第二次找你们了",
    "买的电饭煲用了两次就不加热了，客服让我等了一周还没消息",
    "会员自动续费扣了我两百多，我根本没同意过",
]
PAGE_SIZE = 4
LIVE_CHECK_S = 2.0  # the acceptance bound for the check panel after a change


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
    env = {**os.environ, "COMPLAINT_DESK_DATA_DIR": str(ui_data_dir), "COMPLAINT_DESK_TRIAGE__MODEL": str(tiny_checkpoint),
           "COMPLAINT_DESK_LLM__BACKEND": "composer", "COMPLAINT_DESK_RETRIEVAL__BACKEND": "bm25",
           "COMPLAINT_DESK_UI__QUEUE_PAGE_SIZE": str(PAGE_SIZE), "COMPLAINT_DESK_UI__REFRESH_SECONDS": "2",
           "HF_HUB_OFFLINE": "1"}
    settings = Settings(data_dir=ui_data_dir, triage={"model": str(tiny_checkpoint)})
    store = open_store(settings)
    for username, role in (("agent1", "agent"), ("agent2", "agent"), ("agent3", "agent"), ("boss", "supervisor"),
                           ("root", "admin")):
        store.add_user(User(username=username, display_name=username, role=role), PASSWORD)
    added = store.add_complaints([Complaint(external_id=f"U{i}", text=text, customer_name=f"客户{i}")
                                  for i, text in enumerate(COMPLAINTS, 1)])
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


def login(browser, app_url: str, username: str, width: int = 1366, height: int = 768):  # noqa: ANN001,ANN201
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"页面弹出了对话框：{dialog.message}"))
    page.goto(app_url)
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator("#system-notice span").wait_for(timeout=30000)
    return page


def value(page, elem_id: str) -> str:  # noqa: ANN001
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first.input_value()


def text(page, elem_id: str) -> str:  # noqa: ANN001
    return page.locator(f"#{elem_id}").first.inner_text()


def _wait(read: Callable[[], str], needle: str, timeout_s: float, what: str) -> float:
    """Seconds until `needle` shows up in what `read` returns (an empty needle: until it is empty)."""
    started = time.time()
    while time.time() - started < timeout_s:
        current = read()
        if (needle in current) if needle else not current:
            return time.time() - started
        time.sleep(0.05)
    raise AssertionError(f"{what} 在 {timeout_s} 秒内没有出现「{needle}」，当前：{read()!r}")


def until(condition: Callable[[], bool], what: str, timeout_s: float = 15) -> None:
    started = time.time()
    while not condition():
        if time.time() - started > timeout_s:
            raise AssertionError(what)
        time.sleep(0.1)


def wait_for_value(page, elem_id: str, needle: str, timeout_s: float = 30) -> float:  # noqa: ANN001
    return _wait(lambda: value(page, elem_id), needle, timeout_s, f"#{elem_id}")


def wait_for_text(page, elem_id: str, needle: str, timeout_s: float = 30) -> float:  # noqa: ANN001
    return _wait(lambda: text(page, elem_id), needle, timeout_s, f"#{elem_id}")


def status_of(page) -> str:  # noqa: ANN001
    return page.locator("#complaint-header .cd-header").get_attribute("data-status") or ""


def open_by_id(page, complaint_id: int) -> None:  # noqa: ANN001
    page.locator("#open-id input").fill(str(complaint_id))
    page.locator("#open-button").click()
    wait_for_value(page, "action-status", f"已打开投诉 {complaint_id}")


def signed_in_client(app_url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=app_url, timeout=30)
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def call(client: httpx.Client, api_name: str, data: list, prefix: str = "") -> tuple[int, str]:
    """A Gradio event called as an API client would: (status of the call, its result as text)."""
    started = client.post(f"{prefix}/gradio_api/call/{api_name}", json={"data": data})
    if started.status_code != 200:
        return started.status_code, started.text
    event_id = started.json()["event_id"]
    stream = client.get(f"{prefix}/gradio_api/call/{api_name}/{event_id}").text
    payloads = [line[len("data:"):].strip() for line in stream.splitlines() if line.startswith("data:")]
    return 200, json.dumps([json.loads(p) for p in payloads if p and p != "null"], ensure_ascii=False)


# --- signing in, and what each role is served ---------------------------------------------


def test_unauthenticated_requests_are_refused(app_url: str) -> None:
    for path in ("/config", "/gradio_api/info", "/lead/config", "/lead/gradio_api/info"):
        assert httpx.get(f"{app_url}{path}").status_code == 401, path
    for prefix in ("", "/lead"):
        assert httpx.post(f"{app_url}{prefix}/gradio_api/queue/join", json={}).status_code == 401
    for path, login in (("/", "/login"), ("/lead/", "/login?next=/lead/")):
        response = httpx.get(f"{app_url}{path}")
        assert response.status_code == 303 and response.headers["location"] == login


def test_login_with_wrong_password_is_refused(browser, app_url: str) -> None:  # noqa: ANN001
    page = browser.new_page()
    page.goto(app_url)
    page.locator("#username").fill("agent1")
    page.locator("#password").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("alert").wait_for(timeout=10000)
    assert "账号或密码不对" in page.get_by_role("alert").inner_text()
    assert page.locator("#system-notice").count() == 0
    page.screenshot(path=str(ARTIFACTS / "login-refused.png"))
    page.close()


def test_an_agent_is_never_served_the_supervisor_screen(browser, app_url: str) -> None:  # noqa: ANN001
    """Not hidden tabs: the supervisor screen is another app the server gives only to leads;
    every one of its handlers answers an agent's session, or no session, with 401."""
    boss = signed_in_client(app_url, "boss")
    api = boss.get("/lead/gradio_api/info").json()
    names = [name.lstrip("/") for name in api["named_endpoints"]]
    assert {"load_queue", "reassign", "unlock", "export", "grant", "reject", "dashboard", "import"} <= set(names)
    agent = signed_in_client(app_url, "agent1")
    stranger = httpx.Client(base_url=app_url, timeout=30)
    for name in names:
        for client in (agent, stranger):
            status, _body = call(client, name, [], prefix="/lead")
            assert status == 401, (name, status)
    assert agent.get("/lead/").status_code == 303 and agent.get("/lead/").headers["location"] == "/"
    page = login(browser, app_url, "agent1")
    assert not page.locator("#switch-screen").is_visible()
    assert page.get_by_role("tab", name="投诉队列").count() == 0 and page.get_by_text("主管台").count() == 0
    page.goto(f"{app_url}/lead/")
    page.locator("#next-button").wait_for(timeout=30000)  # sent back to the workbench
    page.context.close()


def test_each_lead_reaches_the_supervisor_screen(browser, app_url: str) -> None:  # noqa: ANN001
    for username in ("boss", "root"):
        page = login(browser, app_url, username)
        page.locator("#switch-screen").click()
        page.wait_for_url(f"{app_url}/lead/", timeout=15000)
        wait_for_value(page, "queue-status", f"共 {len(COMPLAINTS)} 条")
        page.locator("#to-workbench").click()
        page.locator("#next-button").wait_for(timeout=30000)
        page.context.close()


def test_logout_ends_the_session(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "agent2")
    page.locator("#logout-button").click()
    page.wait_for_url(f"{app_url}/login", timeout=15000)
    page.goto(app_url)
    assert page.url.endswith("/login")  # the old cookie no longer opens the workbench
    page.context.close()


# --- the agent's main loop ---------------------------------------------------------------


def test_the_agent_view_fits_one_screen(browser, app_url: str) -> None:  # noqa: ANN001
    """At 1366×768 (and 1440×900) the editor, the check panel and 批准发送 are in the first
    viewport with a complaint open, without scrolling."""
    for width, height in ((1366, 768), (1440, 900)):
        page = login(browser, app_url, "agent3", width, height)
        open_by_id(page, 5)
        page.wait_for_timeout(500)
        for elem_id in ("draft-editor", "check-status", "approve-button", "next-button", "complaint-text",
                        "similar-cases"):
            box = page.locator(f"#{elem_id}").bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (width, elem_id, box)
        assert page.evaluate("window.scrollY") == 0
        page.screenshot(path=str(ARTIFACTS / f"workbench-{width}x{height}.png"))
        page.locator("#release-button").click()
        wait_for_value(page, "action-status", "已释放回队列")
        page.context.close()


def test_the_agent_main_loop_by_keyboard_with_live_checks(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "agent1")
    page.screenshot(path=str(ARTIFACTS / "workbench-empty.png"))
    page.keyboard.press("Alt+N")  # 下一条: the regulator threat is P1
    wait_for_value(page, "action-status", "已打开投诉 1")
    assert "12315" in text(page, "complaint-text") and "监管投诉" in text(page, "triage-box")
    assert "投诉 1" in text(page, "complaint-header") and "SLA" in text(page, "complaint-header")
    assert value(page, "open-id") == "1"
    wait_for_text(page, "my-complaints", "1 · P1")
    page.keyboard.press("Alt+G")  # 生成草稿
    wait_for_value(page, "draft-status", "通过全部检查")
    draft = value(page, "draft-editor")
    wait_for_value(page, "check-status", "通过全部检查")

    editor = page.locator("#draft-editor textarea")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("这件事不归我管。")  # how an IME commits text: no key events per character
    assert wait_for_value(page, "check-status", "发现", LIVE_CHECK_S) <= LIVE_CHECK_S
    assert "不归我管" in text(page, "violation-spans") and "推卸责任" in text(page, "violations")
    page.screenshot(path=str(ARTIFACTS / "workbench-violation.png"))
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+x")
    wait_for_value(page, "check-status", "", LIVE_CHECK_S)
    page.keyboard.press("Control+v")  # paste
    wait_for_value(page, "check-status", "发现", LIVE_CHECK_S)
    for _ in "这件事不归我管。":  # delete
        page.keyboard.press("Backspace")
    wait_for_value(page, "check-status", "通过全部检查", LIVE_CHECK_S)
    assert value(page, "draft-editor") == draft

    page.keyboard.insert_text("这件事不归我管。")
    wait_for_value(page, "check-status", "发现", LIVE_CHECK_S)
    page.keyboard.press("Alt+F")  # 采用建议改法
    wait_for_value(page, "fix-status", "已按建议改好")
    wait_for_value(page, "check-status", "通过全部检查", LIVE_CHECK_S)
    assert "不归我管" not in value(page, "draft-editor")

    page.keyboard.press("Alt+S")  # 批准发送
    wait_for_value(page, "approve-status", "已批准")
    _wait(lambda: status_of(page), "sent", 15, "投诉状态")
    assert "已回复" in text(page, "complaint-header")

    page.get_by_text("结案并加入案例库（回复发送后）").click()
    cause = page.locator("#root-cause input")
    cause.fill("驿站代收未通知")
    cause.press("Enter")
    page.locator("#resolve-button").click()
    wait_for_value(page, "resolve-status", "已加入案例库")
    _wait(lambda: status_of(page), "resolved", 15, "投诉状态")
    until(lambda: "1 · P1" not in text(page, "my-complaints"), "结案后「我的投诉」不再列出它")
    page.screenshot(path=str(ARTIFACTS / "workbench-resolved.png"), full_page=True)
    page.keyboard.press("Alt+N")  # the next complaint: nothing said about the last one stays up beside it
    wait_for_value(page, "action-status", "已打开投诉")
    wait_for_value(page, "approve-status", "")
    assert value(page, "resolve-status") == "" and value(page, "draft-status") == ""
    page.keyboard.press("Alt+R")  # back to the queue for the other tests
    wait_for_value(page, "action-status", "已释放回队列")
    page.context.close()


def test_the_agents_lists_open_and_release(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "agent1")
    page.get_by_role("tab", name="待领取").click()
    rows = page.locator("#waiting-list .virtual-row")
    rows.first.wait_for(timeout=15000)
    first_id = int(rows.first.inner_text().split("·")[0].strip())
    rows.first.locator("[role=gridcell]").first.click()  # a row opens (and claims) that complaint
    wait_for_value(page, "action-status", f"已打开投诉 {first_id}")
    page.get_by_role("tab", name="我的投诉").click()
    wait_for_text(page, "my-complaints", f"{first_id} ·")
    page.locator("#release-button").click()
    wait_for_value(page, "action-status", f"投诉 {first_id} 已释放回队列")
    until(lambda: f"{first_id} ·" not in text(page, "my-complaints"), "释放后「我的投诉」不再列出它")
    page.locator("#next-button").click()
    wait_for_value(page, "action-status", "已打开投诉")
    page.keyboard.press("Alt+R")  # 释放
    wait_for_value(page, "action-status", "已释放回队列")
    page.context.close()


def test_two_agents_cannot_take_the_same_complaint(browser, app_url: str) -> None:  # noqa: ANN001
    first, second = login(browser, app_url, "agent1"), login(browser, app_url, "agent2")
    first.locator("#next-button").click()
    wait_for_value(first, "action-status", "已打开投诉")
    first_id = value(first, "open-id")
    second.locator("#next-button").click()
    wait_for_value(second, "action-status", "已打开投诉")
    assert value(second, "open-id") != first_id
    second.locator("#open-id input").fill(first_id)
    second.locator("#open-button").click()
    wait_for_value(second, "action-status", "处理中")
    status, body = call(signed_in_client(app_url, "agent2"), "show", [int(first_id)])  # nor through the API
    assert status == 200 and "agent1 处理中" in body and "你们" not in body
    for page in (first, second):
        page.locator("#release-button").click()
        wait_for_value(page, "action-status", "已释放回队列")
        page.context.close()


# --- escalation, end to end -------------------------------------------------------------


def _lead_approvals(browser, app_url: str):  # noqa: ANN001,ANN202
    page = login(browser, app_url, "boss")
    page.goto(f"{app_url}/lead/")
    page.get_by_role("tab", name="补偿审批").click()
    return page


def _audit(page, *steps: str) -> str:  # noqa: ANN001
    """The audit panel's text once it shows every step (the refresh after an action may still run)."""
    page.get_by_text("草稿版本与操作记录").click()
    until(lambda: all(step in text(page, "audit-log") for step in steps), f"操作记录里没有出现 {steps}")
    return text(page, "audit-log")


def test_escalation_approved_then_sent(browser, app_url: str) -> None:  # noqa: ANN001
    agent = login(browser, app_url, "agent2")
    open_by_id(agent, 6)
    agent.locator("#generate-button").click()
    wait_for_value(agent, "draft-status", "通过全部检查")
    editor = agent.locator("#draft-editor textarea")
    editor.click()
    agent.keyboard.press("Control+End")
    agent.keyboard.insert_text("我们为您补偿300元。")
    wait_for_value(agent, "check-status", "发现", LIVE_CHECK_S)
    assert "先经主管审批" in text(agent, "violations")
    agent.locator("#approve-button").click()
    wait_for_value(agent, "approve-status", "提交主管审批")  # an agent cannot send it alone
    agent.get_by_text("提交主管审批", exact=False).first.click()  # the panel's title
    agent.locator("#approval-amount textarea").fill("300")
    agent.locator("#approval-reason textarea").fill("第二次投诉，箱子已无法使用")
    agent.locator("#request-approval-button").click()
    wait_for_value(agent, "request-approval-status", "已提交主管审批")
    _wait(lambda: status_of(agent), "escalated", 15, "投诉状态")
    wait_for_text(agent, "approval-box", "等主管答复")
    agent.screenshot(path=str(ARTIFACTS / "escalation-requested.png"))

    lead = _lead_approvals(browser, app_url)
    table = lead.locator("#approvals-table")
    wait_for_text(lead, "approvals-table", "第二次投诉")
    table.locator(".virtual-row").first.locator("[role=gridcell]").first.click()
    wait_for_value(lead, "approval-id", "6")
    wait_for_value(lead, "approval-detail", "坐席拟发送的回复")
    assert "补偿300元" in value(lead, "approval-detail") and "行李箱" in value(lead, "approval-detail")
    lead.locator("#approval-note textarea").fill("同意，尽快回电")
    lead.screenshot(path=str(ARTIFACTS / "approvals.png"), full_page=True)
    lead.locator("#grant-button").click()
    wait_for_value(lead, "approval-action-status", "已批准投诉 6")
    until(lambda: "第二次投诉" not in text(lead, "approvals-table"), "批准后这条申请仍在待审批列表里")
    lead.context.close()

    wait_for_text(agent, "approval-box", "已批准", 10)  # the agent's screen learns it without reloading
    _wait(lambda: status_of(agent), "assigned", 10, "投诉状态")
    assert "同意，尽快回电" in text(agent, "approval-box")
    agent.locator("#generate-button").click()  # the draft may now say so, with the approved amount
    wait_for_value(agent, "draft-editor", "经主管批准")
    assert "300元" in value(agent, "draft-editor")
    wait_for_value(agent, "check-status", "通过全部检查", LIVE_CHECK_S)
    agent.locator("#approve-button").click()
    wait_for_value(agent, "approve-status", "已批准并记录为已发送")
    _audit(agent, "打开并领取", "提交主管审批", "主管批准", "批准发送")
    agent.screenshot(path=str(ARTIFACTS / "escalation-sent.png"), full_page=True)
    agent.context.close()


def test_escalation_rejected_then_revised(browser, app_url: str) -> None:  # noqa: ANN001
    agent = login(browser, app_url, "agent3")
    open_by_id(agent, 7)
    agent.locator("#generate-button").click()
    wait_for_value(agent, "draft-status", "通过全部检查")
    agent.get_by_text("提交主管审批", exact=False).first.click()
    agent.locator("#approval-amount textarea").fill("150")
    agent.locator("#approval-reason textarea").fill("客户要求补偿")
    agent.locator("#request-approval-button").click()
    wait_for_value(agent, "request-approval-status", "不需要审批")  # within the agent's own limit
    agent.locator("#approval-amount textarea").fill("500")
    agent.locator("#request-approval-button").click()
    wait_for_value(agent, "request-approval-status", "已提交主管审批")

    lead = _lead_approvals(browser, app_url)
    wait_for_text(lead, "approvals-table", "客户要求补偿")
    lead.locator("#approval-id textarea").fill("7")
    lead.locator("#reject-button").click()
    wait_for_value(lead, "approval-action-status", "驳回时请写明")
    lead.locator("#approval-note textarea").fill("按三包换新，不另外补偿")
    lead.locator("#reject-button").click()
    wait_for_value(lead, "approval-action-status", "已驳回投诉 7")
    lead.context.close()

    open_by_id(agent, 7)
    wait_for_text(agent, "approval-box", "已驳回")
    assert "按三包换新" in text(agent, "approval-box")
    agent.locator("#generate-button").click()  # revised: no approval is claimed, nothing above the limit
    wait_for_value(agent, "draft-status", "通过全部检查")
    assert "批准" not in value(agent, "draft-editor")
    agent.keyboard.press("Alt+S")
    wait_for_value(agent, "approve-status", "已批准并记录为已发送")
    _audit(agent, "提交主管审批", "主管驳回", "批准发送")
    agent.context.close()


def test_the_notes_belong_to_their_complaint_and_ground_the_draft(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "agent3")
    open_by_id(page, 8)
    notes = "已查到扣费记录，确实是系统误开通了自动续费"
    page.locator("#hint input, #hint textarea").first.fill(notes)
    page.locator("#generate-button").click()
    wait_for_value(page, "draft-editor", notes)  # the composer uses the agent's facts
    wait_for_value(page, "check-status", "通过全部检查", LIVE_CHECK_S)
    editor = page.locator("#draft-editor textarea")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("我们已经为您退款了。")  # nobody said so
    wait_for_value(page, "check-status", "发现", LIVE_CHECK_S)
    assert "无据陈述" in text(page, "violations")
    open_by_id(page, 5)  # another complaint: the notes do not follow
    assert value(page, "hint") == ""
    open_by_id(page, 8)
    assert value(page, "hint") == notes
    page.locator("#release-button").click()
    wait_for_value(page, "action-status", "已释放回队列")
    page.context.close()


def test_the_agent_edits_the_reply_plan_and_the_draft_follows_it(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "agent3")
    open_by_id(page, 8)
    page.get_by_role("tab", name="回复要点", exact=False).click()
    wait_for_value(page, "plan", "类型：")
    plan = value(page, "plan")
    assert "问题：" in plan and "方案：" in plan and "跟进：" in plan
    box = page.locator("#plan textarea")
    kept = [line for line in plan.splitlines() if not line.startswith("方案：")]
    box.fill("\n".join([*kept, "方案：关闭自动续费并退还这笔扣费", "随手写的一行"]))
    page.locator("#generate-button").click()
    wait_for_value(page, "draft-status", "回复要点第")  # an unreadable line is named, nothing is generated
    page.get_by_role("tab", name="回复要点", exact=False).click()
    box.fill("\n".join([*kept, "方案：关闭自动续费并退还这笔扣费"]))
    page.locator("#generate-button").click()
    wait_for_value(page, "draft-status", "通过全部检查")
    assert "关闭自动续费并退还这笔扣费" in value(page, "draft-editor")
    wait_for_value(page, "check-status", "通过全部检查", LIVE_CHECK_S)
    page.screenshot(path=str(ARTIFACTS / "workbench-plan.png"))
    page.locator("#hint input, #hint textarea").first.fill("已查到扣费记录，确认是误开通")
    page.get_by_role("tab", name="回复要点", exact=False).click()
    page.locator("#replan-button").click()
    wait_for_value(page, "plan", "告知客户：已查到扣费记录，确认是误开通")
    page.locator("#release-button").click()
    wait_for_value(page, "action-status", "已释放回队列")
    page.context.close()


# --- the supervisor's screen ---------------------------------------------------------------


def test_supervisor_queue_search_pages_bulk_actions_and_export(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "boss")
    page.goto(f"{app_url}/lead/")
    open_count = len(COMPLAINTS) - 3  # 1 resolved, 6 and 7 answered
    wait_for_value(page, "queue-status", f"共 {open_count} 条")
    rows = page.locator("#queue-table .virtual-row")
    priorities = [rows.nth(i).locator("[role=gridcell]").nth(1).inner_text().strip() for i in range(rows.count())]
    assert len(priorities) == PAGE_SIZE and priorities == sorted(priorities)
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

    page.locator("#queue-next").click()  # paging past the page size
    wait_for_value(page, "queue-status", "第 2/2 页")
    page.locator("#queue-prev").click()
    wait_for_value(page, "queue-status", "第 1/2 页")

    page.locator("#queue-search input, #queue-search textarea").first.fill("发票")  # applies without a button
    wait_for_value(page, "queue-status", "共 1 条")
    assert "发票" in text(page, "queue-table")
    page.locator("#queue-search input, #queue-search textarea").first.fill("")
    wait_for_value(page, "queue-status", f"共 {open_count} 条")

    for index in (0, 1):  # click two rows: both selected
        rows.nth(index).locator("[role=gridcell]").first.click()
        until(lambda n=index: value(page, "target-ids").count(",") == n and value(page, "target-ids"), "点选的行没有加入选中编号")
    picked = [int(part) for part in value(page, "target-ids").split(",")]
    assert len(picked) == 2
    assignee = page.locator("#target-agent input")
    assignee.fill("agent3")
    assignee.press("Enter")
    page.locator("#reassign-button").click()
    wait_for_value(page, "queue-action-status", "已分配给 agent3（共 2 条）")
    wait_for_text(page, "queue-table", "agent3")
    page.locator("#unlock-button").click()
    wait_for_value(page, "queue-action-status", "已释放回队列")
    page.locator("#queue-refresh").click()
    wait_for_value(page, "queue-status", "更新于")

    page.locator("#export-button").click()
    wait_for_value(page, "queue-action-status", "已生成导出文件")
    link = page.locator("#export-file a").first
    link.wait_for(timeout=15000)
    exported = page.request.get(link.get_attribute("href")).body()
    assert exported.startswith("\ufeff".encode()) and "客户" in exported.decode("utf-8-sig")
    page.context.close()


def test_dashboard_loads_on_open_and_import_reports(browser, app_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    page = login(browser, app_url, "root")
    page.goto(f"{app_url}/lead/")
    page.get_by_role("tab", name="看板").click()
    wait_for_value(page, "dashboard-status", "近 90 天共")  # loaded without pressing anything
    assert page.locator("#trend-table .virtual-row").count() > 0
    page.locator("#dashboard-refresh").click()
    wait_for_value(page, "dashboard-status", "更新于")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    source = tmp_path / "new.csv"
    source.write_text("编号,投诉内容\nN1,空调装好第二天就漏水了\nN2,\n", encoding="utf-8")
    page.get_by_role("tab", name="批量导入").click()
    page.locator("#import-file input[type=file]").set_input_files(str(source))
    page.wait_for_timeout(1000)
    page.locator("#import-button").click()
    wait_for_value(page, "import-summary", "新增 1 条")
    assert "错误 1 行" in value(page, "import-summary") and "投诉内容" in text(page, "import-errors")
    page.screenshot(path=str(ARTIFACTS / "import.png"), full_page=True)
    page.context.close()


# --- safety of what is shown ---------------------------------------------------------------


def test_script_and_markdown_render_literally(browser, app_url: str) -> None:  # noqa: ANN001
    page = login(browser, app_url, "boss")
    for complaint_id, literal in ((2, SCRIPT), (3, MARKDOWN)):
        open_by_id(page, complaint_id)
        assert literal[:20] in text(page, "complaint-text").replace("\n", "")
        assert page.locator("img[src*='example.invalid']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "literal-text.png"), full_page=True)
    page.context.close()


def test_the_resolved_case_is_in_the_case_base(app_url: str, ui_data_dir: Path, tiny_checkpoint: Path) -> None:
    """After the UI resolved complaint 1, the case base on disk serves it to a fresh reader."""
    settings = Settings(data_dir=ui_data_dir, triage={"model": str(tiny_checkpoint)}, retrieval={"backend": "bm25"})
    store = open_store(settings)
    resolved = store.list_cases(source="resolved")
    assert [c.complaint_id for c in resolved] == [1] and resolved[0].root_cause == "驿站代收未通知"
    assert [c.status for c in store.list_complaints(QueueFilter(statuses=("resolved",)))] == ["resolved"]
    from complaint_desk.cases.base import CaseBase

    top = CaseBase(store, settings).similar(COMPLAINTS[0], k=1)[0]
    assert top.case.id == resolved[0].id

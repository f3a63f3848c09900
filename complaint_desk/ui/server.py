"""`complaint-desk serve` / `python app.py`: build the services, seed the demo, launch with login."""

from __future__ import annotations

import sys
import time

from complaint_desk.config import Settings
from complaint_desk.services import Services


def console(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(settings: Settings, demo: bool) -> Services:
    """Services ready to serve: store open, cases indexed, demo seeded on an empty store."""
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
    started = time.perf_counter()
    import gradio as gr  # noqa: F401  (imported here: it is the slow part of start-up)

    from complaint_desk.ui.layout import CSS, build_app

    services = prepare(settings, demo)
    app = build_app(services)

    def authenticate(username: str, password: str) -> bool:
        return services.workflow.login(username, password) is not None

    app.queue(default_concurrency_limit=8)
    app.launch(server_name=host, server_port=port, auth=authenticate, max_file_size=f"{settings.ui.max_upload_mb}mb", auth_message="请用工作账号登录投诉工作台",
               prevent_thread_lock=True, quiet=True, css=CSS, footer_links=[], show_error=False)
    console(f"投诉工作台已启动：http://{host}:{port} （启动用时 {time.perf_counter() - started:.1f} 秒）")
    if block:
        try:
            app.block_thread()
        except KeyboardInterrupt:
            console("已停止")
    return services

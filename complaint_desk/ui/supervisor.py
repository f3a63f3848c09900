"""The supervisor's screen (主管台, served only to supervisors and admins): the queue with
search, filters that apply as they change, pages, bulk reassign and export; the
compensation approvals; the dashboard; bulk import."""

from __future__ import annotations

import gradio as gr

from complaint_desk.domain import QUEUE_STATUSES, STATUS_NAMES
from complaint_desk.services import Services
from complaint_desk.ui import figures
from complaint_desk.ui import handlers as h
from complaint_desk.ui.common import (
    PRIORITY_CHOICES,
    TOPIC_CHOICES,
    header,
    message,
    notice_html,
    safe,
    system_notice,
    username_of,
    who_html,
)

STATUS_CHOICES = [(name, status) for status, name in STATUS_NAMES.items()]


def _append_id(ids: str, event: gr.SelectData) -> str:
    """Clicking a queue row adds its id to the selection (bulk actions act on all of them)."""
    row = getattr(event, "row_value", None) or []
    if not row:
        return ids
    chosen = [part for part in (ids or "").replace("，", ",").split(",") if part.strip()]
    value = str(row[0])
    return ", ".join(chosen if value in [c.strip() for c in chosen] else [*chosen, value])


def build_supervisor(services: Services) -> gr.Blocks:
    with gr.Blocks(title="主管台 · 投诉工作台", fill_width=True) as app:
        who, _link = header("投诉工作台 · 主管台", None)
        with gr.Row(equal_height=True):
            notice = system_notice()
            gr.Button("去坐席工作台处理投诉", link="/", size="sm", elem_id="to-workbench", scale=0, min_width=160)
        with gr.Tabs():
            with gr.Tab("投诉队列", id="queue"):
                with gr.Row():
                    search = gr.Textbox(label="搜索（编号、客户、订单号或投诉内容）", elem_id="queue-search", scale=3)
                    topics = gr.Dropdown(TOPIC_CHOICES, multiselect=True, label="主题", scale=2)
                    priorities = gr.Dropdown(PRIORITY_CHOICES, multiselect=True, label="优先级", scale=2)
                    statuses = gr.Dropdown(STATUS_CHOICES, multiselect=True, value=list(QUEUE_STATUSES), label="状态",
                                           scale=2)
                    agent = gr.Dropdown([], label="处理人", allow_custom_value=True, scale=1)
                    date_from = gr.Textbox(label="起始日期", placeholder="2026-11-01", scale=1)
                    date_to = gr.Textbox(label="截止日期", placeholder="2026-11-30", scale=1)
                with gr.Row(equal_height=True):
                    queue_status = gr.Textbox(show_label=False, interactive=False, elem_id="queue-status",
                                              container=False, scale=4)
                    prev_button = gr.Button("上一页", size="sm", elem_id="queue-prev", scale=0, min_width=80)
                    page = gr.Number(value=1, precision=0, show_label=False, container=False, elem_id="queue-page",
                                     scale=0, min_width=70)
                    next_button = gr.Button("下一页", size="sm", elem_id="queue-next", scale=0, min_width=80)
                    refresh = gr.Button("刷新", size="sm", elem_id="queue-refresh", scale=0, min_width=70)
                queue = gr.Dataframe(headers=h.QUEUE_HEADERS, datatype="str", interactive=False, wrap=True,
                                     label="投诉队列（按优先级和 SLA 排序；点一行选中，可多选）", elem_id="queue-table",
                                     max_height=430)
                with gr.Row(equal_height=True):
                    target_ids = gr.Textbox(label="选中的投诉编号（可多个，逗号隔开）", elem_id="target-ids", scale=2)
                    target_agent = gr.Dropdown([], label="分配给", allow_custom_value=True, scale=1,
                                               elem_id="target-agent")
                    reassign_button = gr.Button("重新分配", elem_id="reassign-button", scale=0, min_width=100)
                    unlock_button = gr.Button("解除锁定", elem_id="unlock-button", scale=0, min_width=100)
                    queue_action_status = gr.Textbox(label="操作结果", interactive=False, elem_id="queue-action-status",
                                                     scale=3)
                with gr.Row(equal_height=True):
                    export_button = gr.Button("导出 CSV（按当前状态筛选，已遮盖个人信息）", elem_id="export-button",
                                              scale=0, min_width=260)
                    export_file = gr.File(label="导出文件", elem_id="export-file", interactive=False, scale=2, height=90)
            with gr.Tab("补偿审批", id="approvals"):
                approvals = gr.Dataframe(headers=h.APPROVAL_HEADERS, datatype="str", interactive=False, wrap=True,
                                         label="待审批的补偿申请（点一行选中）", elem_id="approvals-table", max_height=320)
                with gr.Row(equal_height=True):
                    approval_id = gr.Textbox(label="投诉编号", placeholder="点选上面的申请，或输入编号", elem_id="approval-id",
                                             scale=1)
                    note = gr.Textbox(label="主管意见（驳回时必填，会显示给坐席）", elem_id="approval-note", scale=3)
                    grant_button = gr.Button("批准", variant="primary", elem_id="grant-button", scale=0, min_width=90)
                    reject_button = gr.Button("驳回", variant="stop", elem_id="reject-button", scale=0, min_width=90)
                approval_status = gr.Textbox(show_label=False, interactive=False, elem_id="approval-action-status",
                                             container=False)
                approval_detail = gr.Textbox(label="申请详情（投诉原文与坐席拟发送的回复）", interactive=False, lines=6,
                                             max_lines=16, elem_id="approval-detail")
            with gr.Tab("看板", id="dashboard") as dashboard_tab:
                dashboard_status = gr.Textbox(show_label=False, interactive=False, elem_id="dashboard-status",
                                              container=False)
                with gr.Row():
                    volume_plot = gr.Plot(label="每日投诉量")
                    trend = gr.Dataframe(headers=["主题", "近 7 天", "前 7 天"], datatype="str", interactive=False,
                                         label="趋势（按主题）", elem_id="trend-table")
                with gr.Row():
                    causes_plot = gr.Plot(label="TOP5 问题原因")
                    sla_plot = gr.Plot(label="SLA 超时")
                with gr.Row():
                    edits_plot = gr.Plot(label="AI 草稿修改率")
                    anger_plot = gr.Plot(label="怒气分布")
                dashboard_button = gr.Button("刷新看板", size="sm", elem_id="dashboard-refresh")
            with gr.Tab("批量导入", id="import"):
                upload = gr.File(label="批量导入（CSV / JSONL / Excel）", file_types=[".csv", ".jsonl", ".xlsx"],
                                 elem_id="import-file")
                import_button = gr.Button("导入并分诊", elem_id="import-button")
                import_summary = gr.Textbox(label="导入结果", interactive=False, elem_id="import-summary")
                import_errors = gr.Dataframe(headers=["行号", "列", "问题"], datatype="str", label="有问题的行",
                                             interactive=False, elem_id="import-errors")

        filters = [topics, priorities, statuses, agent, date_from, date_to, search]

        def load_queue(topic_ids, priority_ids, status_ids, agent_name, start, end, term, page_number,  # noqa: ANN001
                       request: gr.Request) -> tuple:
            try:
                view = h.queue_view(services, username_of(request), topic_ids or (), priority_ids or (),
                                    status_ids or (), agent_name or None, start, end, term, page_number or 1)
            except h.UIError as error:
                return gr.update(), f"⚠ {error}", gr.update()
            return view.rows, view.status, view.page

        def first_page(topic_ids, priority_ids, status_ids, agent_name, start, end, term,  # noqa: ANN001
                       request: gr.Request) -> tuple:
            return load_queue(topic_ids, priority_ids, status_ids, agent_name, start, end, term, 1, request)

        queue_outputs = [queue, queue_status, page]
        for control in filters:
            control.change(first_page, filters, queue_outputs, show_progress="hidden", trigger_mode="always_last")
        refresh.click(load_queue, [*filters, page], queue_outputs, api_name="load_queue")
        page.submit(load_queue, [*filters, page], queue_outputs)

        def step(delta: int):  # noqa: ANN202  (Gradio reads the handler's own parameters)
            def turn(topic_ids, priority_ids, status_ids, agent_name, start, end, term, number,  # noqa: ANN001
                     request: gr.Request) -> tuple:
                return load_queue(topic_ids, priority_ids, status_ids, agent_name, start, end, term,
                                  max(1, int(number or 1) + delta), request)
            return turn

        prev_button.click(step(-1), [*filters, page], queue_outputs)
        next_button.click(step(+1), [*filters, page], queue_outputs)
        queue.select(_append_id, [target_ids], [target_ids])

        def reassign_action(ids: str, target: str | None, request: gr.Request) -> str:
            return message(lambda: h.reassign(services, ids, target, username_of(request)))

        def unlock_action(ids: str, request: gr.Request) -> str:
            return message(lambda: h.unlock(services, ids, username_of(request)))

        reassign_button.click(reassign_action, [target_ids, target_agent], [queue_action_status], api_name="reassign").then(
            load_queue, [*filters, page], queue_outputs)
        unlock_button.click(unlock_action, [target_ids], [queue_action_status], api_name="unlock").then(
            load_queue, [*filters, page], queue_outputs)

        def export_action(status_ids: list[str], request: gr.Request) -> tuple:
            path, error = safe(lambda: h.export_csv(services, status_ids or (), username_of(request)), None)
            return (path, "已生成导出文件，点文件名下载") if path else (None, error)

        export_button.click(export_action, [statuses], [export_file, queue_action_status], api_name="export")

        def load_approvals(request: gr.Request) -> list[list]:
            rows, error = safe(lambda: h.approval_rows(services, username_of(request)), [])
            return rows if not error else [[error, "", "", "", "", ""]]  # type: ignore[return-value]

        def pick_approval(event: gr.SelectData, request: gr.Request) -> tuple:
            row = getattr(event, "row_value", None) or []
            complaint_id = int(row[0]) if row and str(row[0]).isdigit() else None
            detail, error = safe(lambda: h.approval_detail(services, complaint_id, username_of(request)), "")
            return str(complaint_id or ""), error or detail

        approvals.select(pick_approval, None, [approval_id, approval_detail])

        def decide(approve: bool):  # noqa: ANN202
            def run(complaint_id: str | None, text: str, request: gr.Request) -> str:
                return message(lambda: h.decide_approval(services, complaint_id, approve, text, username_of(request)))
            return run

        for button, approve, name in ((grant_button, True, "grant"), (reject_button, False, "reject")):
            button.click(decide(approve), [approval_id, note], [approval_status], api_name=name).then(
                load_approvals, None, [approvals], api_name=f"approvals_after_{name}")

        def import_action(file, request: gr.Request) -> tuple:  # noqa: ANN001
            try:
                return h.bulk_import(services, file, username_of(request))
            except h.UIError as error:
                return f"⚠ {error}", []

        import_button.click(import_action, [upload], [import_summary, import_errors], api_name="import").then(
            load_queue, [*filters, page], queue_outputs)

        def dashboard(request: gr.Request) -> tuple:
            data, error = safe(lambda: h.dashboard(services, username_of(request)), None)
            if data is None:
                return (gr.update(),) * 6 + (error,)
            return (figures.volume_by_topic(data), [[name, now, before] for name, now, before in data.trend],  # type: ignore[attr-defined]
                    figures.top_causes(data), figures.sla_breaches(data), figures.draft_edits(data),
                    figures.anger_distribution(data), f"近 90 天共 {data.total} 条投诉，更新于 {h.now_label(services)}")  # type: ignore[attr-defined]

        dashboard_outputs = [volume_plot, trend, causes_plot, sla_plot, edits_plot, anger_plot, dashboard_status]
        dashboard_button.click(dashboard, outputs=dashboard_outputs, api_name="dashboard")
        dashboard_tab.select(dashboard, outputs=dashboard_outputs)

        def on_load(request: gr.Request) -> tuple:
            username = username_of(request)
            names = h.agents(services, username)
            return who_html(services, username), notice_html(services, username), gr.update(choices=names), \
                gr.update(choices=names)

        app.load(on_load, outputs=[who, notice, agent, target_agent]).then(
            load_queue, [*filters, page], queue_outputs).then(load_approvals, None, [approvals]).then(
            dashboard, outputs=dashboard_outputs)
    return app

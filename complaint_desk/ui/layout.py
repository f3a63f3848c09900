"""The Gradio app: agent workbench, supervisor queue, dashboard. Thin wiring over handlers.

User-supplied text (complaints, drafts, case texts) only ever goes into Textbox,
HighlightedText and plain-string Dataframe cells, which render text literally: a
complaint containing `<script>` or a markdown image link shows as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import gradio as gr

from complaint_desk import vocab
from complaint_desk.domain import QUEUE_STATUSES, STATUS_NAMES
from complaint_desk.services import Services
from complaint_desk.ui import figures
from complaint_desk.ui import handlers as h

CSS = """
.gradio-container {max-width: 1340px !important}
#complaint-text textarea, #draft-editor textarea {font-size: 15px; line-height: 1.7}
"""
TOPIC_CHOICES = [(t.name, t.id) for t in vocab.TOPICS]
PRIORITY_CHOICES = [(f"{p.id} {p.name}", p.id) for p in vocab.PRIORITIES]
STATUS_CHOICES = [(name, status) for status, name in STATUS_NAMES.items()]
REMEDY_CHOICES = [("按相似案例惯例", "")] + [(r.name, r.id) for r in vocab.REMEDIES]
OUTCOME_CHOICES = [(o.name, o.id) for o in vocab.OUTCOMES]


def _user(request: gr.Request) -> str:
    return getattr(request, "username", None) or ""


def _safe(call: Callable[[], object], fallback: object) -> tuple[object, str]:
    """(result, message): a UIError becomes the message shown to the user."""
    try:
        return call(), ""
    except h.UIError as error:
        return fallback, f"⚠ {error}"


def _message(call: Callable[[], str]) -> str:
    """An action's result line, or its error in the same place."""
    result, error = _safe(call, None)
    return error or str(result)


def build_app(services: Services) -> gr.Blocks:
    with gr.Blocks(title="投诉工作台") as app:
        current = gr.State(None)
        with gr.Row():
            gr.Markdown("## 投诉工作台　先处理心情，再处理事情")
            who = gr.Textbox(label="当前用户", interactive=False, scale=0, min_width=220)
            gr.Button("退出登录", link="/logout", scale=0, min_width=100, elem_id="logout-button")
        notice = gr.Textbox(label="系统状态", interactive=False, elem_id="system-notice")
        with gr.Tabs():
            with gr.Tab("坐席工作台", id="workbench"):
                with gr.Row():
                    next_button = gr.Button("下一条", variant="primary", elem_id="next-button", scale=0)
                    open_id = gr.Number(label="投诉编号", value=None, precision=0, scale=0, min_width=140, elem_id="open-id")
                    open_button = gr.Button("打开", scale=0, elem_id="open-button")
                    release_button = gr.Button("释放回队列", scale=0)
                    action_status = gr.Textbox(label="操作结果", interactive=False, elem_id="action-status", scale=3)
                with gr.Row():
                    with gr.Column(scale=5):
                        meta = gr.Textbox(label="投诉信息", interactive=False, elem_id="complaint-meta")
                        complaint_text = gr.Textbox(label="投诉原文", interactive=False, lines=5, max_lines=12,
                                                    elem_id="complaint-text")
                        triage = gr.Textbox(label="分诊与优先级原因", interactive=False, lines=3, elem_id="triage-box")
                        flags = gr.HighlightedText(label="风险信号（高亮原文）", elem_id="flag-spans", combine_adjacent=False)
                    with gr.Column(scale=6):
                        precedent = gr.Textbox(label="处理惯例", interactive=False, elem_id="precedent")
                        similar = gr.Dataframe(headers=h.SIMILAR_HEADERS, datatype="str", label="相似的已解决案例",
                                               interactive=False, wrap=True, elem_id="similar-cases", max_height=300)
                with gr.Row():
                    hint = gr.Textbox(label="补充情况（可选，如“已查到包裹在驿站”）", scale=4, elem_id="hint")
                    generate_button = gr.Button("生成草稿", variant="primary", scale=1, elem_id="generate-button")
                draft_status = gr.Textbox(label="草稿状态", interactive=False, elem_id="draft-status")
                with gr.Row():
                    with gr.Column(scale=6):
                        draft = gr.Textbox(label="回复草稿（可直接修改，检查实时更新）", lines=10, max_lines=24,
                                           interactive=True, elem_id="draft-editor",
                                           max_length=services.settings.guard.max_reply_chars)
                    with gr.Column(scale=5):
                        check_status = gr.Textbox(label="检查结果", interactive=False, elem_id="check-status")
                        check_spans = gr.HighlightedText(label="违规位置", elem_id="violation-spans", combine_adjacent=False)
                        violations = gr.Dataframe(headers=h.VIOLATION_HEADERS, datatype="str", label="问题与建议改法",
                                                  interactive=False, wrap=True, elem_id="violations", max_height=260)
                with gr.Row():
                    approve_button = gr.Button("批准发送", variant="primary", elem_id="approve-button")
                    remedy = gr.Dropdown(REMEDY_CHOICES, value="", label="处理方式", scale=1)
                    outcome = gr.Dropdown(OUTCOME_CHOICES, value="satisfied", label="结果", scale=1)
                    root_cause = gr.Textbox(label="问题原因（写入案例库）", scale=2)
                    resolve_button = gr.Button("结案并加入案例库", elem_id="resolve-button")
                history = gr.Dataframe(headers=h.DRAFT_HEADERS, datatype="str", label="草稿版本（AI 草稿、修改、发送都会保留）",
                                       interactive=False, wrap=True, max_height=220)

            with gr.Tab("主管队列", id="queue") as queue_tab:
                with gr.Row():
                    topics = gr.Dropdown(TOPIC_CHOICES, multiselect=True, label="主题")
                    priorities = gr.Dropdown(PRIORITY_CHOICES, multiselect=True, label="优先级")
                    statuses = gr.Dropdown(STATUS_CHOICES, multiselect=True, value=list(QUEUE_STATUSES),
                                           label="状态")
                    agent = gr.Dropdown([], label="处理人", allow_custom_value=True)
                    date_from = gr.Textbox(label="起始日期", placeholder="2026-11-01")
                    date_to = gr.Textbox(label="截止日期", placeholder="2026-11-30")
                    refresh = gr.Button("刷新", elem_id="queue-refresh", scale=0)
                queue_status = gr.Textbox(label="队列状态", interactive=False, elem_id="queue-status")
                queue = gr.Dataframe(headers=h.QUEUE_HEADERS, datatype="str", label="投诉队列（按优先级和 SLA 排序）",
                                     interactive=False, wrap=True, elem_id="queue-table", max_height=520)
                with gr.Row():
                    target_id = gr.Number(label="投诉编号", value=None, precision=0, elem_id="target-id")
                    target_agent = gr.Dropdown([], label="分配给", allow_custom_value=True)
                    reassign_button = gr.Button("重新分配")
                    unlock_button = gr.Button("解除锁定")
                    escalated_button = gr.Button("批准待审补偿", variant="primary")
                queue_action_status = gr.Textbox(label="操作结果", interactive=False, elem_id="queue-action-status")
                with gr.Row():
                    upload = gr.File(label="批量导入（CSV / JSONL / Excel）", file_types=[".csv", ".jsonl", ".xlsx"])
                    with gr.Column():
                        import_button = gr.Button("导入并分诊")
                        import_summary = gr.Textbox(label="导入结果", interactive=False)
                import_errors = gr.Dataframe(headers=["行号", "列", "问题"], datatype="str", label="有问题的行",
                                             interactive=False)

            with gr.Tab("看板", id="dashboard") as dashboard_tab:
                dashboard_button = gr.Button("刷新看板", scale=0)
                with gr.Row():
                    volume_plot = gr.Plot(label="每日投诉量")
                    anger_plot = gr.Plot(label="怒气分布")
                with gr.Row():
                    causes_plot = gr.Plot(label="TOP5 原因")
                    sla_plot = gr.Plot(label="SLA 超时")
                    edits_plot = gr.Plot(label="回复来源")
                root_causes = gr.Dataframe(headers=["已结案件的问题原因", "件数"], datatype="str", interactive=False)

        complaint_outputs = [current, meta, complaint_text, triage, flags, similar, precedent, history, draft, action_status]

        def show(complaint_id: int | None, request: gr.Request) -> list:
            view, message = _safe(lambda: h.open_complaint(services, complaint_id, _user(request)), None)
            if view is None:
                return [gr.update()] * (len(complaint_outputs) - 1) + [message]
            return [view.complaint_id, view.meta, view.text, view.triage, view.flags, view.similar, view.precedent,
                    view.drafts, view.draft, f"已打开投诉 {view.complaint_id}"]

        def take_next(request: gr.Request) -> list:
            complaint_id, message = _safe(lambda: h.take_next(services, _user(request)), None)
            if complaint_id is None:
                return [gr.update()] * (len(complaint_outputs) - 1) + [message]
            return show(complaint_id, request)

        def write(complaint_id: int | None, hint_text: str, request: gr.Request) -> Iterator[tuple[str, str]]:
            try:
                yield from h.generate(services, complaint_id, _user(request), hint_text)
            except h.UIError as error:
                yield gr.update(), f"⚠ {error}"

        def check(complaint_id: int | None, text: str, request: gr.Request) -> tuple:
            try:
                return h.live_check(services, complaint_id, text or "", _user(request))
            except h.UIError as error:
                return [], [], f"⚠ {error}"

        def approve_action(complaint_id: int | None, text: str, request: gr.Request) -> str:
            return _message(lambda: h.approve(services, complaint_id, text or "", _user(request)))

        def resolve_action(complaint_id, remedy_id, outcome_id, cause, request: gr.Request) -> str:  # noqa: ANN001
            return _message(lambda: h.resolve(services, complaint_id, _user(request), remedy_id, outcome_id, cause or ""))

        def release_action(complaint_id: int | None, request: gr.Request) -> str:
            return _message(lambda: h.release(services, complaint_id, _user(request)))

        next_button.click(take_next, outputs=complaint_outputs).then(check, [current, draft], [check_spans, violations, check_status])
        open_button.click(show, [open_id], complaint_outputs).then(check, [current, draft], [check_spans, violations, check_status])
        release_button.click(release_action, [current], [action_status])
        def versions(complaint_id: int | None, request: gr.Request) -> list[list]:
            rows, _message = _safe(lambda: h.draft_history(services, complaint_id, _user(request)), gr.update())
            return rows

        generate_button.click(write, [current, hint], [draft, draft_status]).then(
            check, [current, draft], [check_spans, violations, check_status]).then(versions, [current], [history])
        draft.input(check, [current, draft], [check_spans, violations, check_status], show_progress="hidden")
        approve_button.click(approve_action, [current, draft], [action_status]).then(versions, [current], [history])
        resolve_button.click(resolve_action, [current, remedy, outcome, root_cause], [action_status])

        queue_inputs = [topics, priorities, statuses, agent, date_from, date_to]

        def load_queue(topic_ids, priority_ids, status_ids, agent_name, start, end, request: gr.Request) -> tuple:  # noqa: ANN001
            try:
                rows = h.queue_rows(services, _user(request), topic_ids or (), priority_ids or (), status_ids or (),
                                    agent_name or None, start, end)
                return rows, f"共 {len(rows)} 条，更新于 {h.now_label(services)}"
            except h.UIError as error:
                return gr.update(), f"⚠ {error}"

        refresh.click(load_queue, queue_inputs, [queue, queue_status])

        def reassign_action(complaint_id: int | None, target: str | None, request: gr.Request) -> str:
            return _message(lambda: h.reassign(services, complaint_id, target, _user(request)))

        def unlock_action(complaint_id: int | None, request: gr.Request) -> str:
            return _message(lambda: h.release(services, complaint_id, _user(request)))

        def escalated_action(complaint_id: int | None, request: gr.Request) -> str:
            return _message(lambda: h.approve_escalated(services, complaint_id, _user(request)))

        for button, action, inputs in ((reassign_button, reassign_action, [target_id, target_agent]),
                                       (unlock_button, unlock_action, [target_id]),
                                       (escalated_button, escalated_action, [target_id])):
            button.click(action, inputs, [queue_action_status]).then(load_queue, queue_inputs, [queue, queue_status])

        def import_action(file, request: gr.Request) -> tuple:  # noqa: ANN001
            try:
                summary, errors = h.bulk_import(services, file, _user(request))
                return summary, errors
            except h.UIError as error:
                return f"⚠ {error}", []

        import_button.click(import_action, [upload], [import_summary, import_errors]).then(
            load_queue, queue_inputs, [queue, queue_status])

        def dashboard(request: gr.Request) -> tuple:
            data, message = _safe(lambda: h.dashboard(services, _user(request)), None)
            if data is None:
                return (gr.update(),) * 5 + ([[message, ""]],)
            return (figures.volume_by_topic(data), figures.anger_distribution(data), figures.top_causes(data),
                    figures.sla_breaches(data), figures.draft_edits(data), [[c, n] for c, n in data.top_root_causes])

        dashboard_outputs = [volume_plot, anger_plot, causes_plot, sla_plot, edits_plot, root_causes]
        dashboard_button.click(dashboard, outputs=dashboard_outputs)

        def on_load(request: gr.Request) -> tuple:
            username = _user(request)
            user, _error = _safe(lambda: h.actor(services, username), None)
            role = user.role if user else "agent"
            supervisor = role in ("supervisor", "admin")
            names = h.agents(services, username) if user else []
            label = f"{user.display_name}（{vocab.ROLE_NAMES[role]}）" if user else username
            return (label, h.backend_notice(services), gr.update(visible=supervisor), gr.update(visible=supervisor),
                    gr.update(choices=names), gr.update(choices=names))

        app.load(on_load, outputs=[who, notice, queue_tab, dashboard_tab, agent, target_agent]).then(
            load_queue, queue_inputs, [queue, queue_status])
    return app

"""The agent's workbench (坐席工作台): one screen at 1366×768 for the main loop.

Left: 下一条 / 打开 / 释放, 我的投诉 and the complaints waiting. Centre: the complaint with
its risk signals highlighted, the SLA clock and why it has its priority. Right: the
approval state and similar resolved cases as cards. Bottom: the draft editor with the
live check beside it, and 批准发送 with its result next to it. Approval requests,
resolving and the history sit below the fold.
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from complaint_desk import vocab
from complaint_desk.services import Services
from complaint_desk.ui import handlers as h
from complaint_desk.ui.common import (
    SHORTCUT_HELP,
    header,
    message,
    notice_html,
    safe,
    system_notice,
    username_of,
    who_html,
)

REMEDY_CHOICES = [("按相似案例惯例", "")] + [(r.name, r.id) for r in vocab.REMEDIES]
OUTCOME_CHOICES = [(o.name, o.id) for o in vocab.OUTCOMES]


def _row_id(event: gr.SelectData) -> int | None:
    """The complaint id of a clicked list row (its first cell reads '43 · P1')."""
    row = getattr(event, "row_value", None) or []
    first = str(row[0]).split(" ")[0] if row else ""
    return int(first) if first.isdigit() else None


def edited(plan: str | None, proposed: str | None) -> str | None:
    """The plan the agent wrote, or None where it is still the one the program proposed (which
    is then proposed afresh: with the current notes and any approval since)."""
    return plan if plan and plan.strip() != (proposed or "").strip() else None


def build_workbench(services: Services) -> gr.Blocks:
    debounce_ms = services.settings.ui.check_debounce_ms
    limit = services.settings.policy.max_compensation_without_approval
    with gr.Blocks(title="坐席工作台 · 投诉工作台", fill_width=True) as app:
        current = gr.State(None)
        who, lead_link = header("投诉工作台", ("主管台", "/lead/"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=250):
                with gr.Row():
                    next_button = gr.Button("下一条 (Alt+N)", variant="primary", elem_id="next-button", size="sm",
                                            min_width=100)
                    release_button = gr.Button("释放 (Alt+R)", elem_id="release-button", size="sm", min_width=90)
                with gr.Row(equal_height=True):
                    open_id = gr.Number(show_label=False, placeholder="投诉编号", precision=0, elem_id="open-id",
                                        container=False, scale=2, min_width=80)
                    open_button = gr.Button("打开", elem_id="open-button", size="sm", scale=1, min_width=60)
                nav_status = gr.Textbox(show_label=False, interactive=False, elem_id="action-status", container=False,
                                        placeholder="下一条、打开、释放的结果显示在这里")
                with gr.Tabs():
                    with gr.Tab("我的投诉", id="mine"):
                        mine = gr.Dataframe(headers=h.MINE_HEADERS, datatype="str", show_label=False,
                                            interactive=False, elem_id="my-complaints", max_height=150)
                    with gr.Tab("待领取", id="waiting"):
                        waiting = gr.Dataframe(headers=h.WAITING_HEADERS, datatype="str", show_label=False,
                                               interactive=False, elem_id="waiting-list", max_height=150)
                notice = system_notice()
                gr.Markdown(SHORTCUT_HELP, elem_classes="cd-help")
                with gr.Accordion(f"补偿超过 {limit:g} 元？提交主管审批", open=False, elem_id="approval-panel"):
                    with gr.Column():
                        amount = gr.Textbox(label="申请补偿金额（元）", placeholder="例如 300", elem_id="approval-amount",
                                            scale=1)
                        reason = gr.Textbox(label="申请理由（主管据此判断）", elem_id="approval-reason", scale=3)
                        request_button = gr.Button("提交主管审批", elem_id="request-approval-button", scale=1)
                    request_status = gr.Textbox(show_label=False, interactive=False, elem_id="request-approval-status",
                                                container=False)
                with gr.Accordion("结案并加入案例库（回复发送后）", open=False, elem_id="resolve-panel"):
                    with gr.Column():
                        remedy = gr.Dropdown(REMEDY_CHOICES, value="", label="处理方式", scale=1)
                        outcome = gr.Dropdown(OUTCOME_CHOICES, value="satisfied", label="结果", scale=1)
                        root_cause = gr.Dropdown([], label="问题原因（选已有的或直接输入新的）", allow_custom_value=True, scale=2,
                                                 elem_id="root-cause")
                        resolve_button = gr.Button("结案", elem_id="resolve-button", scale=1)
                    resolve_status = gr.Textbox(show_label=False, interactive=False, elem_id="resolve-status", container=False)
            with gr.Column(scale=12):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=5, min_width=380):
                        complaint_header = gr.HTML('<div class="cd-empty">点「下一条」领取最紧急的投诉</div>',
                                                   elem_id="complaint-header", padding=False)
                        flags = gr.HighlightedText(show_label=False, elem_id="complaint-text", combine_adjacent=False,
                                                   show_legend=False)
                        triage = gr.HTML("", elem_id="triage-box", padding=False)
                    with gr.Column(scale=4, min_width=320):
                        approval = gr.HTML("", elem_id="approval-box", padding=False)
                        cards = gr.HTML('<div class="cd-empty">打开投诉后显示相似的已解决案例</div>', elem_id="similar-cases",
                                        padding=False)
                        precedent = gr.HTML("", elem_id="precedent", padding=False)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=6, min_width=420):
                        with gr.Row(equal_height=True):
                            hint = gr.Textbox(show_label=False, placeholder="补充情况（会写进草稿；已经做了的事写在这里）",
                                              elem_id="hint", container=False, scale=3)
                            generate_button = gr.Button("生成草稿 (Alt+G)", variant="primary", elem_id="generate-button",
                                                        size="sm", scale=1, min_width=120)
                            draft_status = gr.Textbox(show_label=False, interactive=False, elem_id="draft-status",
                                                      container=False, placeholder="草稿状态", scale=3)
                        # the plan shares the editor's place: what to say, then how it was said
                        with gr.Tabs(selected="draft-tab", elem_id="draft-tabs") as tabs:
                            with gr.Tab("回复草稿", id="draft-tab"):
                                draft = gr.Textbox(show_label=False, lines=6, max_lines=6, interactive=True,
                                                   elem_id="draft-editor", container=False,
                                                   placeholder="生成的草稿显示在这里，可直接修改；右侧检查随输入更新",
                                                   max_length=services.settings.guard.max_reply_chars)
                            with gr.Tab("回复要点（程序拟定，可改）", id="plan-tab", elem_id="plan-tab"):
                                plan = gr.Textbox(show_label=False, lines=5, max_lines=5, interactive=True,
                                                  elem_id="plan", container=False,
                                                  placeholder="打开投诉后显示；每行「标签：内容」，如「方案：补发一份饮料」；"
                                                              "生成草稿时照此写")
                                replan_button = gr.Button("按补充情况重拟要点", size="sm", elem_id="replan-button")
                        with gr.Row(equal_height=True):
                            approve_button = gr.Button("批准发送 (Alt+S)", variant="primary", elem_id="approve-button",
                                                       size="sm", scale=1, min_width=130)
                            approve_status = gr.Textbox(show_label=False, interactive=False, elem_id="approve-status",
                                                        container=False, scale=4, placeholder="批准发送的结果显示在这里")
                    with gr.Column(scale=5, min_width=360):
                        check_status = gr.Textbox(label="检查结果", interactive=False, elem_id="check-status")
                        check_spans = gr.HighlightedText(label="违规位置", elem_id="violation-spans", combine_adjacent=False,
                                                         show_legend=False)
                        violations = gr.Dataframe(headers=h.VIOLATION_HEADERS, datatype="str", label="问题与建议改法",
                                                  interactive=False, wrap=True, elem_id="violations", max_height=180,
                                                  column_widths=["16%", "16%", "34%", "34%"])
                        with gr.Row(equal_height=True):
                            fix_button = gr.Button("采用建议改法 (Alt+F)", elem_id="fix-button", size="sm", scale=1)
                            fix_status = gr.Textbox(show_label=False, interactive=False, elem_id="fix-status", container=False,
                                                    scale=2)
        with gr.Accordion("草稿版本与操作记录", open=False):
            history = gr.Dataframe(headers=h.DRAFT_HEADERS, datatype="str", label="草稿版本（AI 草稿、修改、发送都会保留）",
                                   interactive=False, wrap=True, max_height=220)
            audit = gr.Dataframe(headers=h.AUDIT_HEADERS, datatype="str", label="操作记录", interactive=False, wrap=True,
                                 max_height=220, elem_id="audit-log")
        timer = gr.Timer(services.settings.ui.refresh_seconds)

        proposed = gr.State("")  # the plan as the program last proposed it
        # what an action said about the complaint that was open is not shown beside the next one
        # ("回复已批准并记录为已发送" stayed up after opening another complaint)
        said = [draft_status, approve_status, fix_status, request_status, resolve_status]
        shown = [current, open_id, complaint_header, flags, triage, cards, precedent, approval, history, draft, hint,
                 plan, proposed, *said, nav_status]
        checked = [check_spans, violations, check_status]

        def show(complaint_id: int | None, request: gr.Request) -> list:
            view, error = safe(lambda: h.open_complaint(services, complaint_id, username_of(request)), None)
            if view is None:
                return [gr.update()] * (len(shown) - 1) + [error]
            return [view.complaint_id, view.complaint_id, view.header, view.flags, view.triage, view.cards,  # type: ignore[attr-defined]
                    view.precedent, view.approval, view.drafts, view.draft, view.notes, view.plan,  # type: ignore[attr-defined]
                    view.plan, *[""] * len(said), view.status]  # type: ignore[attr-defined]

        def take_next(request: gr.Request) -> list:
            complaint_id, error = safe(lambda: h.take_next(services, username_of(request)), None)
            if complaint_id is None:
                return [gr.update()] * (len(shown) - 1) + [error]
            return show(complaint_id, request)  # type: ignore[arg-type]

        def lists(request: gr.Request) -> tuple:
            user = username_of(request)
            mine_rows, _ = safe(lambda: h.my_rows(services, user), gr.update())
            waiting_rows, _ = safe(lambda: h.waiting_rows(services, user), gr.update())
            return mine_rows, waiting_rows

        def check(complaint_id: int | None, text: str, notes: str, plan_text: str, proposed_text: str,
                  request: gr.Request) -> tuple:
            try:
                return h.live_check(services, complaint_id, text or "", username_of(request), notes,
                                    edited(plan_text, proposed_text))
            except h.UIError as error:
                return [], [], f"⚠ {error}"

        def refresh(complaint_id: int | None, request: gr.Request) -> tuple:
            """The parts an action changes: header (status), approval state, history, audit."""
            if not complaint_id:
                return (gr.update(),) * 4
            state, _error = safe(lambda: h.complaint_state(services, complaint_id, username_of(request)), None)
            if state is None:
                return (gr.update(),) * 4
            return state.header, state.approval, state.drafts, state.audit  # type: ignore[attr-defined]

        refreshed = [complaint_header, approval, history, audit]
        # what a check, a fix and an approval read; the plan counts only where the agent changed it
        # (the one proposed at opening would otherwise freeze, e.g. before a supervisor's approval)
        drafted = [current, draft, hint, plan, proposed]

        def after(event: gr.events.Dependency, *steps: str) -> None:
            """Chain the usual follow-ups onto an action: re-check, refresh, lists."""
            for step in steps:
                if step == "check":
                    event = event.then(check, drafted, checked, show_progress="hidden")
                elif step == "refresh":
                    event = event.then(refresh, [current], refreshed, show_progress="hidden")
                elif step == "lists":
                    event = event.then(lists, None, [mine, waiting], show_progress="hidden")

        after(next_button.click(take_next, outputs=shown), "check", "refresh", "lists")
        after(open_button.click(show, [open_id], shown), "check", "refresh", "lists")

        def open_row(event: gr.SelectData, request: gr.Request) -> list:
            return show(_row_id(event), request)

        after(mine.select(open_row, None, shown), "check", "refresh", "lists")
        after(waiting.select(open_row, None, shown), "check", "refresh", "lists")

        def release_action(complaint_id: int | None, request: gr.Request) -> str:
            return message(lambda: h.release(services, complaint_id, username_of(request)))

        after(release_button.click(release_action, [current], [nav_status]), "refresh", "lists")

        def write(complaint_id: int | None, hint_text: str, plan_text: str, proposed_text: str,
                  request: gr.Request) -> Iterator[tuple[str, str]]:
            try:
                yield from h.generate(services, complaint_id, username_of(request), hint_text,
                                      edited(plan_text, proposed_text))
            except h.UIError as error:
                yield gr.update(), f"⚠ {error}"

        generated = generate_button.click(lambda: gr.Tabs(selected="draft-tab"), None, tabs, show_progress="hidden")
        after(generated.then(write, [current, hint, plan, proposed], [draft, draft_status]), "check", "refresh")

        def replan(complaint_id: int | None, notes: str, request: gr.Request) -> tuple:
            text, error = safe(lambda: h.propose_plan(services, complaint_id, username_of(request), notes), None)
            return (gr.update(), gr.update(), error) if text is None else (text, text, "回复要点已按补充情况重拟")

        replan_button.click(replan, [current, hint], [plan, proposed, draft_status])
        # every change of the text (typing, IME commit, paste, delete, undo, a generated or fixed
        # draft) re-checks after a pause; only the last of a burst runs
        pause = (f"(...inputs) => new Promise((done) => setTimeout(() => done(inputs), {debounce_ms}))")
        for source in (draft, hint, plan):  # the notes and the plan decide what the draft may state
            source.change(check, drafted, checked, show_progress="hidden", trigger_mode="always_last", js=pause)

        def fix_action(complaint_id: int | None, text: str, notes: str, plan_text: str, proposed_text: str,
                       request: gr.Request) -> tuple:
            fixed, error = safe(lambda: h.suggest_fix(services, complaint_id, text or "", username_of(request), notes,
                                                      edited(plan_text, proposed_text)), None)
            if fixed is None:
                return gr.update(), error
            return fixed, "已按建议改好，请通读后再批准" if fixed != text else "没有可以自动改的地方，请按建议手动修改"

        fix_button.click(fix_action, drafted, [draft, fix_status])

        def approve_action(complaint_id: int | None, text: str, notes: str, plan_text: str, proposed_text: str,
                           request: gr.Request) -> str:
            return message(lambda: h.approve(services, complaint_id, text or "", username_of(request), notes,
                                             edited(plan_text, proposed_text)))

        after(approve_button.click(approve_action, drafted, [approve_status]), "refresh", "lists")

        def request_action(complaint_id: int | None, value: str | None, why: str, text: str,
                           request: gr.Request) -> str:
            return message(lambda: h.request_approval(services, complaint_id, value, why, text, username_of(request)))

        after(request_button.click(request_action, [current, amount, reason, draft], [request_status]),
              "refresh", "lists")

        def resolve_action(complaint_id, remedy_id, outcome_id, cause, request: gr.Request) -> str:  # noqa: ANN001
            return message(lambda: h.resolve(services, complaint_id, username_of(request), remedy_id, outcome_id,
                                             cause or ""))

        after(resolve_button.click(resolve_action, [current, remedy, outcome, root_cause], [resolve_status]),
              "refresh", "lists")

        def on_load(request: gr.Request) -> tuple:
            username = username_of(request)
            user, _error = safe(lambda: h.actor(services, username), None)
            lead = user is not None and user.role in ("supervisor", "admin")  # type: ignore[attr-defined]
            link = gr.update(visible=lead) if lead_link is not None else gr.update()
            return (who_html(services, username), notice_html(services, username), link,
                    gr.update(choices=h.causes(services)))

        after(app.load(on_load, outputs=[who, notice, lead_link, root_cause]), "lists")
        after(timer.tick(lambda: None, None, None, show_progress="hidden"), "refresh", "lists")
    return app

"""What both screens share: the request's user, turning errors into messages, the header,
the styling and the keyboard shortcuts.

User-supplied text (complaints, drafts, case texts, names) only ever goes into Textbox,
HighlightedText and plain-string Dataframe cells, which render text literally, or through
`html.escape` in cards.py: a complaint containing `<script>` or a markdown image link
shows as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import gradio as gr

from complaint_desk import vocab
from complaint_desk.services import Services
from complaint_desk.ui import handlers as h

# (key, element id, what it does): one table for the listener and for the help line
SHORTCUTS = (
    ("N", "next-button", "下一条"),
    ("G", "generate-button", "生成草稿"),
    ("S", "approve-button", "批准发送"),
    ("R", "release-button", "释放"),
    ("F", "fix-button", "采用建议改法"),
)
SHORTCUT_HELP = "快捷键：" + "　".join(f"Alt+{key} {name}" for key, _id, name in SHORTCUTS)
_KEYS = ", ".join(f'"Key{key}": "{elem}"' for key, elem, _name in SHORTCUTS)
SHORTCUT_SCRIPT = f"""<script>
document.addEventListener("keydown", (event) => {{
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const target = {{{_KEYS}}}[event.code];
  const button = target && document.getElementById(target);
  if (button && !button.disabled) {{ event.preventDefault(); button.click(); }}
}});
</script>"""

CSS = """
.gradio-container {max-width: 100% !important; padding: 6px 14px !important}
.cd-top {align-items: center; gap: 8px}
.cd-title {font-size: 18px; font-weight: 600; white-space: nowrap}
.cd-who {white-space: nowrap; color: #444}
.cd-help {font-size: 12px; color: #666}
#system-notice {font-size: 12px; color: #555}
.cd-top {min-height: 0 !important; padding: 0 !important}
.cd-top .cd-title, .cd-top .cd-who {line-height: 32px}
#precedent .cd-note {white-space: nowrap; overflow: hidden; text-overflow: ellipsis}
.cd-triage {font-size: 13px; line-height: 1.6; padding: 4px 8px; background: #f9fafb; border-radius: 6px}
.cd-scroll {overflow-y: auto}
.cd-cards {max-height: 160px; overflow-y: auto; padding-right: 4px}
#complaint-text {max-height: 135px; overflow-y: auto}
#violation-spans {max-height: 120px; overflow-y: auto}
#triage-box textarea, #precedent textarea {font-size: 13px}
#draft-editor textarea {font-size: 15px; line-height: 1.6}
.cd-header {font-size: 14px; line-height: 1.6}
.cd-fields {color: #555; font-size: 12px}
.cd-priority {padding: 1px 6px; border-radius: 4px; background: #e5e7eb}
.cd-P1 {background: #fee2e2; color: #991b1b} .cd-P2 {background: #ffedd5; color: #9a3412}
.cd-status {padding: 1px 6px; border-radius: 4px; background: #eef2ff; color: #3730a3}
.cd-sla {padding: 1px 6px; border-radius: 4px; font-weight: 600}
.cd-sla-ok {background: #dcfce7; color: #166534} .cd-sla-soon {background: #fef9c3; color: #854d0e}
.cd-sla-late {background: #fee2e2; color: #991b1b}
.cd-tag {font-size: 12px; color: #92400e; background: #fef3c7; padding: 1px 5px; border-radius: 4px}
.cd-cards {display: flex; flex-direction: column; gap: 8px}
.cd-card {border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; font-size: 13px; line-height: 1.55}
.cd-why {font-weight: 600; color: #1d4ed8; margin-bottom: 3px}
.cd-case-complaint {color: #111}
.cd-k {color: #6b7280; margin-right: 6px}
.cd-reply {white-space: pre-wrap; background: #f9fafb; padding: 6px; border-radius: 6px}
.cd-meta {color: #9ca3af; font-size: 12px}
.cd-note {font-size: 13px; padding: 6px 8px; border-radius: 6px; background: #f3f4f6}
.cd-approval-approved {background: #dcfce7} .cd-approval-rejected {background: #fee2e2}
.cd-approval-pending {background: #fef9c3}
.cd-empty {color: #6b7280; font-size: 13px}
"""

TOPIC_CHOICES = [(t.name, t.id) for t in vocab.TOPICS]
PRIORITY_CHOICES = [(f"{p.id} {p.name}", p.id) for p in vocab.PRIORITIES]


def username_of(request: gr.Request) -> str:
    return getattr(request, "username", None) or ""


def safe(call: Callable[[], object], fallback: object) -> tuple[object, str]:
    """(result, message): a UIError becomes the message shown to the user."""
    try:
        return call(), ""
    except h.UIError as error:
        return fallback, f"⚠ {error}"


def message(call: Callable[[], str]) -> str:
    """An action's result line, or its error in the same place."""
    result, error = safe(call, None)
    return error or str(result)


def who_html(services: Services, username: str) -> str:
    user, _error = safe(lambda: h.actor(services, username), None)
    if user is None:
        return ""
    return f'<span class="cd-who">{escape(user.display_name)}（{vocab.ROLE_NAMES[user.role]}）</span>'  # type: ignore[attr-defined]


def notice_html(services: Services, username: str) -> str:
    return f"<span>{escape(h.backend_notice(services, username))}</span>"


def header(title: str, other: tuple[str, str] | None) -> tuple[gr.HTML, gr.Button | None]:
    """Title, who is signed in, a link to the other screen (where the role has one) and 退出登录."""
    with gr.Row(elem_classes="cd-top", equal_height=True):
        gr.HTML(f'<span class="cd-title">{title}</span>', padding=False)
        who = gr.HTML("", elem_id="who", padding=False)
        link = None
        if other is not None:
            link = gr.Button(other[0], link=other[1], scale=0, min_width=100, size="sm", elem_id="switch-screen",
                             visible=False)
        gr.Button("退出登录", link="/logout", scale=0, min_width=90, size="sm", elem_id="logout-button")
    return who, link


def system_notice() -> gr.HTML:
    """How drafts are written now, in plain words (filled in on load)."""
    return gr.HTML("", elem_id="system-notice", padding=False)

"""Dashboard figures (matplotlib, Chinese fonts)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from complaint_desk import vocab  # noqa: E402
from complaint_desk.workflow.dashboard import DashboardData  # noqa: E402

CJK_FAMILIES = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei"]


def _register_cjk_fonts() -> None:
    """matplotlib caches the system's fonts on its first run: a CJK font installed after that is
    not seen, and every Chinese label draws as boxes. Add such fonts from disk when the cache
    has none of them."""
    if {f.name for f in font_manager.fontManager.ttflist} & set(CJK_FAMILIES):
        return
    for path in font_manager.findSystemFonts():
        if any(mark in path for mark in ("CJK", "cjk", "wqy", "WenQuanYi")):
            font_manager.fontManager.addfont(path)


_register_cjk_fonts()
plt.rcParams["font.sans-serif"] = [*CJK_FAMILIES, "DejaVu Sans"]
plt.rcParams["axes.unicode_minus"] = False


def _figure(width: float = 6.0, height: float = 3.2) -> tuple[Figure, plt.Axes]:
    # a Figure outside pyplot's registry is freed once the page has it (pyplot keeps every one)
    figure = Figure(figsize=(width, height))
    axis = figure.add_subplot()
    axis.yaxis.get_major_locator().set_params(integer=True)  # counts: no 0.5 ticks
    return figure, axis


def volume_by_topic(data: DashboardData) -> Figure:
    figure, axis = _figure(7.5, 3.4)
    labels = [d.strftime("%m-%d") for d in data.days]
    bottom = [0] * len(labels)
    for topic in vocab.TOPIC_IDS:
        counts = data.volume[topic]
        if any(counts):
            axis.bar(labels, counts, bottom=bottom, label=vocab.TOPIC_NAMES[topic])
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axis.set_title("每日投诉量（按主题）")
    axis.tick_params(axis="x", rotation=45, labelsize=8)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    figure.tight_layout()
    return figure


def anger_distribution(data: DashboardData) -> Figure:
    figure, axis = _figure(4.5, 3.0)
    levels = list(range(4))
    axis.bar([vocab.ANGER_NAMES[a] for a in levels], [data.anger.get(a, 0) for a in levels],
             color=["#60a5fa", "#fbbf24", "#f97316", "#dc2626"])
    axis.set_title("怒气分布")
    figure.tight_layout()
    return figure


def _empty(axis: plt.Axes, message: str) -> None:
    axis.text(0.5, 0.5, message, ha="center", va="center", color="#666")
    axis.axis("off")


def _labelled_bars(axis: plt.Axes, names: list[str], counts: list[int], labels: list[str], color: str) -> None:
    """Horizontal bars with their value written at the end: no labels to overprint."""
    axis.barh(names, counts, color=color)
    for index, (count, label) in enumerate(zip(counts, labels, strict=True)):
        axis.text(count, index, f" {label}", va="center", fontsize=8)
    axis.set_xlim(0, max(counts) * 1.3 or 1)
    axis.xaxis.get_major_locator().set_params(integer=True)


def top_causes(data: DashboardData) -> Figure:
    figure, axis = _figure(4.8, 3.0)
    axis.set_title("近 90 天 TOP5 问题原因（结案时填写）")
    if not data.top_causes:
        _empty(axis, "还没有填写原因的结案\n（结案时选择或填写“问题原因”）")
        return figure
    rows = data.top_causes[::-1]
    names = [name if len(name) <= 12 else name[:12] + "…" for name, _count, _share in rows]
    _labelled_bars(axis, names, [n for _name, n, _share in rows], [f"{n} 件 {share:.0%}" for _name, n, share in rows],
                   "#3b82f6")
    figure.tight_layout()
    return figure


def sla_breaches(data: DashboardData) -> Figure:
    figure, axis = _figure(4.8, 3.0)
    priorities = list(vocab.PRIORITY_IDS)
    open_counts = [data.sla_open_breaches.get(p, 0) for p in priorities]
    late_counts = [data.sla_answered_late.get(p, 0) for p in priorities]
    positions = range(len(priorities))
    axis.bar([p - 0.2 for p in positions], open_counts, width=0.4, label="待处理且已超时", color="#dc2626")
    axis.bar([p + 0.2 for p in positions], late_counts, width=0.4, label="回复时已超时", color="#f59e0b")
    axis.set_xticks(list(positions), priorities)
    axis.set_ylim(bottom=0, top=max(1, *open_counts, *late_counts) * 1.15)
    axis.set_title("SLA 超时")
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def draft_edits(data: DashboardData) -> Figure:
    figure, axis = _figure(4.5, 3.0)
    axis.set_title("已发送回复的来源（AI 草稿修改率）")
    values = [data.drafts_manual, data.drafts_edited, data.drafts_unedited]
    total = sum(values)
    if not total:
        _empty(axis, "还没有已发送的回复")
        return figure
    _labelled_bars(axis, ["人工撰写", "AI 草稿修改后发送", "AI 草稿原样发送"], values,
                   [f"{v} 件 {v / total:.0%}" for v in values], "#10b981")
    figure.tight_layout()
    return figure

"""Dashboard figures (matplotlib, Chinese fonts)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from complaint_desk import vocab  # noqa: E402
from complaint_desk.workflow.dashboard import DashboardData  # noqa: E402

plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "DejaVu Sans"]
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
    axis.legend(fontsize=7, ncol=3)
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


def top_causes(data: DashboardData) -> Figure:
    figure, axis = _figure(4.8, 3.0)
    names = [name for name, _count, _share in data.top_causes][::-1]
    counts = [count for _name, count, _share in data.top_causes][::-1]
    axis.barh(names, counts, color="#3b82f6")
    for index, (_name, count, share) in enumerate(data.top_causes[::-1]):
        axis.text(count, index, f" {share:.0%}", va="center", fontsize=8)
    axis.set_title("近 90 天 TOP5 投诉原因")
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
    values = [data.drafts_unedited, data.drafts_edited, data.drafts_manual]
    labels = ["AI 草稿原样发送", "修改后发送", "人工撰写"]
    if sum(values):
        axis.pie(values, labels=labels, autopct="%1.0f%%", textprops={"fontsize": 8})
    else:
        axis.text(0.5, 0.5, "还没有已发送的回复", ha="center", va="center")
        axis.axis("off")
    axis.set_title("已发送回复的来源")
    figure.tight_layout()
    return figure

"""report.html: a readable eval report — pass rates, plots, and every draft with its
violating spans highlighted and its script moves tagged. All text is escaped."""

from __future__ import annotations

import base64
import html
import io

from complaint_desk import vocab

MOVE_COLOURS = {
    "empathize": "#dbeafe", "apologize": "#fce7f3", "clarify": "#e5e7eb", "solve": "#dcfce7",
    "consult": "#fef9c3", "follow_up": "#ede9fe", "thank": "#ffedd5",
}
STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#111;max-width:1100px}
h1{font-size:22px} h2{font-size:18px;margin-top:28px} table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:left} .case{border:1px solid #ddd;
padding:10px;margin:12px 0;border-radius:6px} .pass{color:#15803d;font-weight:bold} .fail{color:#b91c1c;
font-weight:bold} mark.v{background:#fecaca;border-bottom:2px solid #b91c1c} .draft{white-space:pre-wrap;
line-height:1.7;background:#fafafa;padding:8px} .chip{display:inline-block;padding:1px 6px;margin:2px;
border-radius:4px;font-size:12px} .meta{color:#555;font-size:12px}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def highlight(text: str, violations: list[dict]) -> str:
    """The draft with each violating span wrapped in <mark> (title = rule and message)."""
    spans = sorted((v for v in violations if v["end"] > v["start"]), key=lambda v: v["start"])
    pieces, cursor = [], 0
    for v in spans:
        if v["start"] < cursor:
            continue
        pieces.append(_esc(text[cursor : v["start"]]))
        title = f"{vocab.RULE_NAMES.get(v['rule'], v['rule'])}：{v['message']}"
        pieces.append(f'<mark class="v" title="{_esc(title)}">{_esc(text[v["start"]:v["end"]])}</mark>')
        cursor = v["end"]
    pieces.append(_esc(text[cursor:]))
    return "".join(pieces)


def moves_html(moves: list[dict]) -> str:
    return "".join(
        f'<span class="chip" style="background:{MOVE_COLOURS.get(m["move"], "#eee")}" title="{_esc(m["text"])}">'
        f'{_esc(vocab.MOVE_NAMES.get(m["move"], m["move"]))}</span>'
        for m in moves
    )


def _bar_chart(title: str, values: dict[str, float | int | None]) -> str:
    """A horizontal bar chart as an inline PNG."""
    from complaint_desk.ui.figures import plt  # Agg, with the Chinese fonts found and set once

    items = [(k, v) for k, v in values.items() if v is not None]
    if not items:
        return ""
    figure, axis = plt.subplots(figsize=(6, 0.35 * len(items) + 0.8))
    axis.barh([k for k, _ in items], [v for _, v in items], color="#3b82f6")
    axis.set_title(title)
    axis.invert_yaxis()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return f'<img alt="{_esc(title)}" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _table(rows: dict[str, object], header: tuple[str, str], empty: str = "（无）") -> str:
    body = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in rows.items()) \
        or f"<tr><td colspan='2'>{_esc(empty)}</td></tr>"
    return f"<table><tr><th>{_esc(header[0])}</th><th>{_esc(header[1])}</th></tr>{body}</table>"


def render_report(report: dict) -> str:
    metrics = report["metrics"]
    config = report["config"]
    rule_names = {r: vocab.RULE_NAMES.get(r, r)
                  for r in (*metrics["raw_violations_by_rule"], *metrics["guarded_violations_by_rule"])}
    parts = [
        f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>评测报告 {_esc(report['suite']['name'])}</title>",
        f"<style>{STYLE}</style><body>",
        f"<h1>评测报告：{_esc(report['suite']['name'])}（v{_esc(report['suite']['version'])}）</h1>",
        f"<p class='meta'>后端 {_esc(config['backend_description'])}；模型 {_esc(config['model'] or '-')}；"
        f"{report['suite']['cases']} 条投诉；complaint desk {_esc(report['versions']['complaint_desk'])}，"
        f"torch {_esc(report['versions']['torch'])}，transformers {_esc(report['versions']['transformers'])}</p>",
        "<h2>主要指标</h2>",
        _table({
            "模型直出即通过全部检查": metrics["raw_pass_rate"],
            "经守护（重写/修复）后通过": metrics["guarded_pass_rate"],
            "需要修复的比例": metrics["repaired_share"],
            "平均生成次数": metrics["mean_attempts"],
            "平均生成耗时（秒/条）": metrics["mean_generation_s"],
            "命中评测集禁止规则的草稿数": metrics["forbidden_hits"],
            "分诊主题准确率（有标注时）": metrics["topic_accuracy"],
        }, ("指标", "数值")),
        "<h2>模型直出的违规（按规则）</h2>",
        _bar_chart("直出违规次数", {rule_names[k]: v for k, v in metrics["raw_violations_by_rule"].items()}),
        _table({f"{k}（{rule_names[k]}）": v for k, v in metrics["raw_violations_by_rule"].items()}, ("规则", "次数"),
               empty="模型直出的草稿没有违规"),
        "<h2>守护后仍未解决的违规（按规则）</h2>",
        _table({f"{k}（{rule_names[k]}）": v for k, v in metrics["guarded_violations_by_rule"].items()}, ("规则", "次数"),
               empty="守护后的草稿全部通过检查"),
        "<h2>直出通过率（按主题 / 客户类型）</h2>",
        _bar_chart("按主题", {vocab.TOPIC_NAMES.get(k, k): v for k, v in metrics["raw_pass_rate_by_topic"].items()}),
        _bar_chart("按客户类型", {vocab.PERSONA_NAMES.get(k, k): v for k, v in metrics["raw_pass_rate_by_persona"].items()}),
        "<h2>逐条结果</h2>",
    ]
    for case in report["cases"]:
        status = "<span class='pass'>通过</span>" if case["passed"] else "<span class='fail'>未通过</span>"
        raw_status = "通过" if case["raw_passed"] else "未通过：" + "、".join(
            sorted({vocab.RULE_NAMES.get(v["rule"], v["rule"]) for v in case["raw_violations"]}))
        parts += [
            "<div class='case'>",
            f"<div class='meta'>{_esc(case['id'])} · 主题 {_esc(vocab.TOPIC_NAMES.get(case['topic'], case['topic']))} · "
            f"情绪 {_esc(vocab.ANGER_NAMES.get(case['anger'], case['anger']))} · "
            f"类型 {_esc(vocab.PERSONA_NAMES.get(case['persona'], case['persona']))} · 生成 {case['attempts']} 次"
            f"{' · 已修复' if case['repaired'] else ''}</div>",
            f"<p><b>投诉</b>：{_esc(case['text'])}</p>",
            f"<p><b>模型直出</b>（{_esc(raw_status)}）</p><div class='draft'>{highlight(case['raw_draft'], case['raw_violations'])}</div>",
            f"<p><b>最终草稿</b> {status}</p><div class='draft'>{highlight(case['draft'], case['violations'])}</div>",
            f"<div>{moves_html(case['moves'])}</div>",
            "</div>",
        ]
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)

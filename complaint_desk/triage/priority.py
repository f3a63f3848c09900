"""Priority, its one-line reason, and the responsible department — all explainable rules.

The score adds up visible parts (anger, each flag, waiting time) so that the reason can
name exactly what raised it. Hard rule from the issue: any media / regulator / legal /
safety flag, or anger 3, is P1 whatever the score.
"""

from __future__ import annotations

from collections.abc import Sequence

from complaint_desk import vocab
from complaint_desk.config import PrioritySettings
from complaint_desk.domain import FlagHit

FLAG_WEIGHTS: dict[str, float] = {
    "media": 0.5,
    "regulator": 0.5,
    "legal": 0.5,
    "safety": 0.5,
    "supervisor": 0.2,
    "repeat": 0.2,
    "vulnerable": 0.2,
    "churn": 0.15,
    "crisis": 0.6,
}
# always P1 (SPEC): whatever the anger score says, these need a person now
P1_FLAGS = frozenset({"media", "regulator", "legal", "safety", "crisis"})
ANGER_WEIGHT = 0.45
WAITING_WEIGHT = 0.15
DEPARTMENT_BY_TOPIC: dict[str, str] = {
    "quality": "quality",
    "delivery": "logistics",
    "service": "cs_management",
    "billing": "finance",
    "refund": "after_sales",
    "account": "tech",
    "misleading": "marketing",
    "inquiry": "customer_service",
    "other": "customer_service",
}
# Flags whose matched words say more than the flag's name ("第三次反映" beats "反复投诉").
SPAN_IN_REASON = frozenset({"repeat"})


def priority_score(anger_score: float, anger: int, flags: Sequence[str], waited_hours: float,
                   settings: PrioritySettings, likely_rage: float | None = None) -> float:
    score = ANGER_WEIGHT * (0.5 * anger_score + 0.5 * anger / 3)
    score += sum(FLAG_WEIGHTS[flag] for flag in set(flags))
    score += WAITING_WEIGHT * min(1.0, max(0.0, waited_hours) / settings.waiting_hours_full_weight)
    if anger == 3 or likely_rage is not None or P1_FLAGS.intersection(flags):
        score = max(score, settings.p1_threshold)
    return round(min(1.0, score), 4)


def priority_level(score: float, settings: PrioritySettings) -> str:
    if score >= settings.p1_threshold:
        return "P1"
    if score >= settings.p2_threshold:
        return "P2"
    if score >= settings.p3_threshold:
        return "P3"
    return "P4"


def reason(anger: int, hits: Sequence[FlagHit], waited_hours: float, settings: PrioritySettings,
           priority: str, likely_rage: float | None = None) -> str:
    """'暴怒 + 曝光威胁 + 第三次反映': what put the complaint where it is in the queue."""
    parts: list[str] = []
    if anger >= 1:
        parts.append(vocab.ANGER_NAMES[anger])
    if likely_rage is not None:  # P1 on the model's doubt: say so, and how sure it is
        parts.append(f"可能{vocab.ANGER_NAMES[3]}（模型判断 {likely_rage:.0%}）")
    seen: set[str] = set()
    for hit in sorted(hits, key=lambda h: -FLAG_WEIGHTS[h.flag]):
        if hit.flag in seen:
            continue
        seen.add(hit.flag)
        if hit.probability is not None:  # no span to quote: say the model raised it, and how sure it is
            parts.append(f"{vocab.FLAG_NAMES[hit.flag]}（模型判断 {hit.probability:.0%}）")
        else:
            parts.append(hit.text if hit.flag in SPAN_IN_REASON else vocab.FLAG_NAMES[hit.flag])
    if waited_hours >= settings.sla_hours.get(priority, 24.0):
        parts.append(f"已等待 {waited_hours:.0f} 小时")
    return " + ".join(parts) if parts else "语气平静，无风险信号"


def department(topic: str) -> str:
    return DEPARTMENT_BY_TOPIC[topic]

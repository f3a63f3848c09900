"""What a person types into the UI's boxes, read as the values the workflow takes: an id, a
list of ids, an amount. A box left empty or holding something unreadable is refused with what
to type, never read as 0."""

from __future__ import annotations

import math
import re
import unicodedata


class UIError(RuntimeError):
    """A message for the person at the screen."""


def parse_ids(text: str | None) -> list[int]:
    """'12, 15 18，20' → [12, 15, 18, 20]: ids as a supervisor types or clicks them."""
    parts = [p for p in re.split(r"[\s,，、;；]+", text or "") if p]
    bad = [p for p in parts if not p.isdigit()]
    if bad:
        raise UIError(f"投诉编号「{bad[0]}」不是数字；多个编号用逗号或空格隔开")
    return list(dict.fromkeys(int(p) for p in parts))


def parse_amount(text: str | float | None) -> float:
    """The amount an agent typed ("300", "300元", "１５０.5") as yuan; a box left empty or not a
    number is refused with what to type (an empty gr.Number showed 0 and sent 0)."""
    typed = _typed(text).removesuffix("元").strip()
    if not typed:
        raise UIError("请填写申请补偿的金额（元），例如 300")
    try:
        amount = float(typed.replace(",", ""))
    except ValueError:
        raise UIError(f"补偿金额「{typed}」不是数字：只填数字，例如 300") from None
    if not math.isfinite(amount) or amount <= 0:
        raise UIError(f"补偿金额「{typed}」要大于 0")
    return amount


def parse_id(text: str | int | None) -> int | None:
    """One complaint id as typed or picked; empty is None (the caller says what to do)."""
    typed = _typed(text)
    if not typed:
        return None
    if not typed.isdigit():
        raise UIError(f"投诉编号「{typed}」不是数字")
    return int(typed)


def _typed(text: str | float | None) -> str:
    """A box's value as typed, full-width digits folded (３００ → 300); empty for an empty box."""
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()

"""Money in a draft, understood rather than pattern-matched: amounts in any common Chinese
form, and which of them are offers of compensation.

An amount is Arabic (800, 1,000, 1 000, 0.8千, 1.5万, 2k) or Chinese (八百, 一千二, 两千五百,
捌佰, 壹仟贰佰) digits with a currency mark before it (￥, ¥, RMB, 人民币) or a unit after it
(元, 块, 块钱, 圆). An offer is an amount in a clause that gives the customer something of
value (补偿, 赔偿, 赠送, 红包, 代金券, 转账 …), so "退款 399 元" for what the customer paid is not
an offer, while "转账 800 元作为补偿" and "800 元的红包" are, whatever their word order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from complaint_desk.text import fold

_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
                   "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CHINESE_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CHINESE_GROUPS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}
_CHINESE = "".join([*_CHINESE_DIGITS, *_CHINESE_UNITS, *_CHINESE_GROUPS])
_MULTIPLIERS = {"k": 1000, "千": 1000, "万": 10_000, "w": 10_000}

_ARABIC = r"(?P<arabic>\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?!\d)|\d+(?:\.\d+)?)\s*(?P<multiplier>[k千万w](?![a-z]))?"
_CHINESE_NUMBER = rf"(?P<chinese>[{_CHINESE}]+)"
_BEFORE = r"(?P<before>[¥￥]|rmb|人民币)\s*"
_AFTER = r"\s*(?P<after>块钱|元|块|圆|rmb)"
# a number with a currency mark before it or a unit after it (a bare number is not money)
AMOUNT = re.compile(rf"(?:{_BEFORE})?(?:{_ARABIC}|{_CHINESE_NUMBER})(?:{_AFTER})?")
# what turns an amount into something the customer is given
_OFFER = re.compile(r"补偿|赔偿|赔付|赔|赠送|赠|送|补贴|报销|红包|券|转账|打款|汇款|返现|返还|现金|慰问|心意|礼金|礼品卡|购物卡|"
                    r"充值|奖励|积分|抵扣|减免|免单|额外")
_CLAUSE = re.compile(r"[^，,。！!？?；;\n]+")


@dataclass(frozen=True)
class Amount:
    """An amount of money found in a text: its value in 元 and where it stands."""

    value: float
    start: int
    end: int


def chinese_number(text: str) -> float | None:
    """八百 → 800, 一千二 → 1200, 两千五百 → 2500, 一百零五 → 105, 三万五 → 35000, 捌佰 → 800."""
    total = section = number = 0
    last_unit, after_zero, seen = 0, False, False
    for char in text:
        if char in _CHINESE_DIGITS:
            number, seen = _CHINESE_DIGITS[char], True
            after_zero = after_zero or number == 0
        elif char in _CHINESE_UNITS:
            unit = _CHINESE_UNITS[char]
            section += (number or 1) * unit
            number, last_unit, after_zero, seen = 0, unit, False, True
        elif char in _CHINESE_GROUPS:
            group = _CHINESE_GROUPS[char]
            total += (section + number or 1) * group
            section = number = 0
            last_unit, after_zero, seen = group, False, True
        else:
            return None
    if number and last_unit >= 100 and not after_zero and text[-1] in _CHINESE_DIGITS:
        number *= last_unit // 10  # 一千二: the trailing digit counts in the next lower unit
    return float(total + section + number) if seen else None


def amounts(text: str) -> list[Amount]:
    """Every amount of money in a text, with its span in the text as written."""
    folded = fold(text).lower()  # fold keeps offsets: one character for one
    found = []
    for match in AMOUNT.finditer(folded):
        if not (match.group("before") or match.group("after")):
            continue
        if match.group("arabic"):
            value = float(re.sub(r"[,， ]", "", match.group("arabic")))
            value *= _MULTIPLIERS.get(match.group("multiplier") or "", 1)
        else:
            value = chinese_number(match.group("chinese") or "")
            if value is None:
                continue
        found.append(Amount(value, match.start(), match.end()))
    return found


def offers(text: str) -> list[Amount]:
    """The amounts a draft gives the customer: those in a clause with an offer word."""
    folded = fold(text)
    clauses = [match.span() for match in _CLAUSE.finditer(folded) if _OFFER.search(match.group())]
    return [amount for amount in amounts(text) if any(start <= amount.start < end for start, end in clauses)]

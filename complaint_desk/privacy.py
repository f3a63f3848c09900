"""Personal data in text: found in the forms people really write it, and masked to what an
agent needs to confirm an identity (the last digits).

Patterns run on a digit view of the text, the same length as the text: full-width forms
folded, and numbers spelt out in Chinese digits read as digits (一三八… → 138…), so that
"１３８１２３４５６７８", "138.1234.5678", "1381 234 5678", "0086 138…", "wx13812345678" and
"一三八一二三四五六七八" are all the same phone number, and every hit maps back to the
characters as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from complaint_desk.pattern_index import PatternIndex
from complaint_desk.text import fold

_DIGITS = str.maketrans("〇零一幺二三四五六七八九", "001123456789")
_SPELT = re.compile("[〇零一幺二三四五六七八九]{7,}")
_NOT_DIGIT_BEFORE = r"(?<!\d)"
_NOT_DIGIT_AFTER = r"(?!\d)"
_SEP = r"[ .\-]?"  # one separator people put between digit groups
_NUMBER = r"[\d〇零一二两三四五六七八九十百千]+"  # an address number, Arabic or Chinese (八十八号)
_PLACE = r"(?:路|街|大道|巷|弄|胡同|小区|花园|公寓|大厦|苑|新村|村|家园|社区|广场)"
_UNIT = r"(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|组)"
_KEY_UNIT = r"(?:号楼|号院|号|栋|幢|座|单元|室|组)"  # a floor alone (小区一楼, 大厦3楼) is no one's address
PII_PATTERNS: dict[str, re.Pattern[str]] = {
    "id_card": re.compile(
        _NOT_DIGIT_BEFORE + r"(?:[1-9]\d{5}" + _SEP + r"(?:19|20)\d{2}" + _SEP + r"(?:0[1-9]|1[0-2])" + _SEP
        + r"(?:0[1-9]|[12]\d|3[01])" + _SEP + r"\d{3}[\dXx]"  # 18 digits
        + r"|[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"  # the old 15-digit form
        + _NOT_DIGIT_AFTER),
    "phone": re.compile(_NOT_DIGIT_BEFORE + r"(?:(?:\+|00)?86" + _SEP + r")?1[3-9](?:" + _SEP + r"\d){9}" + _NOT_DIGIT_AFTER),
    "bank_card": re.compile(
        _NOT_DIGIT_BEFORE + r"(?:(?:\d{4}[ \-]?){3}\d{4}(?:[ \-]?\d{1,3})?|\d{4}[ \-]?\d{6}[ \-]?\d{5})" + _NOT_DIGIT_AFTER),
    "landline": re.compile(_NOT_DIGIT_BEFORE + r"(?:\(0\d{2,3}\)|0\d{2,3})" + _SEP + r"[2-9]\d{6,7}" + _NOT_DIGIT_AFTER),
    "email": re.compile(r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\]|（at）)\s*[A-Za-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z0-9-]+)+",
                        re.IGNORECASE),
    # a passport number only where the text says it is one (the same shape is an order number elsewhere)
    "passport": re.compile(r"(?:护照|passport|通行证|签证)[^，,。！？!?\n\d]{0,6}?(?P<pii>(?<![a-z0-9])[a-z]{1,2}\d{7,8})(?!\d)"),
    "address": re.compile(r"[\u4e00-\u9fa5]{1,12}" + _PLACE + r"(?:" + _NUMBER + _UNIT + r")*" + _NUMBER + _KEY_UNIT
                         + r"(?:" + _NUMBER + _UNIT + r")*(?:\d{2,4}(?![\d元块]))?"),
}


_AT = re.compile(r"\s*(?:@|\(at\)|\[at\]|（at）)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class PiiHit:
    kind: str
    start: int
    end: int
    text: str  # as written
    digits: str  # the same span in the digit view


_PII_KINDS = tuple(PII_PATTERNS)
_PII_INDEX = PatternIndex(PII_PATTERNS.values())  # most texts have no digit, @ or 号 at all


def digit_view(text: str) -> str:
    """Folded text with numbers spelt in Chinese digits (seven or more in a row: 一三八一二…)
    as digits; one character for one. Shorter runs stay words (一直, 三四天)."""
    return _SPELT.sub(lambda run: run.group().translate(_DIGITS), fold(text))


def find_pii(text: str) -> list[PiiHit]:
    """Unmasked personal data in text, kinds in the order above (the more specific first)."""
    view = digit_view(text)
    hits: list[PiiHit] = []
    taken: list[tuple[int, int]] = []
    for index in _PII_INDEX.admitted(set(view)):
        kind, pattern = _PII_KINDS[index], _PII_INDEX.patterns[index]
        for match in pattern.finditer(view):
            start, end = match.span("pii") if "pii" in pattern.groupindex else match.span()
            if any(start < t_end and end > t_start for t_start, t_end in taken):
                continue
            taken.append((start, end))
            hits.append(PiiHit(kind, start, end, text[start:end], view[start:end]))
    return sorted(hits, key=lambda hit: hit.start)


def mask_value(kind: str, digits: str) -> str:
    """Masked form that keeps what an agent needs to confirm identity: the last digits."""
    only_digits = re.sub(r"\D", "", digits)
    if kind == "phone":
        return f"{only_digits[-11:-8]}****{only_digits[-4:]}"
    if kind in ("id_card", "bank_card", "landline", "passport"):
        return f"尾号{re.sub(r'[^0-9Xx]', '', digits)[-4:].upper()}"
    if kind == "email":
        name, domain = _AT.split(digits, maxsplit=1)
        return f"{name[:1]}***@{domain}"
    if kind == "address":
        return re.sub(_NUMBER, "**", digits)
    return "***"


def mask_pii(text: str) -> str:
    """Replace every unmasked personal number, email and street address by its masked form."""
    pieces: list[str] = []
    cursor = 0
    for hit in find_pii(text):
        pieces.append(text[cursor : hit.start])
        pieces.append(mask_value(hit.kind, hit.digits))
        cursor = hit.end
    pieces.append(text[cursor:])
    return "".join(pieces)

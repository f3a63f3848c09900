"""The phrase rules (SPEC's forbidden intents) and personal data, checked on a prepared draft."""

from __future__ import annotations

import re

from complaint_desk.checks.draft import CLAUSE_BREAK, REPORTED, SENTENCE_BREAK, Draft, bounds, leftmost_hits
from complaint_desk.checks.rules import RULE_SPECS, RuleSpec
from complaint_desk.domain import Violation
from complaint_desk.privacy import find_pii, mask_value
from complaint_desk.text import fold


def check_phrase_rule(draft: Draft, rule: RuleSpec) -> list[Violation]:
    excuse, before_excuse, after_excuse = rule.excuse_patterns
    compact = draft.view.text
    violations: list[Violation] = []
    explained_terms: set[str] = set()
    for match in leftmost_hits(draft.candidates.get(rule.id, ()), compact):
        start, end = draft.view.original_span(match.start(), match.end())
        if draft.is_quoted(start, end):
            if excuse and excuse.match(compact, match.end()):
                explained_terms.add(match.group())
            continue
        clause_left, _ = bounds(compact, match.start(), match.end(), CLAUSE_BREAK)
        if rule.reported_ok and REPORTED.search(compact, clause_left, match.start()):
            continue
        if before_excuse and before_excuse.search(compact[clause_left : match.start()]):
            continue
        if after_excuse and after_excuse.match(compact, match.end()):
            continue
        sentence_left, sentence_right = bounds(compact, match.start(), match.end(), SENTENCE_BREAK)
        if excuse and (excuse.search(compact, sentence_left, sentence_right) or excuse.match(compact, match.end())):
            explained_terms.add(match.group())
            continue
        violations.append(Violation(rule=rule.id, start=start, end=end, span=draft.text[start:end],
                                    message=rule.message, fix=rule.fix))
    if rule.id == "jargon":  # once a term is explained, later uses of it are fine
        violations = [v for v in violations if fold(v.span) not in explained_terms]
    return violations


def check_pii(draft: Draft) -> list[Violation]:
    violations = []
    folded = fold(draft.text)
    for hit in find_pii(draft.text):
        context = folded[max(0, hit.start - 8) : hit.start]
        if hit.kind in ("bank_card", "phone", "landline") and re.search(r"订单|单号|运单|编号|流水|工单|快递单|批次|热线|客服电话|服务电话", context):
            continue
        if hit.kind == "address":
            continue  # addresses in a reply are usually the customer's own delivery address being confirmed
        violations.append(Violation(rule="pii_leak", start=hit.start, end=hit.end, span=hit.text,
                                    message=RULE_SPECS["pii_leak"].message, fix=f"改为 {mask_value(hit.kind, hit.text)}"))
    return violations


# Latin-letter abbreviations a customer reads every day; any other (HIS, PNR, KYC, SOP) is an
# internal code unless the reply explains it right after
EVERYDAY_ABBREVIATIONS = frozenset({
    "APP", "VIP", "ATM", "WIFI", "ID", "PIN", "SIM", "ETC", "USB", "PDF", "GPS", "TV", "PC", "OK", "QQ", "POS",
    "SMS", "QR", "IOS", "AI", "DIY", "VR", "KTV", "WLAN", "NFC", "PPT", "SUV", "LED", "HDMI", "DVD", "CD", "CVV",
    "MP", "UP", "CEO", "VPN", "IP", "UI", "SOS", "EMS", "SF", "DD", "PA", "NO", "AM", "PM", "CT", "MRI", "ICU",
})
_ABBREVIATION = re.compile(r"(?<![A-Za-z0-9])(?P<code>[A-Z]{2,6})(?:-\d{1,3})?(?![A-Za-z0-9])")


def check_jargon(draft: Draft) -> list[Violation]:
    """The phrase rule, plus internal codes written as capital-letter abbreviations."""
    spec = RULE_SPECS["jargon"]
    found = check_phrase_rule(draft, spec)
    excuse = spec.excuse_patterns[0]
    for match in _ABBREVIATION.finditer(draft.text):
        start, end = match.span()
        if (match.group("code") in EVERYDAY_ABBREVIATIONS or draft.is_quoted(start, end)
                or (excuse and excuse.match(fold(draft.text), end))
                or any(v.start <= start < v.end for v in found)):
            continue
        found.append(Violation(rule="jargon", start=start, end=end, span=match.group(), message=spec.message,
                               fix=spec.fix))
    return sorted(found, key=lambda v: v.start)

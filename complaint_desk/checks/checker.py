"""`check_draft`: every rule, the move tags and the script, on one draft."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from complaint_desk import vocab
from complaint_desk.checks.amounts import check_amount
from complaint_desk.checks.draft import CLAUSE_BREAK, SENTENCE_BREAK, Draft, bounds
from complaint_desk.checks.format import check_format
from complaint_desk.checks.moves import tag_clauses
from complaint_desk.checks.phrases import check_jargon, check_phrase_rule, check_pii
from complaint_desk.checks.rules import RULE_SPECS
from complaint_desk.checks.script import check_script
from complaint_desk.config import get_settings
from complaint_desk.domain import CheckResult, MoveSpan, Violation

Check = Callable[[Draft], list[Violation]]
CHECKS: dict[str, Check] = {spec.id: (lambda d, s=spec: check_phrase_rule(d, s))
                            for spec in RULE_SPECS.values() if spec.patterns}
CHECKS["pii_leak"] = check_pii
CHECKS["format"] = check_format
CHECKS["jargon"] = check_jargon


def default_limit() -> float:
    return get_settings().policy.max_compensation_without_approval


def check_draft(text: str, topic: str | None = None, rules: Sequence[str] | None = None,
                compensation_limit: float | None = None) -> CheckResult:
    """Run every check (or the named ones) on a draft reply.

    `compensation_limit` is the policy's maximum compensation without supervisor approval
    (the configured one unless given).
    """
    limit = default_limit() if compensation_limit is None else compensation_limit
    draft = Draft.of(text)
    clauses = tag_clauses(text, inquiry=topic == "inquiry")
    selected = rules or vocab.RULE_IDS
    insincere = check_phrase_rule(draft, RULE_SPECS["insincere"])
    violations: list[Violation] = list(insincere) if "insincere" in selected else []
    for rule_id in selected:
        check = CHECKS.get(rule_id)
        if check and rule_id != "insincere":
            violations.extend(check(draft))
    if "over_promise" in selected:
        violations.extend(check_amount(draft, limit))
    deadlines = [bounds(text, v.start, v.end, CLAUSE_BREAK) for v in violations if v.rule == "result_deadline"]
    violations = [v for v in violations
                  if not (v.rule == "over_promise" and any(s <= v.start < e for s, e in deadlines))]
    # a hollow apology is not the apology move (SPEC: the apology must be sincere); the
    # insincere violation already asks for a sincere one, so it is not reported missing twice
    hollow = [bounds(text, v.start, v.end, SENTENCE_BREAK) for v in insincere]
    if "missing_move" in selected or "script_order" in selected:
        violations.extend(v for v in check_script(clauses, topic, hollow) if v.rule in selected
                          and not (insincere and v.rule == "missing_move" and v.move == "apologize"))
    violations.sort(key=lambda v: (v.start, v.rule))
    moves = [MoveSpan(move=c.dominant, start=c.start, end=c.end, text=c.text) for c in clauses if c.dominant]
    return CheckResult(passed=not violations, violations=violations, moves=moves)


def _check_one(item: tuple[str, str | None, float]) -> CheckResult:
    text, topic, limit = item
    return check_draft(text, topic, compensation_limit=limit)


def check_drafts(texts: Sequence[str], topics: Sequence[str | None] | None = None,
                 compensation_limit: float | None = None, workers: int = 1) -> list[CheckResult]:
    """Check many drafts; `workers` > 1 spreads them over processes.

    The checks are pure-Python regex work, so threads would share one core; processes
    scale with the cores a batch job (eval, bulk import of old replies) has.
    """
    limit = default_limit() if compensation_limit is None else compensation_limit
    items = [(text, topic, limit) for text, topic in zip(texts, topics or [None] * len(texts), strict=True)]
    if workers <= 1 or len(items) < 2 * workers:
        return [_check_one(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_check_one, items, chunksize=max(1, len(items) // (workers * 8))))

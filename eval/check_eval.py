"""Measure the draft checks on a labelled check set: per-rule precision/recall, overall
recall (drafts with any violation flagged) and false-positive rate (compliant drafts
flagged)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from complaint_desk import vocab
from complaint_desk.config import get_settings
from complaint_desk.drafting.checking import check_in_context
from complaint_desk.jsonl import read_jsonl

DATA_DIR = Path(__file__).resolve().parent / "data"
# In the order they were written. The checker was developed against the first four; each
# later one was scored once, unseen, before any change prompted by it (see docs/EVAL.md).
CHECK_SETS = {
    "dev": DATA_DIR / "check_set.jsonl",
    "heldout": DATA_DIR / "check_set_heldout.jsonl",
    "blind3": DATA_DIR / "check_set_blind.jsonl",
    "final4": DATA_DIR / "check_set_final.jsonl",
    "blind5": DATA_DIR / "check_set_blind5.jsonl",
    "blind6": DATA_DIR / "check_set_blind6.jsonl",
    "blind7": DATA_DIR / "check_set_blind7.jsonl",
    "blind8": DATA_DIR / "check_set_blind8.jsonl",
}


def load_check_set(path: Path) -> list[dict]:
    records = []
    for record in read_jsonl(path):
        unknown = set(record.data["expected"]) - set(vocab.RULE_IDS)
        if unknown:
            raise ValueError(f"{path.name} 第 {record.line} 行：未知规则 {sorted(unknown)}")
        records.append(record.data)
    return records


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def labelled_for_grounding(records: list[dict]) -> bool:
    """A set whose rows carry the agent's notes was labelled for `unfounded` (SPEC added it after
    set 7): its drafts are checked against their complaint and notes, as `complaint-desk check`
    does. Earlier sets never labelled it, so they are checked on their text alone."""
    return any("notes" in record for record in records)


def evaluate_check_set(path: Path) -> dict:
    records = load_check_set(path)
    grounded = labelled_for_grounding(records)
    policy = get_settings().policy
    true_positive: Counter[str] = Counter()
    false_positive: Counter[str] = Counter()
    false_negative: Counter[str] = Counter()
    violating = flagged_violating = compliant = flagged_compliant = 0
    cases = []
    for record in records:
        context = (record.get("complaint", ""), record.get("notes")) if grounded else (None, None)
        found = set(check_in_context(record["text"], record.get("topic"), *context, policy).rules)
        expected = set(record["expected"])
        for rule in found & expected:
            true_positive[rule] += 1
        for rule in found - expected:
            false_positive[rule] += 1
        for rule in expected - found:
            false_negative[rule] += 1
        if expected:
            violating += 1
            flagged_violating += bool(found)
        else:
            compliant += 1
            flagged_compliant += bool(found)
        if found != expected:
            cases.append({"id": record["id"], "expected": sorted(expected), "found": sorted(found), "text": record["text"]})
    per_rule = {
        rule: {
            "support": true_positive[rule] + false_negative[rule],
            "precision": _ratio(true_positive[rule], true_positive[rule] + false_positive[rule]),
            "recall": _ratio(true_positive[rule], true_positive[rule] + false_negative[rule]),
            "false_positives": false_positive[rule],
        }
        for rule in vocab.RULE_IDS
    }
    return {
        "set": path.name,
        "drafts": len(records),
        "violating": violating,
        "compliant": compliant,
        "recall": _ratio(flagged_violating, violating),
        "false_positive_rate": _ratio(flagged_compliant, compliant),
        "exact_match": _ratio(len(records) - len(cases), len(records)),
        "per_rule": per_rule,
        "mismatches": cases,
    }


def format_check_report(report: dict) -> str:
    lines = [
        f"检查集 {report['set']}：{report['drafts']} 份草稿（违规 {report['violating']}，合规 {report['compliant']}）",
        f"  违规草稿召回率 {report['recall']}   合规草稿误报率 {report['false_positive_rate']}   "
        f"规则完全一致 {report['exact_match']}",
        f"  {'规则':<16}{'样本':>6}{'精确率':>8}{'召回率':>8}{'误报':>6}",
    ]
    for rule, row in report["per_rule"].items():
        precision = "-" if row["precision"] is None else f"{row['precision']:.2f}"
        recall = "-" if row["recall"] is None else f"{row['recall']:.2f}"
        lines.append(f"  {rule:<16}{row['support']:>6}{precision:>8}{recall:>8}{row['false_positives']:>6}")
    return "\n".join(lines)

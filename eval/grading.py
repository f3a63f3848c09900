"""Blind grades of reply drafts (eval/grading/): a reader scored each draft on the rubric in
eval/grading/RUBRIC.md without knowing which backend wrote it; `summarise` puts the grades
beside what the checker said of the same drafts (report.json of the eval run)."""

from __future__ import annotations

import json
from pathlib import Path

CRITERIA = ("feelings_first", "facts", "remedy", "consult_follow_up", "fluent", "no_forbidden")
GRADING_DIR = Path(__file__).resolve().parent / "grading"


def _rows(grades: Path) -> list[dict]:
    return [json.loads(line) for line in grades.read_text(encoding="utf-8").splitlines() if line.strip()]


def _verdicts(report: Path, verdict: str) -> dict[str, bool]:
    return {case["id"]: case[verdict] for case in json.loads(report.read_text(encoding="utf-8"))["cases"]}


def summarise(grades: Path, key: Path, report: Path, verdict: str = "passed") -> dict:
    """Would-send share, mean per criterion, and the checker's agreement with the reader:
    the share of drafts the checker passed that the reader would not send (`verdict`:
    "passed" for guarded drafts, "raw_passed" for a model's drafts as written)."""
    case_of = json.loads(key.read_text(encoding="utf-8"))
    rows, passed = _rows(grades), _verdicts(report, verdict)
    return _summary(rows, [passed.get(case_of[row["item"]], False) for row in rows])


def summarise_mixed(grades: Path, key: Path, reports: dict[str, Path], verdict: str = "raw_passed") -> dict[str, dict]:
    """The same per set, for one reader's grades of several sets shuffled together (key: item →
    [set, case id]), so the sets are compared by the same reader."""
    case_of = json.loads(key.read_text(encoding="utf-8"))
    verdicts = {name: _verdicts(path, verdict) for name, path in reports.items()}
    by_set: dict[str, list[tuple[dict, bool]]] = {}
    for row in _rows(grades):
        name, case_id = case_of[row["item"]]
        by_set.setdefault(name, []).append((row, verdicts[name].get(case_id, False)))
    return {name: _summary([row for row, _ in pairs], [passed for _, passed in pairs]) for name, pairs in by_set.items()}


def _summary(rows: list[dict], checker: list[bool]) -> dict:
    checker_passed = [row for row, passed in zip(rows, checker, strict=True) if passed]
    return {
        "drafts": len(rows),
        "would_send": sum(1 for row in rows if row["would_send"]),
        "would_send_share": round(sum(1 for row in rows if row["would_send"]) / len(rows), 4),
        "means": {name: round(sum(row[name] for row in rows) / len(rows), 2) for name in CRITERIA},
        "checker_passed": len(checker_passed),
        "checker_passed_but_not_sendable_share": round(
            sum(1 for row in checker_passed if not row["would_send"]) / len(checker_passed), 4) if checker_passed else None,
    }

"""The blind-grading summary: shares and the checker's agreement come from the files."""

from __future__ import annotations

import json
from pathlib import Path

from eval.grading import summarise, summarise_mixed


def test_grades_are_summarised_beside_the_checkers_verdicts(tmp_path: Path) -> None:
    grade = {"feelings_first": 2, "facts": 1, "remedy": 2, "consult_follow_up": 2, "fluent": 1, "no_forbidden": 2}
    rows = [{"item": "a", **grade, "would_send": True}, {"item": "b", **grade, "facts": 0, "would_send": False},
            {"item": "c", **grade, "would_send": False}]
    (tmp_path / "grades.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (tmp_path / "key.json").write_text(json.dumps({"a": "x1", "b": "x2", "c": "x3"}), encoding="utf-8")
    cases = [{"id": "x1", "passed": True}, {"id": "x2", "passed": True}, {"id": "x3", "passed": False}]
    (tmp_path / "report.json").write_text(json.dumps({"cases": cases}), encoding="utf-8")
    summary = summarise(tmp_path / "grades.jsonl", tmp_path / "key.json", tmp_path / "report.json")
    assert summary["would_send"] == 1 and summary["would_send_share"] == round(1 / 3, 4)
    assert summary["means"]["facts"] == round(2 / 3, 2)
    assert summary["checker_passed"] == 2 and summary["checker_passed_but_not_sendable_share"] == 0.5


def test_one_readers_grades_of_mixed_sets_are_summarised_per_set(tmp_path: Path) -> None:
    grade = {"feelings_first": 2, "facts": 2, "remedy": 2, "consult_follow_up": 2, "fluent": 2, "no_forbidden": 2}
    rows = [{"item": "g0", **grade, "would_send": True}, {"item": "g1", **grade, "fluent": 0, "would_send": False},
            {"item": "g2", **grade, "would_send": False}]
    (tmp_path / "grades.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    key = {"g0": ["model", "x1"], "g1": ["composer", "x1"], "g2": ["model", "x2"]}
    (tmp_path / "key.json").write_text(json.dumps(key), encoding="utf-8")
    for name, passed in (("model", [True, True]), ("composer", [True, False])):
        cases = [{"id": f"x{n + 1}", "raw_passed": p} for n, p in enumerate(passed)]
        (tmp_path / f"{name}.json").write_text(json.dumps({"cases": cases}), encoding="utf-8")
    summary = summarise_mixed(tmp_path / "grades.jsonl", tmp_path / "key.json",
                              {name: tmp_path / f"{name}.json" for name in ("model", "composer")})
    assert summary["model"]["drafts"] == 2 and summary["model"]["would_send"] == 1
    assert summary["model"]["checker_passed_but_not_sendable_share"] == 0.5
    assert summary["composer"]["means"]["fluent"] == 0 and summary["composer"]["checker_passed"] == 1

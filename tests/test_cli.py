from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaint_desk.cli import command_line

app = command_line()
from complaint_desk.config import Settings

runner = CliRunner()
COMMANDS = [[], ["serve"], ["import"], ["export"], ["triage"], ["similar"], ["draft"], ["check"],
            ["eval"], ["eval", "triage"], ["eval", "retrieval"], ["eval", "checks"], ["eval", "run"], ["eval", "validate"],
            ["bench"], ["bench", "triage"], ["bench", "similar"], ["bench", "checks"], ["bench", "llm"],
            ["train"], ["train", "triage"], ["train", "refinish"], ["train", "embedder"], ["user"], ["user", "add"], ["demo", "remove"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_help_is_in_plain_chinese(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert re.search(r"[\u4e00-\u9fff]{4,}", result.output), result.output


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_triage_contract(tiny_settings: Settings, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "快递丢了！我要打12315"}, "broken", {"id": "b", "text": "请问怎么开票"}])
    result = runner.invoke(app, ["triage", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1  # the broken line is reported, the others still come out
    assert "第 2 行" in result.output
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in rows] == ["a", "b"]
    for key in ("anger", "anger_score", "topic", "persona", "persona_top3", "flags", "priority", "priority_score",
                "reason", "department"):
        assert key in rows[0]
    assert rows[0]["priority"] == "P1" and rows[0]["flags"][0]["text"] == "12315"


def test_check_contract(tiny_settings: Settings, tmp_path: Path) -> None:
    good = ("您好，包裹一直没到，您一定很着急，非常抱歉。我们已经为您安排补发。您看这样可以吗？"
            "我们会在明天中午前与您联系。感谢您的耐心。")
    source = write_jsonl(tmp_path / "drafts.jsonl", [
        {"id": "ok", "text": good, "topic": "delivery"},
        {"id": "bad", "text": good.replace("我们已经为您安排补发", "这件事不归我管"), "topic": "delivery"},
    ])
    result = runner.invoke(app, ["check", str(source), "-o", "-"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert rows[0] == {**rows[0], "id": "ok", "passed": True, "violations": []}
    assert rows[1]["passed"] is False
    violation = next(v for v in rows[1]["violations"] if v["rule"] == "not_my_job")
    assert set(violation) >= {"rule", "span", "message", "fix"} and violation["span"] == "不归我管"
    assert rows[0]["moves"] and {"move", "text"} <= set(rows[0]["moves"][0])


def test_draft_contract(tiny_settings: Settings, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": "x", "text": "外卖洒了一袋子，汤全漏了", "hint": "商家已同意重做"}])
    result = runner.invoke(app, ["draft", str(source), "--backend", "composer", "-o", str(tmp_path / "d.jsonl")])
    assert result.exit_code == 0, result.output
    [row] = read_jsonl(tmp_path / "d.jsonl")
    assert row["id"] == "x" and row["backend"] == "composer" and row["passed"] and row["violations"] == []
    assert row["draft"] and row["triage"]["topic"]


def test_user_import_similar_and_export(tiny_settings: Settings, tmp_path: Path) -> None:
    assert runner.invoke(app, ["user", "add", "admin", "--role", "admin", "--password", "s3cret-desk!"]).exit_code == 0
    duplicate = runner.invoke(app, ["user", "add", "admin", "--password", "s3cret-desk!"])
    assert duplicate.exit_code == 1 and "已存在" in duplicate.output
    source = tmp_path / "q.csv"
    source.write_text("编号,内容\nQ1,信用卡年费莫名其妙扣了300\nQ2,\n", encoding="utf-8")
    imported = runner.invoke(app, ["import", str(source)])
    assert imported.exit_code == 1 and "新增 1 条" in imported.output and "第 3 行" in imported.output
    similar = runner.invoke(app, ["similar", "信用卡年费被扣", "-k", "3", "--json"])
    cases = json.loads(similar.stdout[similar.stdout.index("[") :])
    assert len(cases) == 3 and set(cases[0]) == {"id", "score", "topic", "industry", "remedy", "outcome", "why"}
    exported = runner.invoke(app, ["export", "--format", "jsonl", "-o", "-"])
    assert json.loads(exported.stdout.splitlines()[0])["external_id"] == "Q1"


def test_validate_and_check_eval(tiny_settings: Settings) -> None:
    assert runner.invoke(app, ["eval", "validate"]).exit_code == 0
    result = runner.invoke(app, ["eval", "checks", str(Path("eval/data/check_set.jsonl"))])
    assert "召回率" in result.output and result.exit_code == 0


def test_bad_input_file_is_a_clear_error(tiny_settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "missing.jsonl")])
    assert result.exit_code != 0


def test_actionable_errors_print_one_line_without_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from complaint_desk.cli import main
    from complaint_desk.config import get_settings

    missing = tmp_path / "no-model"
    monkeypatch.setenv("COMPLAINT_DESK_TRIAGE__MODEL", str(missing))
    monkeypatch.setattr("sys.argv", ["complaint-desk", "triage", "-", "-o", "-"])
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO('{"id": "a", "text": "快递没到"}\n'))
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and str(missing) in err and "Traceback" not in err
    get_settings.cache_clear()


def test_bench_checks_prints_a_median_and_its_range() -> None:
    result = runner.invoke(app, ["bench", "checks", "--drafts", "40", "--workers", "2", "--repeats", "2"])
    assert result.exit_code == 0, result.output
    for key in ("drafts_per_s_one_process", "drafts_per_s_one_process_range", "drafts_per_s_all_workers_range"):
        assert key in result.output

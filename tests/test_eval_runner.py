from __future__ import annotations

import json
from pathlib import Path

import pytest

from complaint_desk.config import Settings
from complaint_desk.drafting.composer import ComposerBackend
from complaint_desk.services import Services
from complaint_desk.triage.model import Triager
from eval.runner import SuiteError, load_suite, run_suite


class FlakyComposer(ComposerBackend):
    """Dies after a few batches, like a machine losing power mid-run."""

    def __init__(self, batches_before_crash: int) -> None:
        self.left = batches_before_crash

    def generate_batch(self, requests):  # noqa: ANN001,ANN201
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return super().generate_batch(requests)


@pytest.fixture
def services(tiny_settings: Settings) -> Services:
    return Services.build(tiny_settings, load_llm_in_background=False)


def test_run_writes_reports(services: Services, tmp_path: Path) -> None:
    suite = load_suite("smoke")
    report = run_suite(suite, ComposerBackend(), services.settings, services.case_base, Triager(services.settings),
                       tmp_path, batch_size=2)
    assert report["metrics"]["raw_pass_rate"] == 1.0 and report["metrics"]["guarded_pass_rate"] == 1.0
    metrics = report["metrics"]
    assert metrics["drafts_copying_a_case"] == metrics["drafts_with_full_pii"] == metrics["drafts_over_limit"] == 0
    assert metrics["unsafe_drafts_an_agent_can_send"] == 0 and metrics["drafts_an_agent_can_send"] == 1.0
    saved = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert saved["suite"]["cases"] == len(suite.items) and saved["versions"]["torch"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "评测报告" in html and "data:image/png;base64" in html and "<script" not in html
    assert "模型直出的草稿没有违规" in html and "守护后的草稿全部通过检查" in html


def test_interrupted_run_resumes_without_redoing_work(services: Services, tmp_path: Path) -> None:
    suite = load_suite("smoke")
    triager = Triager(services.settings)
    with pytest.raises(KeyboardInterrupt):
        run_suite(suite, FlakyComposer(1), services.settings, services.case_base, triager, tmp_path, batch_size=2)
    done = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(done) == 2
    partial = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert partial["complete"] is False and partial["suite"]["cases"] == 2  # written on interrupt
    resumed = FlakyComposer(100)
    report = run_suite(suite, resumed, services.settings, services.case_base, triager, tmp_path, batch_size=2)
    assert resumed.left == 100 - (len(suite.items) - 2 + 1) // 2
    assert [c["id"] for c in report["cases"]] == [item["id"] for item in suite.items] and report["complete"]


def test_report_highlights_violations_and_escapes_text(services: Services, tmp_path: Path) -> None:
    suite_file = tmp_path / "suite.jsonl"
    suite_file.write_text(json.dumps({"id": "x1", "text": "<script>alert(1)</script>快递没到"}, ensure_ascii=False) + "\n",
                          encoding="utf-8")

    class Rude(ComposerBackend):
        name = "rude"

        def generate_batch(self, requests):  # noqa: ANN001,ANN201
            return ["这件事不归我管。"] * len(requests)

    report = run_suite(load_suite(str(suite_file)), Rude(), services.settings, services.case_base,
                       Triager(services.settings), tmp_path / "out", batch_size=1)
    assert report["metrics"]["raw_pass_rate"] == 0.0 and report["metrics"]["guarded_pass_rate"] == 1.0
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '<mark class="v"' in html and "&lt;script&gt;" in html and "<script>alert" not in html
    assert "not_my_job（推卸责任）" in html and "模型直出的草稿没有违规" not in html


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "a"}', "text 必须是非空字符串"),
    ('{"id": "a", "text": "x", "expect": {"topic": "nope"}}', "不是 SPEC 的主题 id"),
    ("not json", "不是合法的 JSON"),
])
def test_suite_problems_are_reported_with_line_numbers(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok", "text": "好"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="第 2 行") as error:
        load_suite(str(path))
    assert message in str(error.value)

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from complaint_desk.store import Store
from complaint_desk.workflow.importing import ImportFormatError, export_rows, import_file, write_export

TZ = ZoneInfo("Asia/Shanghai")
GOOD_AND_BAD_CSV = (
    "编号,投诉内容,客户,渠道,时间,订单号,客户等级\n"
    "C1,快递三天没到,张三,phone,2026-11-20 09:00,SO1,gold\n"
    "C2,,李四,web,2026-11-20 10:00,SO2,\n"
    "C3,外卖洒了,王五,app,昨天下午,SO3,\n"
    "C4,退款太慢,赵六,app,2026/11/21 08:30,SO4,silver\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_are_listed_and_good_rows_kept(store: Store, tmp_path: Path) -> None:
    report = import_file(store, write(tmp_path / "a.csv", GOOD_AND_BAD_CSV), TZ)
    assert report.rows == 4 and len(report.added_ids) == 2
    assert [(e.row, e.column) for e in report.errors] == [(3, "投诉内容"), (4, "时间")]
    assert "投诉内容为空" in str(report.errors[0]) and "第 3 行" in str(report.errors[0])
    assert "无法识别的时间" in report.errors[1].message
    stored = {c.external_id: c for c in store.list_complaints()}
    assert stored["C1"].customer_tier == "gold" and stored["C1"].created_at.utcoffset() is not None
    assert stored["C4"].created_at.hour == 0  # 08:30 Shanghai is 00:30 UTC


def test_reimport_creates_no_duplicates(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", GOOD_AND_BAD_CSV)
    import_file(store, path, TZ)
    again = import_file(store, path, TZ)
    assert again.added_ids == [] and again.duplicates == 2
    assert store.count_complaints() == 2


def test_jsonl_with_broken_lines(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "b.jsonl", '{"id":"J1","text":"好慢"}\nnot json\n["list"]\n{"id":"J2","text":"  "}\n{"text":"没有编号也可以"}\n')
    report = import_file(store, path, TZ)
    assert len(report.added_ids) == 2
    assert [e.row for e in report.errors] == [2, 3, 4]


def test_excel(store: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "text", "customer_name", "created_at", "order_id"])
    sheet.append(["X1", "空调不制冷", "周", "2026-11-01 12:00", 123456])
    sheet.append(["X2", None, "吴", None, None])
    sheet.append([None, None, None, None, None])
    book.save(tmp_path / "c.xlsx")
    report = import_file(store, tmp_path / "c.xlsx", TZ)
    assert len(report.added_ids) == 1 and [e.row for e in report.errors] == [3]
    assert store.list_complaints()[0].order_id == "123456"


def test_gbk_csv_is_read(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("text\n电费多收了\n".encode("gb18030"))
    assert len(import_file(store, path, TZ).added_ids) == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("x.txt", "hello", "不支持的文件类型"),
    ("y.csv", "foo,bar\n1,2\n", "缺少投诉内容列"),
])
def test_unusable_files_are_refused(store: Store, tmp_path: Path, name: str, content: str, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        import_file(store, write(tmp_path / name, content), TZ)


def test_crash_mid_import_loses_nothing_and_resumes(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import complaint_desk.workflow.importing as importing

    monkeypatch.setattr(importing, "BATCH_ROWS", 2)
    rows = "\n".join(f"R{i},投诉内容{i}" for i in range(7))
    path = write(tmp_path / "big.csv", "编号,内容\n" + rows + "\n")
    original = store.add_complaints
    calls = {"n": 0}

    def crash_on_third_batch(batch, source=None):  # noqa: ANN001,ANN202
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return original(batch, source)

    monkeypatch.setattr(store, "add_complaints", crash_on_third_batch)
    with pytest.raises(RuntimeError):
        import_file(store, path, TZ)
    assert store.count_complaints() == 4  # two whole batches committed, nothing half-written
    monkeypatch.setattr(store, "add_complaints", original)
    report = import_file(store, path, TZ)
    assert len(report.added_ids) == 3 and report.duplicates == 4
    assert store.count_complaints() == 7


def test_export_csv_and_jsonl(store: Store, tmp_path: Path) -> None:
    import io

    import_file(store, write(tmp_path / "a.csv", GOOD_AND_BAD_CSV), TZ)
    rows = export_rows(store)
    buffer = io.StringIO()
    write_export(rows, buffer, "jsonl")
    exported = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert {r["external_id"] for r in exported} == {"C1", "C4"}
    buffer = io.StringIO()
    write_export(rows, buffer, "csv")
    assert buffer.getvalue().splitlines()[0].startswith("id,external_id,text")

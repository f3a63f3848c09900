"""Nothing good is lost on import, and nothing harmful leaves on export: an over-long cell,
a JSONL file whose records name different fields, long ids, NUL bytes and over-long names
each become one named row error (on SQLite and PostgreSQL), and exported CSV cells never
run as spreadsheet formulas or show personal data unless asked."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from complaint_desk.domain import Complaint
from complaint_desk.store import Store
from complaint_desk.workflow.importing import export_rows, import_file, write_export

TZ = ZoneInfo("Asia/Shanghai")


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["编号", "投诉内容", "客户"], *rows])
    return path


def test_an_over_long_cell_is_one_row_error(any_store: Store, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "big.csv", [["A1", "快递三天没到", "张"], ["A2", "长" * 200_000, "李"],
                                             ["A3", "外卖洒了一半", "王"]])
    report = import_file(any_store, path, TZ)
    assert len(report.added_ids) == 2
    assert [(e.row, e.column) for e in report.errors] == [(3, "投诉内容")] and "过长" in report.errors[0].message


def test_every_jsonl_record_is_mapped_on_its_own(any_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (
        {"id": "J1", "text": "快递丢了"},
        {"编号": "J2", "内容": "退款一个月没到账", "客户": "李四", "订单号": "SO2"},
        {"ticket_id": "J3", "complaint": "客服挂我电话", "customer": "王五"},
        {"id": "J4", "备注": "没有投诉内容"},
    )) + "\n", encoding="utf-8")
    report = import_file(any_store, path, TZ)
    assert len(report.added_ids) == 3 and [(e.row, e.column) for e in report.errors] == [(4, "text")]
    stored = {c.external_id: c for c in any_store.list_complaints()}
    assert stored["J2"].customer_name == "李四" and stored["J2"].order_id == "SO2"
    assert stored["J3"].text == "客服挂我电话" and stored["J3"].customer_name == "王五"


def test_long_ids_are_compared_whole(any_store: Store, tmp_path: Path) -> None:
    stem = "工单-" + "0" * 90
    path = _write_csv(tmp_path / "ids.csv", [[stem + "1", "快递丢了", "张"], [stem + "2", "外卖洒了", "李"],
                                             ["x" * 200, "退款慢", "王"]])
    report = import_file(any_store, path, TZ)
    assert len(report.added_ids) == 2 and report.duplicates == 0
    assert [(e.row, e.column) for e in report.errors] == [(4, "编号")] and "上限 120" in report.errors[0].message
    assert import_file(any_store, path, TZ).duplicates == 2  # and a re-import still finds both


def test_rows_the_database_would_refuse_are_named_and_the_rest_imported(any_store: Store, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "bad.csv", [["B1", "快递三天没到", "张"], ["B2", "坏\x00数据", "李"],
                                             ["B3", "外卖洒了", "名" * 200], ["B4", "退款太慢", "赵"]])
    report = import_file(any_store, path, TZ)
    assert len(report.added_ids) == 2
    assert [(e.row, e.column) for e in report.errors] == [(3, "投诉内容"), (4, "客户")]
    assert "NUL" in report.errors[0].message and "上限 120" in report.errors[1].message


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://example.invalid","点我")', "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd",
                                  "+1+1", "-2+3", "\t=1+1", "\r=1+1"])
def test_exported_cells_never_start_a_formula(store: Store, cell: str) -> None:
    store.add_complaints([Complaint(external_id="F1", text=cell, customer_name=cell)])
    buffer = io.StringIO()
    write_export(export_rows(store), buffer, "csv", bom=True)
    assert buffer.getvalue().startswith("\ufeff")
    row = next(csv.DictReader(io.StringIO(buffer.getvalue().removeprefix("\ufeff"))))
    assert row["text"] == "'" + cell and row["customer_name"] == "'" + cell


def test_exports_mask_personal_data_unless_asked(store: Store) -> None:
    store.add_complaints([Complaint(external_id="P1", text="我的手机13812345678，身份证110101199003071234",
                                    customer_name="张三")])
    masked = export_rows(store)[0].text
    assert "13812345678" not in masked and "110101199003071234" not in masked
    assert "13812345678" in export_rows(store, raw=True)[0].text

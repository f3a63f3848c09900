"""Import complaints from CSV, JSONL and Excel; export complaints with their sent replies.

Bad rows never stop an import: each gets an error that names its row, its column and
what is wrong, and the good rows go in. Rows are written in transactional batches and
de-duplicated, so an import that crashes half way can simply be run again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from complaint_desk.config import IntakeSettings
from complaint_desk.domain import Complaint
from complaint_desk.errors import ActionableError
from complaint_desk.jsonl import LineError, parse_lines, write_record
from complaint_desk.privacy import mask_pii
from complaint_desk.store import QueueFilter, Store

BATCH_ROWS = 500  # complaints per transaction
CSV_CELL_LIMIT = 64 * 1024 * 1024  # characters; uploads are capped well below this
MAX_TEXT_CHARS = IntakeSettings().max_text_chars

# Accepted header names per field, English first; matched case-insensitively.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "id", "ticket_id", "编号", "投诉编号", "工单号", "外部编号"),
    "text": ("text", "complaint", "content", "内容", "投诉内容", "正文", "投诉"),
    "customer_name": ("customer_name", "customer", "name", "客户", "客户姓名", "姓名", "客户名称"),
    "channel": ("channel", "渠道", "来源渠道"),
    "created_at": ("created_at", "time", "created", "时间", "投诉时间", "创建时间", "提交时间"),
    "order_id": ("order_id", "order", "订单号", "订单编号"),
    "customer_tier": ("customer_tier", "tier", "客户等级", "会员等级"),
    "industry": ("industry", "行业"),
}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
                "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")
SUPPORTED = (".csv", ".jsonl", ".ndjson", ".xlsx")
PER_RECORD = (".jsonl", ".ndjson")  # formats with no shared header


class ImportFormatError(ActionableError, ValueError):
    """The file as a whole cannot be read (wrong type, no text column, not UTF-8/GBK)."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行，列「{self.column}」：{self.message}"


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    added_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.source}：共 {self.rows} 行，新增 {len(self.added_ids)} 条，"
            f"重复跳过 {self.duplicates} 条，错误 {len(self.errors)} 行"
        )


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFormatError(f"{path.name} 不是 UTF-8 或 GBK 编码的文本文件")


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    # a cell over csv's default limit (131,072 characters) is the row's problem, reported by
    # the length check, not a reason to lose the whole file
    csv.field_size_limit(max(csv.field_size_limit(), CSV_CELL_LIMIT))
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    try:
        for record in reader:
            yield reader.line_num, record
    except csv.Error as error:  # the rows before it are already imported
        yield reader.line_num, {"__error__": f"CSV 格式错误，从这一行起无法继续读取：{error}"}


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for parsed in parse_lines(_read_text(path).splitlines()):
        if isinstance(parsed, LineError):
            yield parsed.line, {"__error__": parsed.message}
        else:
            yield parsed.line, parsed.data


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise ImportFormatError(f"无法读取 Excel 文件 {path.name}：{error}") from error
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        names = [str(cell).strip() if cell is not None else "" for cell in header]
        for number, values in enumerate(rows, start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            yield number, dict(zip(names, values, strict=False))
    finally:
        workbook.close()


READERS: dict[str, Callable[[Path], Iterator[tuple[int, dict[str, Any]]]]] = {
    ".csv": _csv_rows,
    ".jsonl": _jsonl_rows,
    ".ndjson": _jsonl_rows,
    ".xlsx": _xlsx_rows,
}


def _column_map(keys: Iterable[str]) -> dict[str, str]:
    """Map each field to the header that names it in this file."""
    lowered = {key.strip().lower(): key for key in keys if key}
    found: dict[str, str] = {}
    for name, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias.lower() in lowered:
                found[name] = lowered[alias.lower()]
                break
    return found


def parse_time(value: Any, tz: ZoneInfo) -> datetime | None:
    """Parse the time formats that exports from ticket systems and Excel use."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        parsed = None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in DATE_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise ValueError(f"无法识别的时间「{text}」，请用 2024-05-01 13:45 这样的格式")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text or None


def parse_row(number: int, record: dict[str, Any], columns: dict[str, str], tz: ZoneInfo,
              max_text_chars: int = MAX_TEXT_CHARS) -> Complaint | RowError:
    """One file row → a Complaint, or the first thing wrong with it."""
    if "__error__" in record:
        return RowError(number, "整行", record["__error__"])
    text = _clean(record.get(columns["text"]))
    if not text:
        return RowError(number, columns["text"], "投诉内容为空")
    if len(text) > max_text_chars:
        return RowError(number, columns["text"], f"内容过长（{len(text)} 字，上限 {max_text_chars} 字）")
    created_at = None
    if "created_at" in columns:
        try:
            created_at = parse_time(record.get(columns["created_at"]), tz)
        except ValueError as error:
            return RowError(number, columns["created_at"], str(error))
    fields = {name: _clean(record.get(header)) for name, header in columns.items() if name not in ("text", "created_at")}
    try:
        return Complaint(text=text, created_at=created_at, **fields)
    except ValidationError as error:
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "text"
        limit = problem.get("ctx", {}).get("max_length")
        message = f"过长（上限 {limit} 个字符）" if limit else str(problem["msg"]).removeprefix("Value error, ")
        return RowError(number, columns.get(field, field), message)


def read_complaints(path: Path, tz: ZoneInfo,
                    max_text_chars: int = MAX_TEXT_CHARS) -> Iterator[tuple[int, Complaint | RowError]]:
    """Parse a file row by row; raises ImportFormatError only if the file as a whole is unusable."""
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise ImportFormatError(f"不支持的文件类型 {suffix or '（无扩展名）'}；支持 {', '.join(SUPPORTED)}")
    if not path.is_file():
        raise ImportFormatError(f"文件不存在：{path}")
    columns: dict[str, str] | None = None
    for number, record in READERS[suffix](path):
        if "__error__" in record:
            yield number, RowError(number, "整行", record["__error__"])
            continue
        if suffix in PER_RECORD or columns is None:
            columns = _column_map(record.keys())  # JSONL: every record names its own fields
            if "text" not in columns:
                message = f"缺少投诉内容列；可用的列名：{', '.join(COLUMN_ALIASES['text'])}"
                if suffix not in PER_RECORD:
                    raise ImportFormatError(f"{path.name} {message}")
                yield number, RowError(number, "text", message)
                continue
        yield number, parse_row(number, record, columns, tz, max_text_chars)


def import_file(
    store: Store,
    path: Path,
    tz: ZoneInfo,
    progress: Callable[[int], None] | None = None,
    is_demo: bool = False,
    max_text_chars: int = MAX_TEXT_CHARS,
) -> ImportReport:
    """Import a file into the store in transactional batches."""
    report = ImportReport(source=path.name)
    batch: list[Complaint] = []

    def flush() -> None:
        added = store.add_complaints(batch, source=path.name)
        report.added_ids.extend(added.added_ids)
        report.duplicates += added.duplicates
        if progress:
            progress(len(batch))
        batch.clear()

    for _number, parsed in read_complaints(path, tz, max_text_chars):
        report.rows += 1
        if isinstance(parsed, RowError):
            report.errors.append(parsed)
            continue
        batch.append(parsed.model_copy(update={"is_demo": is_demo}))
        if len(batch) >= BATCH_ROWS:
            flush()
    if batch:
        flush()
    return report


class ExportRow(BaseModel):
    """One exported complaint with its triage summary and the reply that was sent."""

    id: int
    external_id: str | None
    text: str
    customer_name: str | None
    channel: str | None
    created_at: str | None
    order_id: str | None
    customer_tier: str | None
    status: str
    topic: str | None
    anger: int | None
    priority: str | None
    department: str | None
    reply: str | None
    replied_by: str | None
    replied_at: str | None


def export_rows(store: Store, statuses: tuple[str, ...] = (), raw: bool = False) -> list[ExportRow]:
    """Complaints with their sent replies; personal data masked unless `raw` (a supervisor's call)."""
    shown = (lambda text: text) if raw else (lambda text: mask_pii(text) if text else text)
    sent: dict[int, Any] = {}
    for draft in store.list_drafts():
        if draft.kind == "sent":
            sent[draft.complaint_id] = draft
    rows: list[ExportRow] = []
    for complaint in store.list_complaints(QueueFilter(statuses=statuses)):
        reply = sent.get(complaint.id or -1)
        triage = complaint.triage
        rows.append(
            ExportRow(
                id=complaint.id or 0,
                external_id=complaint.external_id,
                text=shown(complaint.text),
                customer_name=shown(complaint.customer_name),
                channel=complaint.channel,
                created_at=complaint.created_at.isoformat() if complaint.created_at else None,
                order_id=complaint.order_id,
                customer_tier=complaint.customer_tier,
                status=complaint.status,
                topic=triage.topic if triage else None,
                anger=triage.anger if triage else None,
                priority=triage.priority if triage else None,
                department=triage.department if triage else None,
                reply=shown(reply.text) if reply else None,
                replied_by=reply.author if reply else None,
                replied_at=reply.created_at.isoformat() if reply else None,
            )
        )
    return rows


# what a spreadsheet reads as the start of a formula (OWASP: CSV injection)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote before it."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) else value


def write_export(rows: list[ExportRow], handle: io.TextIOBase, fmt: str, bom: bool = False) -> None:
    """JSONL as stored; CSV with formula prefixes neutralised and, for a file, a UTF-8 BOM so
    that Excel on Windows reads the Chinese correctly."""
    if fmt == "jsonl":
        for row in rows:
            write_record(handle, row.model_dump())
        return
    if fmt != "csv":
        raise ValueError(f"不支持的导出格式 {fmt}；可选 csv、jsonl")
    if bom:
        handle.write("\ufeff")
    writer = csv.DictWriter(handle, fieldnames=list(ExportRow.model_fields))
    writer.writeheader()
    for row in rows:
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.model_dump().items()})

"""JSONL in/out for batch commands (`-` means stdin/stdout), with per-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.line} 行：{self.message}"


@dataclass(frozen=True)
class Record:
    line: int
    data: dict[str, Any]


def read_records(source: str, required: tuple[str, ...] = ("id", "text")) -> tuple[list[Record], list[LineError]]:
    """Every valid object of a JSONL file, and an error for each line that is not."""
    handle: IO[str]
    if source == "-":
        lines: Iterable[str] = sys.stdin
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"输入文件不存在：{path}")
        handle = path.open(encoding="utf-8-sig")
        lines = handle.readlines()
        handle.close()
    records: list[Record] = []
    errors: list[LineError] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(LineError(number, f"不是合法的 JSON（{error.msg}）"))
            continue
        if not isinstance(data, dict):
            errors.append(LineError(number, "每行必须是一个 JSON 对象"))
            continue
        missing = [key for key in required if key not in data]
        if missing:
            errors.append(LineError(number, f"缺少字段 {', '.join(missing)}"))
            continue
        if "text" in required and not (isinstance(data["text"], str) and data["text"].strip()):
            errors.append(LineError(number, "text 必须是非空字符串"))
            continue
        records.append(Record(number, data))
    return records, errors


@contextmanager
def open_output(target: str) -> Iterator[IO[str]]:
    if target == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        yield handle


def write_record(handle: IO[str], record: dict[str, Any]) -> None:
    handle.write(json.dumps(record, ensure_ascii=False) + "\n")

"""The one JSONL reader and writer: every file of one JSON object per line goes through here
(imports, batch commands, shipped data, check sets, suites, eval results).

`parse_lines` says for each non-blank line either its object or what is wrong with it;
callers choose whether a bad line is reported and skipped (imports, batch input, an eval
run cut short) or stops the read (shipped data, which must be sound).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from complaint_desk.errors import ActionableError


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


class JsonlError(ActionableError, ValueError):
    """A file that must be sound (shipped data, a check set) has a bad line; the message names it."""


def parse_lines(lines: Iterable[str]) -> Iterator[Record | LineError]:
    """Each non-blank line as a Record (1-based line number), or a LineError saying why not."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield LineError(number, f"不是合法的 JSON（{error.msg}，第 {error.colno} 列）")
            continue
        yield Record(number, data) if isinstance(data, dict) else LineError(number, "每行必须是一个 JSON 对象")


def read_jsonl(path: Path) -> list[Record]:
    """Every object of a file that must be sound; the first bad line raises JsonlError."""
    records: list[Record] = []
    for parsed in parse_lines(path.read_text(encoding="utf-8-sig").splitlines()):
        if isinstance(parsed, LineError):
            raise JsonlError(f"{path.name} {parsed}")
        records.append(parsed)
    return records


def read_records(source: str, required: tuple[str, ...] = ("id", "text")) -> tuple[list[Record], list[LineError]]:
    """Every valid object of a batch command's input (`-` is stdin), and an error for each line that is not."""
    if source == "-":
        lines: Iterable[str] = sys.stdin
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"输入文件不存在：{path}")
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    records: list[Record] = []
    errors: list[LineError] = []
    for parsed in parse_lines(lines):
        if isinstance(parsed, LineError):
            errors.append(parsed)
            continue
        missing = [key for key in required if key not in parsed.data]
        if missing:
            errors.append(LineError(parsed.line, f"缺少字段 {', '.join(missing)}"))
        elif "text" in required and not (isinstance(parsed.data["text"], str) and parsed.data["text"].strip()):
            errors.append(LineError(parsed.line, "text 必须是非空字符串"))
        else:
            records.append(parsed)
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

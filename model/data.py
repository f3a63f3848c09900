"""The labelled data this project wrote, and how training and evaluation read it.

- `complaints_*.jsonl`: complaints written and labelled by the team (training);
- `reviews_labelled_*.jsonl`: real reviews from the train side of the fixed split,
  labelled by hand (training);
- `gold_reviews*.jsonl`: real reviews from the held-out side, labelled by hand; only
  ever used for evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from complaint_desk import vocab
from complaint_desk.errors import ActionableError
from complaint_desk.jsonl import read_jsonl
from model.reviews import split_of

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAIN_GLOBS = ("complaints_*.jsonl", "reviews_labelled_*.jsonl")
GOLD_FILES = ("gold_reviews.jsonl", "gold_reviews_enriched.jsonl")


@dataclass(frozen=True)
class Labelled:
    """One labelled text; `None` means the label is unknown for this example."""

    text: str
    anger: int | None = None
    topic: str | None = None
    persona: str | None = None
    flags: tuple[str, ...] = ()
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False)


class DataError(ActionableError, ValueError):
    """A labelled file has a record that breaks the SPEC vocabulary."""


def _validated(path: Path, number: int, record: dict) -> Labelled:
    where = f"{path.name} 第 {number} 行"
    text = record.get("text", "").strip()
    if not text:
        raise DataError(f"{where}：text 为空")
    if record.get("topic") not in vocab.TOPIC_IDS:
        raise DataError(f"{where}：未知 topic {record.get('topic')!r}")
    if record.get("anger") not in (0, 1, 2, 3):
        raise DataError(f"{where}：anger 必须是 0..3")
    if record.get("persona") not in vocab.PERSONA_IDS:
        raise DataError(f"{where}：未知 persona {record.get('persona')!r}")
    flags = tuple(record.get("flags", []))
    unknown = [flag for flag in flags if flag not in vocab.FLAG_IDS]
    if unknown:
        raise DataError(f"{where}：未知 flag {unknown}")
    extra = {k: v for k, v in record.items() if k not in ("text", "topic", "anger", "persona", "flags")}
    return Labelled(text, record["anger"], record["topic"], record["persona"], flags, path.name, extra)


def load_labelled(paths: list[Path]) -> list[Labelled]:
    return [_validated(path, record.line, record.data) for path in paths for record in read_jsonl(path)]


def training_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(path for pattern in TRAIN_GLOBS for path in data_dir.glob(pattern))


def gold_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return [data_dir / name for name in GOLD_FILES if (data_dir / name).exists()]


def load_training(data_dir: Path = DATA_DIR) -> list[Labelled]:
    """All training examples; refuses any real review that belongs to the held-out split."""
    examples = load_labelled(training_files(data_dir))
    leaked = [e for e in examples if e.extra.get("row") is not None and split_of(e.text) != "train"]
    if leaked:
        raise DataError(f"{len(leaked)} 条训练评论属于留出集（例如：{leaked[0].text[:30]}）")
    return examples


def load_gold(data_dir: Path = DATA_DIR) -> list[Labelled]:
    examples = load_labelled(gold_files(data_dir))
    leaked = [e for e in examples if split_of(e.text) != "test"]
    if leaked:
        raise DataError(f"{len(leaked)} 条金标评论不属于留出集")
    return examples

"""The real Chinese reviews in shared/data/external and their fixed train/held-out split.

The split is decided by a hash of the review text, not by row order or a random seed, so
that every tool (training, the gold-set sampler, the eval report) agrees on it and a
duplicate review can never sit on both sides.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REVIEW_FILES: dict[str, str] = {
    "waimai": "waimai_10k.csv",
    "hotel": "ChnSentiCorp_htl_all.csv",
}
HELD_OUT_BUCKETS = 5  # one bucket in five is held out: the fixed 20%


@dataclass(frozen=True)
class Review:
    """One real review: where it came from and its published sentiment label."""

    source: str
    row: int
    text: str
    positive: bool

    @property
    def split(self) -> str:
        return split_of(self.text)


def split_of(text: str) -> str:
    """'test' for the held-out 20%, 'train' otherwise; stable across runs and machines."""
    digest = hashlib.sha1(text.strip().encode("utf-8")).hexdigest()
    return "test" if int(digest[:8], 16) % HELD_OUT_BUCKETS == 0 else "train"


def iter_reviews(data_dir: Path) -> Iterator[Review]:
    """Yield every review of every known file under data_dir, skipping empty rows."""
    for source, filename in REVIEW_FILES.items():
        path = data_dir / filename
        if not path.exists():
            raise FileNotFoundError(
                f"找不到评论数据文件 {path}；请把 COMPLAINT_DESK_EXTERNAL_DATA_DIR 指向 shared/data/external"
            )
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row, record in enumerate(csv.DictReader(handle)):
                text = (record.get("review") or "").strip()
                if text:
                    yield Review(source, row, text, record.get("label") == "1")


def load_split(data_dir: Path, split: str) -> list[Review]:
    """All reviews on one side of the fixed split."""
    return [r for r in iter_reviews(data_dir) if r.split == split]

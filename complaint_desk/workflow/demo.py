"""First-run demo: a queue of ~50 complaints and demo accounts, clearly marked and removable.

Half the queue is real negative reviews from shared/data/external (when present), half the
project's own labelled complaints; arrival times are spread over the last two days so the
SLA clock shows both fresh and overdue work. Everything is flagged `is_demo` and goes with
`complaint-desk demo remove`.
"""

from __future__ import annotations

import csv
import random
from datetime import timedelta
from importlib import resources
from pathlib import Path

from complaint_desk.domain import Complaint, utcnow
from complaint_desk.jsonl import read_jsonl

DEMO_SIZE = 50
# username, display name, role; passwords are drawn fresh when the demo is seeded
DEMO_USERS = (("demo_agent", "演示坐席甲", "agent"), ("demo_agent2", "演示坐席乙", "agent"),
              ("demo_supervisor", "演示主管", "supervisor"))
# the real review files in shared/data/external and the industry their complaints belong to
REVIEW_SOURCES = (("waimai_10k.csv", "food_delivery"), ("ChnSentiCorp_htl_all.csv", "travel"))


def authored_complaints() -> list[tuple[str, str | None]]:
    """The team's own complaints shipped for the demo queue: (text, industry)."""
    path = Path(str(resources.files("complaint_desk.workflow").joinpath("demo_complaints.jsonl")))
    return [(record.data["text"], record.data.get("industry")) for record in read_jsonl(path)]


def negative_reviews(external_dir: Path) -> list[tuple[str, str]]:
    """Real negative reviews of a readable length, when the shared corpus is there: (text, industry)."""
    found: list[tuple[str, str]] = []
    for filename, industry in REVIEW_SOURCES:
        path = external_dir / filename
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                found += [(row["review"].strip(), industry) for row in csv.DictReader(handle)
                          if row.get("label") == "0" and 15 <= len((row.get("review") or "").strip()) <= 200]
    return found


def demo_complaints(external_dir: Path, size: int = DEMO_SIZE, seed: int = 7) -> list[Complaint]:
    """Half the team's own complaints, half real reviews (all authored ones if the corpus is absent)."""
    rng = random.Random(seed)
    reviews = negative_reviews(external_dir)
    rng.shuffle(reviews)
    own = authored_complaints()
    picked = [(text, industry, "review") for text, industry in reviews[: size // 2]]
    picked += [(text, industry, "app") for text, industry in own[: size - len(picked)]]
    now = utcnow()
    return [
        Complaint(external_id=f"DEMO-{index:03d}", text=text, channel=channel, industry=industry,
                  customer_name=f"演示客户{index:02d}", created_at=now - timedelta(minutes=rng.randint(5, 48 * 60)),
                  is_demo=True)
        for index, (text, industry, channel) in enumerate(picked, start=1)
    ]


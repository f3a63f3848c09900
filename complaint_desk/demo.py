"""First-run demo: a queue of ~50 complaints and demo accounts, clearly marked and removable.

Half the queue is real negative reviews from shared/data/external (when present), half the
project's own labelled complaints; arrival times are spread over the last two days so the
SLA clock shows both fresh and overdue work. Everything is flagged `is_demo` and goes with
`complaint-desk demo remove`.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from complaint_desk.domain import Complaint, User, utcnow
from complaint_desk.intake import TriageService
from complaint_desk.model.data import load_training
from complaint_desk.model.reviews import iter_reviews
from complaint_desk.store import Store

DEMO_SIZE = 50
DEMO_USERS = (("demo_agent", "演示坐席甲", "agent"), ("demo_agent2", "演示坐席乙", "agent"),
              ("demo_supervisor", "演示主管", "supervisor"))


@dataclass(frozen=True)
class DemoAccounts:
    credentials: list[tuple[str, str, str]]  # username, password, role


def demo_complaints(settings_external_dir, size: int = DEMO_SIZE, seed: int = 7) -> list[Complaint]:  # noqa: ANN001
    rng = random.Random(seed)
    own = [e for e in load_training() if "row" not in e.extra]
    rng.shuffle(own)
    picked: list[tuple[str, str | None, str]] = [(e.text, e.extra.get("industry"), "app") for e in own[: size // 2]]
    try:
        reviews = [r for r in iter_reviews(settings_external_dir) if not r.positive and 15 <= len(r.text) <= 200]
    except FileNotFoundError:
        reviews = []
    rng.shuffle(reviews)
    picked += [(r.text, "food_delivery" if r.source == "waimai" else "travel", "review") for r in reviews[: size - len(picked)]]
    if len(picked) < size:
        picked += [(e.text, e.extra.get("industry"), "app") for e in own[size // 2 : size // 2 + size - len(picked)]]
    now = utcnow()
    return [
        Complaint(external_id=f"DEMO-{index:03d}", text=text, channel=channel, industry=industry,
                  customer_name=f"演示客户{index:02d}", created_at=now - timedelta(minutes=rng.randint(5, 48 * 60)),
                  is_demo=True)
        for index, (text, industry, channel) in enumerate(picked, start=1)
    ]


def seed_demo(store: Store, triage: TriageService) -> DemoAccounts:
    """Create the demo queue (triaged) and demo accounts with fresh random passwords."""
    complaints = demo_complaints(triage.settings.external_data_dir)
    added = store.add_complaints(complaints, source="demo")
    triage.triage_ids(store, added.added_ids)
    credentials = []
    for username, name, role in DEMO_USERS:
        if store.get_user(username) is None:
            password = secrets.token_urlsafe(8)
            store.add_user(User(username=username, display_name=name, role=role), password, is_demo=True)
            credentials.append((username, password, role))
    store.audit("system", "demo_seed", None, complaints=len(added.added_ids))
    return DemoAccounts(credentials)

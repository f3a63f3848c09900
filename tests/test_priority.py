from __future__ import annotations

import pytest

from complaint_desk import vocab
from complaint_desk.config import PrioritySettings
from complaint_desk.domain import FlagHit
from complaint_desk.triage import priority as prio

SETTINGS = PrioritySettings()


@pytest.mark.parametrize("flag", sorted(prio.P1_FLAGS))
def test_serious_flags_are_p1_even_when_calm(flag: str) -> None:
    score = prio.priority_score(0.0, 0, [flag], 0.0, SETTINGS)
    assert prio.priority_level(score, SETTINGS) == "P1"


def test_anger_three_is_p1() -> None:
    assert prio.priority_level(prio.priority_score(0.9, 3, [], 0.0, SETTINGS), SETTINGS) == "P1"


@pytest.mark.parametrize("flag", sorted(set(vocab.FLAG_IDS) - prio.P1_FLAGS))
def test_other_flags_raise_but_do_not_force_p1(flag: str) -> None:
    calm = prio.priority_score(0.1, 0, [], 0.0, SETTINGS)
    flagged = prio.priority_score(0.1, 0, [flag], 0.0, SETTINGS)
    assert flagged > calm
    assert prio.priority_level(flagged, SETTINGS) != "P1"


def test_waiting_raises_priority() -> None:
    fresh = prio.priority_score(0.4, 1, [], 0.0, SETTINGS)
    waited = prio.priority_score(0.4, 1, [], 72.0, SETTINGS)
    assert waited > fresh


def test_reason_names_what_raised_it() -> None:
    hits = [FlagHit(flag="media", start=0, end=2, text="曝光"), FlagHit(flag="repeat", start=3, end=8, text="第三次反映")]
    reason = prio.reason(3, hits, 30.0, SETTINGS, "P1")
    assert reason == "暴怒 + 曝光威胁 + 第三次反映 + 已等待 30 小时"


def test_calm_reason() -> None:
    assert prio.reason(0, [], 0.0, SETTINGS, "P4") == "语气平静，无风险信号"


@pytest.mark.parametrize("topic", vocab.TOPIC_IDS)
def test_every_topic_has_a_department(topic: str) -> None:
    assert prio.department(topic) in vocab.DEPARTMENT_NAMES

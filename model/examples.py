"""What training and calibration read: one text with whichever labels it has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from complaint_desk.text import normalize
from complaint_desk.triage.network import FLAG_LABELS, HEADS
from model.data import Labelled
from model.reviews import Review


@dataclass
class Example:
    text: str
    anger: int | None
    topic: int | None
    persona: int | None
    negative: bool | None  # published sentiment for unlabelled reviews
    flags: tuple[int, ...] | None = None  # indices into FLAG_LABELS; None = not labelled


def build_examples(labelled: Sequence[Labelled], reviews: Sequence[Review]) -> list[Example]:
    """Hand-labelled examples plus every other training review as a sentiment-only example."""
    labelled_texts = {item.text for item in labelled}
    examples = [
        Example(
            normalize(item.text),
            item.anger,
            HEADS["topic"].index(item.topic) if item.topic else None,
            HEADS["persona"].index(item.persona) if item.persona else None,
            None,
            tuple(FLAG_LABELS.index(flag) for flag in item.flags),
        )
        for item in labelled
    ]
    examples += [
        Example(normalize(r.text), None, None, None, not r.positive) for r in reviews if r.text not in labelled_texts
    ]
    return examples

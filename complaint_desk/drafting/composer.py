"""The script composer: a deterministic drafter that needs no model.

It writes the SPEC script move by move from phrase banks (per move × persona × topic ×
flags, in phrasebank.toml) and the precedent's usual remedy. Wording varies with the
complaint (a stable hash picks among variants), so two complaints rarely get the same
letter, while the same complaint always gets the same draft. It is the fallback when no
model is reachable, and the guard borrows its sentences to repair a model's draft.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from importlib import resources

from complaint_desk.drafting.request import DraftRequest
from complaint_desk.text import shares_run

OWN_WORDING_RUN = 12  # as many characters in a row as the copy check counts (drafting/copying.py)
WORDING_TRIES = 8


@lru_cache(maxsize=1)
def phrasebank() -> dict:
    text = resources.files("complaint_desk.drafting").joinpath("phrasebank.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def pick(options: list[str], key: str, slot: str) -> str:
    """A variant chosen by a stable hash of (complaint, slot)."""
    digest = hashlib.sha1(f"{slot}\x1f{key}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def chosen_remedy(request: DraftRequest) -> str:
    """The precedent's most common remedy that satisfied customers, else the topic default."""
    bank = phrasebank()["solve"]
    if request.approved_amount:
        return "compensation"
    if request.precedent:
        for remedy, _count, satisfied, _amounts in request.precedent.by_remedy:
            if satisfied and remedy in bank["remedy"]:
                return remedy
    return bank["topic_default"][request.topic]


def compensation_amount(request: DraftRequest) -> float:
    """The amount a supervisor approved, else the policy's default: never another case's
    amount (that would be `unfounded`), never above what an agent may grant alone."""
    if request.approved_amount:
        return request.approved_amount
    return min(request.default_compensation, request.max_compensation)


def sentence(move: str, request: DraftRequest) -> str:
    """One sentence (or a few) for a move, fitted to this complaint."""
    bank = phrasebank()
    key = request.key
    topic = request.topic
    if move == "empathize":
        if topic == "inquiry":
            return pick(bank["inquiry"]["open"], key, "open")
        restate = pick(bank["restate"][topic], key, "restate")
        opening = pick(bank["empathize"]["anger"][str(request.anger)], key, "empathize").format(restate=restate)
        extra = pick(bank["empathize"]["persona"][request.persona], key, "persona")
        return opening + extra
    if move == "apologize":
        return pick(bank["apologize"].get(topic, bank["apologize"]["other"]), key, "apologize")
    if move == "clarify":
        if request.hint:
            notes = request.hint.strip().rstrip("。.！!；;，, ")
            return pick(bank["notes"]["templates"], key, "notes").format(notes=notes)
        return pick(bank["clarify"][topic], key, "clarify")
    if move == "solve":
        if topic == "inquiry":
            return pick(bank["inquiry"]["answer"], key, "answer")
        remedy = chosen_remedy(request)
        options = bank["approved"]["compensation"] if request.approved_amount else bank["solve"]["remedy"][remedy]
        text = pick(options, key, "solve").format(amount=f"{compensation_amount(request):g}")
        flags = "".join(pick(bank["solve"]["flag"][flag], key, f"flag-{flag}") for flag in request.flags)
        return text + flags
    if move == "consult":
        options = bank["consult"].get(request.persona if topic != "inquiry" else "inquiry", bank["consult"]["default"])
        return pick(options, key, "consult")
    if move == "follow_up":
        time = pick(bank["follow_up"]["times"][request.priority], key, "time")
        return pick(bank["follow_up"]["templates"], key, "follow_up").format(time=time)
    if move == "thank":
        options = bank["thank"].get(request.persona, bank["thank"]["default"])
        return pick(options, key, "thank")
    raise ValueError(f"unknown move {move!r}")


def compose(request: DraftRequest) -> str:
    """A complete letter in three paragraphs: feelings, facts and plan, next steps, worded so
    that no OWN_WORDING_RUN characters in a row repeat a reference case the request shows."""
    sources = [text for case in request.examples for text in (case.complaint, case.reply)]
    letters = (_letter(replace(request, variant=variant)) for variant in range(WORDING_TRIES))
    first = next(letters)
    return first if not shares_run(first, sources, OWN_WORDING_RUN) else next(
        (letter for letter in letters if not shares_run(letter, sources, OWN_WORDING_RUN)), first)


def _letter(request: DraftRequest) -> str:
    moves_feelings = ["empathize"] if request.topic == "inquiry" else ["empathize", "apologize"]
    paragraphs = [
        "".join(sentence(m, request) for m in moves_feelings),
        "".join(sentence(m, request) for m in ("clarify", "solve")),
        "".join(sentence(m, request) for m in ("consult", "follow_up", "thank")),
    ]
    return "\n\n".join(p for p in paragraphs if p)


class ComposerBackend:
    """LLM backend interface over the composer (no model, instant, always passes checks)."""

    name = "composer"
    description = "脚本组稿（不使用大模型）"

    def generate(self, request: DraftRequest) -> str:
        return compose(request)

    def stream(self, request: DraftRequest) -> Iterator[str]:
        yield compose(request)

    def generate_batch(self, requests: list[DraftRequest]) -> list[str]:
        return [compose(r) for r in requests]

"""Writing a letter section by section (`llm.prompt = "sections"`).

A small model asked for a whole letter skips steps: in run 3 of the standard suite 36 of 45
raw drafts had no consult question and 17 no contact time. Here the program opens each move
of the plan with a marker in the model's own turn (【安抚】, 【道歉】, …) and the model writes
only what follows it, until it starts the next marker; so every move is written, in the
script's order. The markers never reach the letter: the sections are joined into the plan's
three paragraphs (feelings, facts, what happens next).

What each section should say comes from the plan, as notes worded the way a letter says them
and turned to speak to its reader (the plan calls them 客户, the letter says 您): a 1.5B model
mostly copies its notes, and a copied note must still be a sentence to the customer.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from complaint_desk.checks import MOVE_SPECS
from complaint_desk.drafting.plan import CONSULT_LINES, as_said, as_sentence, is_topic_apology, plan_for
from complaint_desk.drafting.reply_plan import ReplyPlan
from complaint_desk.drafting.request import DraftRequest, unfenced

MARKER_OPEN, MARKER_CLOSE = "【", "】"
_END = "。！？!?…"
# the plan's default consult lines, and the question each asks (an edited line is passed on as written)
_CONSULT_QUESTIONS = {CONSULT_LINES[True]: MOVE_SPECS["consult"].example, CONSULT_LINES[False]: "您看还有其他问题吗？"}
_THANKS = {"complaint": "感谢您的理解和耐心", "inquiry": "感谢您的咨询", "suggestion": "感谢您的宝贵建议",
           "praise": "感谢您的肯定和鼓励"}


@lru_cache(maxsize=1)
def example() -> tuple[tuple[str, str, str], ...]:
    """One complaint's section notes and the sections written from them, shown once in the
    system prompt (which llama.cpp keeps cached): a small model shown only the notes copies
    them as they stand. (marker, note, written) per section."""
    text = resources.files("complaint_desk.prompts").joinpath("sections_example.toml").read_text(encoding="utf-8")
    return tuple((f"{MARKER_OPEN}{s['label']}{MARKER_CLOSE}", s["note"], s["written"]) for s in tomllib.loads(text)["section"])


@dataclass(frozen=True)
class Section:
    """One move of the letter: the marker the model writes after, what the plan says it
    should say, and which of the letter's three paragraphs it belongs to."""

    move: str
    label: str
    content: str
    paragraph: int

    @property
    def marker(self) -> str:
        return f"{MARKER_OPEN}{self.label}{MARKER_CLOSE}"


def sections_for(request: DraftRequest) -> tuple[Section, ...]:
    """The letter's sections, from the request's plan (the agent's, if they edited it)."""
    return plan_sections(plan_for(request))


@lru_cache(maxsize=1)
def notes() -> dict[str, dict[str, str]]:
    return tomllib.loads(resources.files("complaint_desk.drafting").joinpath("sections.toml").read_text(encoding="utf-8"))


def remedy_note(line: str) -> str:
    """A remedy line as a sentence of what we will do: a flag's step as it is said, or the remedy's
    SPEC name worded with the rest (amount, who sets it) kept."""
    if line in notes()["flag"]:
        return notes()["flag"][line]  # a sentence of its own
    name = next((name for name in sorted(notes()["remedy"], key=len, reverse=True) if line.startswith(name)), None)
    return as_sentence(notes()["remedy"][name] + line[len(name):] if name else line)


def apology_note(apology: str) -> str:
    """The plan's own apology (为X方面的问题给客户带来的麻烦道歉, drafting/plan.py) as it is said;
    an apology the agent wrote, turned to 您."""
    if is_topic_apology(apology):
        return notes()["apology"]["default"]
    return as_said(apology)


def issue_note(issue: str) -> str:
    """A point the complaint raises, as the reply restates it: a question is reported as asked
    (您问…), or a model writes the customer's question back at them ("是不是我们泄露了您的信息？")."""
    said = as_said(issue)
    return f"您问{said.rstrip('？?')}" if said.endswith(("？", "?")) else said


def plan_sections(plan: ReplyPlan) -> tuple[Section, ...]:
    restated = "；".join(issue_note(issue) for issue in plan.issues)
    feeling = notes()["feeling"].get(plan.feeling) or as_said(plan.feeling)
    feeling = "；".join(part for part in (restated, feeling) if part)
    remedies = "。".join(remedy_note(remedy) for remedy in plan.remedies)
    consult = _CONSULT_QUESTIONS.get(plan.consult) or as_said(plan.consult)
    contact = as_said(plan.contact)
    parts = [
        Section("empathize", "安抚", feeling, 0),
        Section("apologize", "道歉", apology_note(plan.apology), 0),
        Section("clarify", "确认", as_said(plan.ask), 1),
        Section("solve", "方案", remedies, 1),
        Section("consult", "征求意见", consult, 2),
        Section("follow_up", "跟进", f"我们会在{contact}" if contact and not contact.startswith("我们") else contact, 2),
        Section("thank", "致谢", _THANKS.get(plan.kind, _THANKS["complaint"]), 2),
    ]
    return tuple(section for section in parts if section.content)


def instruction_lines(request: DraftRequest) -> list[str]:
    """The sections as the user message lists them: marker, then what the section says."""
    return [f"{section.marker}{unfenced(section.content)}" for section in sections_for(request)]


Continuation = Callable[[str], Iterator[str]]
"""Given the model's turn so far (markers included), the text it writes next; it stops where
the model opens the next marker (a stop sequence) or ends its turn."""


class _Trimmed:
    """A section's text as it streams: leading spaces dropped, trailing spaces and a dangling
    comma held back, so the section can be closed with a full stop."""

    _DANGLING = " \t\n，,；;、：:"

    def __init__(self) -> None:
        self.started, self.held, self.text = False, "", ""

    def feed(self, chunk: str) -> str:
        if not self.started:
            chunk = chunk.lstrip()
            self.started = bool(chunk)
        stripped = chunk.rstrip(self._DANGLING)
        if not stripped:
            self.held += chunk
            return ""
        out = self.held + stripped
        self.held = chunk[len(stripped):]
        self.text += out
        return out


def write(request: DraftRequest, continue_from: Continuation, max_chars: int | None = None) -> Iterator[str]:
    """The letter, streamed: each section's marker opened in the model's turn, the model's
    words after it, sections joined into paragraphs; markers never reach the letter."""
    turn, written, paragraph = "", 0, None
    for section in sections_for(request):
        turn += section.marker
        trimmed = _Trimmed()
        separator = "" if paragraph in (None, section.paragraph) else "\n\n"
        for chunk in continue_from(turn):
            turn += chunk
            piece = trimmed.feed(chunk.split(MARKER_OPEN, 1)[0])
            if piece:
                yield separator + piece
                written += len(separator + piece)
                separator = ""
            if MARKER_OPEN in chunk or (max_chars and written > max_chars):
                break
        turn = turn.split(section.marker, 1)[0] + section.marker + trimmed.text + "\n"
        if trimmed.text:
            paragraph = section.paragraph
            if trimmed.text[-1] not in _END:
                yield "。"
                written += 1
        if max_chars and written > max_chars:
            return

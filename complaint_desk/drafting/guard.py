"""The guard around every model: check, regenerate with feedback, repair, mark.

1. the backend writes a draft (capped in length);
2. the draft checks run; on violations the backend samples again (a new seed) told which
   rules failed, without being shown its failed draft, a bounded number of times, stopping
   early when it gives back a draft it wrote before;
3. what still fails is repaired inside its own sentences where the rule has an approved
   alternative (the offending clause replaced, markdown stripped, personal numbers masked);
4. a draft still wrong (a missing step, facts before feelings, a pasted case, an unfounded
   claim) is replaced whole by the composer's, following the same plan, and marked so;
   only an amount above the sender's limit is left marked for the approval flow.
Nothing is ever sent here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from complaint_desk.domain import CheckResult
from complaint_desk.drafting.backends import LLMBackend
from complaint_desk.drafting.checking import check_for_request
from complaint_desk.drafting.composer import compose
from complaint_desk.drafting.repair import cap_length, repair
from complaint_desk.drafting.request import DraftRequest


@dataclass
class GuardedDraft:
    text: str
    result: CheckResult
    backend: str
    first_draft: str
    attempts: int = 1
    repaired: bool = False
    fell_back: bool = False  # the model's draft could not be made sound: the composer wrote this one
    repeated: bool = False  # a retry gave back an earlier draft word for word, so retrying stopped
    history: list[tuple[str, list[str]]] = field(default_factory=list)


def guard(request: DraftRequest, backend: LLMBackend, max_regenerations: int, first: str | None = None) -> GuardedDraft:
    """Draft, check, regenerate with feedback, repair; `first` is a draft already generated."""
    text = cap_length((first if first is not None else backend.generate(request)).strip(), request.max_draft_chars)
    outcome = GuardedDraft(text=text, result=check_for_request(text, request), backend=backend.name, first_draft=text)
    outcome.history.append((text, outcome.result.rules))
    retry = request
    while not outcome.result.passed and outcome.attempts <= max_regenerations and backend.name != "composer":
        retry = retry.with_feedback(outcome.result.violations)  # a new sample, told what failed, not shown it
        text = cap_length(backend.generate(retry).strip(), request.max_draft_chars)
        outcome.attempts += 1
        if any(text == earlier for earlier, _ in outcome.history):
            outcome.repeated = True
            break  # the model gives the same draft again: more tries only cost time
        outcome.text, outcome.result = text, check_for_request(text, request)
        outcome.history.append((outcome.text, outcome.result.rules))
    # another customer's case pasted in is not mended by cutting clauses: the letter around it
    # was written for that customer, so the composer writes the whole draft instead (below)
    if not outcome.result.passed and not any(v.copied_from for v in outcome.result.violations):
        # wording is mended in place; a letter missing a step or in the wrong order is not
        # stitched with borrowed sentences (it reads stitched): the composer rewrites it below
        outcome.text = repair(outcome.text, outcome.result, request, structural=False)
        outcome.result = check_for_request(outcome.text, request)
        outcome.repaired = True
        outcome.history.append((outcome.text, outcome.result.rules))
    if any(v.amount is None for v in outcome.result.violations):
        # still broken after regenerating and repairing (another customer's case pasted in,
        # a phrasing no clause swap can mend): the whole draft comes from the composer
        outcome.text = compose(request)
        outcome.result = check_for_request(outcome.text, request)
        outcome.fell_back = True
        outcome.history.append((outcome.text, outcome.result.rules))
    return outcome


@dataclass(frozen=True)
class StreamEvent:
    """A step of a streamed draft: growing text, then the guarded result."""

    text: str
    done: bool = False
    outcome: GuardedDraft | None = None
    status: str = ""


def guard_stream(request: DraftRequest, backend: LLMBackend, max_regenerations: int) -> Iterator[StreamEvent]:
    """Stream the first draft as it is written, then guard it and yield the final result."""
    text = ""
    for chunk in backend.stream(request):
        text += chunk
        yield StreamEvent(text=text, status="正在生成草稿…")
        if len(text) > request.max_draft_chars * 2:
            break
    first = check_for_request(cap_length(text.strip(), request.max_draft_chars), request)
    if not first.passed:
        yield StreamEvent(text=text, status="草稿未通过检查，正在修改…")
    outcome = guard(request, backend, max_regenerations, first=text)
    yield StreamEvent(text=outcome.text, done=True, outcome=outcome, status="")

